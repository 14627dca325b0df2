"""The tenancy model (issue 3): signing key rotation with pre-publication, and per-client signing
algorithms.

Key rotation runs against a second, private server started by this module with
``[keys] pre_publication_seconds = 3``, so that a new key's activation can be watched.
"""

from __future__ import annotations

import time

import pytest
import requests
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from gatehouse_client import HTTP_TIMEOUT, assert_problem, at_hash, code_flow, expect
from tenancy_helpers import (
    admin_token,
    client_credentials,
    create_admin_client,
    is_active,
    jwks_kids,
    max_age,
    scoped_admin,
    start_server,
    unverified,
    verify_jwt,
)
from timestamps import iso

# --------------------------------------------------------------------------- signing keys


@pytest.fixture(scope="module")
def fast_keys(tmp_path_factory, artifacts_dir):
    """A second server whose new signing keys are published 3 seconds before they sign."""
    srv = start_server(
        tmp_path_factory.mktemp("gatehouse-keys"),
        artifacts_dir / "gatehouse-keys-server.log",
        config="[keys]\npre_publication_seconds = 3\n",
    )
    yield srv
    srv.stop()


def test_jwks_max_age_is_below_the_pre_publication_window(tenant):
    for url in (tenant.endpoint("jwks_uri"), f"{tenant.issuer}/.well-known/openid-configuration"):
        resp = expect(requests.get(url, timeout=HTTP_TIMEOUT), 200)
        age = max_age(resp)
        assert age is not None and 0 <= age < 3600, resp.headers  # default pre-publication: 3600 s


def test_key_rotation_publishes_before_signing_and_keeps_the_retired_key(fast_keys):
    tenant = fast_keys.admin.create_tenant()
    client = tenant.create_client("confidential")
    jwks = expect(requests.get(tenant.endpoint("jwks_uri"), timeout=HTTP_TIMEOUT), 200)
    assert max_age(jwks) is not None and max_age(jwks) < 3, jwks.headers

    def token():
        resp = expect(client_credentials(tenant, client), 200)
        value = resp.json()["access_token"]
        return value, unverified(value)[0]["kid"]

    first, old_kid = token()
    assert jwks_kids(tenant) == {old_kid}

    rotated_at = time.monotonic()
    resp = expect(fast_keys.admin.post(f"/tenants/{tenant.slug}/keys/rotate"), 200)
    keys = resp.json()["keys"]
    assert len(keys) == 1 and keys[0]["status"] == "next" and keys[0]["algorithm"] == "EdDSA", keys
    new_kid = keys[0]["kid"]
    assert new_kid != old_kid
    assert 2 <= (iso(keys[0]["activates_at"]) - iso(keys[0]["created_at"])).total_seconds() <= 4, keys

    # Published at once, but not yet signing.
    assert jwks_kids(tenant) == {old_kid, new_kid}
    before, kid = token()
    assert kid == old_kid, "the new key signed before its pre-publication window ended"
    assert time.monotonic() - rotated_at < 2.5, "too slow to observe the pre-publication window"
    # Rotating again while a key is pending keeps the pending key.
    again = expect(fast_keys.admin.post(f"/tenants/{tenant.slug}/keys/rotate"), 200).json()["keys"]
    assert [k["kid"] for k in again] == [new_kid], again
    listed = {
        k["kid"]: k for k in expect(fast_keys.admin.get(f"/tenants/{tenant.slug}/keys"), 200).json()["keys"]
    }
    assert listed[old_kid]["status"] == "active" and listed[old_kid]["retires_at"], listed
    assert listed[new_kid]["status"] == "next", listed

    # Watch the activation.
    seen_old_after = 0.0
    switched_at = None
    while time.monotonic() - rotated_at < 8:
        value, kid = token()
        elapsed = time.monotonic() - rotated_at
        if kid == new_kid:
            switched_at = elapsed
            latest = value
            break
        assert kid == old_kid, kid
        seen_old_after = elapsed
        time.sleep(0.2)
    assert switched_at is not None, "the new key never started signing"
    assert switched_at >= 2.5, f"the new key signed after {switched_at:.2f}s (pre-publication 3 s)"
    assert seen_old_after >= 2.0, seen_old_after

    # New tokens verify with the new key, old ones still with the retired key, which stays published.
    assert jwks_kids(tenant) == {old_kid, new_kid}
    for value in (first, before, latest):
        claims = verify_jwt(tenant, value, "EdDSA", audience=client.client_id)
        assert claims["client_id"] == client.client_id
        assert is_active(tenant, client, value)
    listed = {
        k["kid"]: k for k in expect(fast_keys.admin.get(f"/tenants/{tenant.slug}/keys"), 200).json()["keys"]
    }
    assert listed[new_kid]["status"] == "active", listed
    assert listed[old_kid]["status"] != "active" and listed[old_kid]["expires_at"], listed
    # The retired key stays published at least as long as the longest token it may have signed (one day).
    assert (iso(listed[old_kid]["expires_at"]) - iso(listed[old_kid]["retires_at"])).total_seconds() >= 86400
    # A tenant-scoped admin token with keys:write may rotate its own tenant's keys.
    backend = create_admin_client(tenant, scopes="keys:read keys:write")
    api = scoped_admin(tenant, admin_token(tenant, backend))
    pending = expect(api.post(f"/tenants/{tenant.slug}/keys/rotate"), 200).json()["keys"]
    assert pending[0]["status"] == "next" and pending[0]["kid"] in jwks_kids(tenant)


def test_per_client_signing_algorithms(tenant, other_tenant):
    settings = tenant.patch({"settings": {"signing_algorithms": ["EdDSA", "ES256", "RS256"]}})["settings"]
    assert settings["signing_algorithms"] == ["EdDSA", "ES256", "RS256"]
    jwks = tenant.jwks["keys"]
    by_alg = {k["alg"]: k for k in jwks}
    assert set(by_alg) == {"EdDSA", "ES256", "RS256"}, jwks
    assert (
        by_alg["EdDSA"]["kty"] == "OKP" and by_alg["ES256"]["kty"] == "EC" and by_alg["RS256"]["kty"] == "RSA"
    )
    assert by_alg["ES256"]["crv"] == "P-256"
    assert not any(k.get("d") or k.get("p") for k in jwks), "private key material in the JWKS"
    discovery = requests.get(f"{tenant.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).json()
    assert {"EdDSA", "ES256", "RS256"} <= set(discovery["id_token_signing_alg_values_supported"]), discovery

    client = tenant.create_client(
        "confidential", id_token_signed_response_alg="RS256", access_token_signing_alg="ES256"
    )
    assert (
        client.raw["id_token_signed_response_alg"] == "RS256"
        and client.raw["access_token_signing_alg"] == "ES256"
    )
    user = tenant.create_user()
    flow = code_flow(tenant, client, user)

    id_header, _ = unverified(flow.id_token)
    assert id_header["alg"] == "RS256" and id_header["kid"] == by_alg["RS256"]["kid"], id_header
    id_claims = verify_jwt(tenant, flow.id_token, "RS256", audience=client.client_id)
    assert id_claims["sub"] == user.id and id_claims["nonce"] == flow.nonce
    # OIDC Core §3.1.3.6: at_hash uses the hash of the ID token's alg (SHA-256 for RS256).
    assert id_claims["at_hash"] == at_hash(flow.access_token, "sha256"), id_claims

    at_header, _ = unverified(flow.access_token)
    assert at_header["alg"] == "ES256" and at_header["kid"] == by_alg["ES256"]["kid"], at_header
    assert at_header["typ"].lower() in ("at+jwt", "application/at+jwt")
    at_claims = verify_jwt(tenant, flow.access_token, "ES256", audience=client.client_id)
    assert at_claims["tid"] == tenant.id
    # joserfc agrees.
    keys = KeySet.import_key_set(tenant.jwks)
    assert jose_jwt.decode(flow.access_token, keys, algorithms=["ES256"]).claims["sub"] == user.id
    assert jose_jwt.decode(flow.id_token, keys, algorithms=["RS256"]).claims["sub"] == user.id

    expect(tenant.userinfo(flow.access_token), 200)
    assert is_active(tenant, client, flow.access_token)
    refreshed = expect(tenant.refresh(client, flow.refresh_token), 200).json()
    assert unverified(refreshed["access_token"])[0]["alg"] == "ES256"
    assert unverified(refreshed["id_token"])[0]["alg"] == "RS256"
    cc = expect(client_credentials(tenant, client), 200).json()["access_token"]
    assert unverified(cc)[0]["alg"] == "ES256"
    verify_jwt(tenant, cc, "ES256", audience=client.client_id)

    # A client without a choice keeps the default EdDSA.
    plain = tenant.create_client("confidential")
    token = expect(client_credentials(tenant, plain), 200).json()["access_token"]
    assert unverified(token)[0]["alg"] == "EdDSA"

    # Algorithms outside the tenant's set are refused.
    for field, alg in (
        ("id_token_signed_response_alg", "HS256"),
        ("access_token_signing_alg", "PS256"),
        ("id_token_signed_response_alg", "none"),
    ):
        resp = tenant.admin.post(
            f"/tenants/{tenant.slug}/clients",
            json={
                "name": "bad",
                "type": "confidential",
                "redirect_uris": ["https://rp.example/cb"],
                field: alg,
            },
        )
        body = assert_problem(resp, 422)
        assert field in {e["field"] for e in body["errors"]}, body
    # RS256 ID tokens need no settings change (OIDC Core §15.1); other algorithms for access
    # tokens stay within the tenant's set.
    for field, status in (("id_token_signed_response_alg", 201), ("access_token_signing_alg", 422)):
        resp = other_tenant.admin.post(
            f"/tenants/{other_tenant.slug}/clients",
            json={"name": "rs", "type": "confidential", "redirect_uris": ["https://rp.example/cb"], field: "RS256"},
        )
        if status == 201:
            assert expect(resp, 201).json()[field] == "RS256"
        else:
            assert_problem(resp, 422)

    # An algorithm still used by a client cannot be removed.
    for algorithms in (["EdDSA"], ["EdDSA", "ES256"], ["EdDSA", "RS256"]):
        resp = tenant.admin.patch(
            f"/tenants/{tenant.slug}", json={"settings": {"signing_algorithms": algorithms}}
        )
        body = assert_problem(resp, 422)
        assert client.client_id in body["detail"] or any(
            client.client_id in e["message"] for e in body["errors"]
        ), body
    assert expect(tenant.admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"][
        "signing_algorithms"
    ] == ["EdDSA", "ES256", "RS256"]

    # Once no client uses RS256 it can be removed; its key stays published for tokens it signed.
    expect(tenant.admin.delete(f"/tenants/{tenant.slug}/clients/{client.client_id}"), 204)
    tenant.patch({"settings": {"signing_algorithms": ["EdDSA"]}})
    assert by_alg["RS256"]["kid"] in jwks_kids(tenant)
    verify_jwt(tenant, flow.id_token, "RS256", audience=client.client_id)
    resp = tenant.admin.post(
        f"/tenants/{tenant.slug}/clients",
        json={
            "name": "late",
            "type": "confidential",
            "redirect_uris": ["https://rp.example/cb"],
            "access_token_signing_alg": "RS256",
        },
    )
    assert_problem(resp, 422)
