"""JWT client authentication (RFC 7523 §2.2 and §3, OIDC Core §9) with Authlib as the client:
``private_key_jwt`` (RS256, ES256, EdDSA keys inline or at a ``jwks_uri``) and ``client_secret_jwt``
(HS256) at the token, introspection and revocation endpoints; the registered method is the only
one a client may use; discovery lists what works; and every refusal is a 401 ``invalid_client``,
never a 500: a replayed ``jti``, another audience, an expired assertion, ``alg: none``, HS256
keyed with a private_key_jwt client's public key, a ``jwks_uri`` on a private address.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest
import requests
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT

from cli_helpers import cli  # noqa: F401 - fixtures
from client_jwt_helpers import (
    ALGORITHMS,
    JWKSServer,
    assert_invalid_client,
    assertion,
    key_client,
    key_session,
    public_jwks,
    token_with,
    unsigned,
)
from federation_helpers import federation_config
from gatehouse_client import RP, Browser, authorization_request, check_access_token, describe, expect
from gatehouse_http import HTTP_TIMEOUT
from tenancy_helpers import sign_in, start_server

# --------------------------------------------------------------------------- discovery


def test_discovery_lists_the_jwt_methods_and_their_algorithms(tenant):
    doc = tenant.discovery
    for prefix in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        assert {"client_secret_jwt", "private_key_jwt"} <= set(doc[f"{prefix}_auth_methods_supported"]), doc
        assert set(doc[f"{prefix}_auth_signing_alg_values_supported"]) == {
            "RS256",
            "ES256",
            "EdDSA",
            "HS256",
        }, doc


# --------------------------------------------------------------------------- private_key_jwt


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
def test_private_key_jwt_client_credentials_introspection_and_revocation(tenant, alg):
    key = ALGORITHMS[alg](f"{alg.lower()}-1")
    client = key_client(tenant, [key])
    rp = key_session(tenant, client, key, alg)
    token = rp.fetch_token(tenant.endpoint("token_endpoint"), grant_type="client_credentials")
    claims = check_access_token(tenant, client, token["access_token"])
    assert claims["sub"] == client.client_id
    # The assertion's aud is the introspection endpoint's URL here (the URL Authlib posts to).
    info = expect(
        rp.introspect_token(tenant.endpoint("introspection_endpoint"), token=token["access_token"]), 200
    ).json()
    assert info["active"] is True and info["client_id"] == client.client_id, info
    expect(rp.revoke_token(tenant.endpoint("revocation_endpoint"), token=token["access_token"]), 200)
    info = expect(
        rp.introspect_token(tenant.endpoint("introspection_endpoint"), token=token["access_token"]), 200
    ).json()
    assert info == {"active": False}, info


def test_private_key_jwt_authorization_code_exchange(tenant):
    key = ALGORITHMS["ES256"]("es-code")
    client = key_client(tenant, [key])
    user = tenant.create_user()
    rp, url, state, _, verifier = authorization_request(tenant, client, auth_method="private_key_jwt")
    rp.client_secret = key
    rp.register_client_auth_method(PrivateKeyJWT(tenant.issuer, alg="ES256"))  # aud: the issuer identifier
    auth = Browser().authorize(url, client.redirect_uri, user=user, consent="allow")
    assert auth.code, auth.trace()
    token = rp.fetch_token(
        authorization_response=auth.location,
        state=state,
        code_verifier=verifier,
        redirect_uri=client.redirect_uri,
    )
    assert token.get("id_token") and token.get("access_token"), token
    assert check_access_token(tenant, client, token["access_token"], user=user)["sub"] == user.id


# --------------------------------------------------------------------------- client_secret_jwt


def test_client_secret_jwt_and_secret_rotation(tenant):
    client = tenant.create_client(
        "confidential", grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_jwt"
    )
    assert client.raw["token_endpoint_auth_method"] == "client_secret_jwt"
    rp = RP(
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_endpoint_auth_method="client_secret_jwt",
    )
    rp.register_client_auth_method(ClientSecretJWT())
    token = rp.fetch_token(tenant.endpoint("token_endpoint"), grant_type="client_credentials")
    info = expect(
        rp.introspect_token(tenant.endpoint("introspection_endpoint"), token=token["access_token"]), 200
    ).json()
    assert info["active"] is True, info
    # The registered method is the only one: the same secret with client_secret_basic is refused.
    assert_invalid_client(tenant.token_request({"grant_type": "client_credentials"}, client, auth="basic"))
    # A rotation seals the new secret; without overlap the old one stops signing at once.
    rotated = expect(
        tenant.admin.post(f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret"), 200
    ).json()
    with pytest.raises(Exception, match="invalid_client"):
        rp.fetch_token(tenant.endpoint("token_endpoint"), grant_type="client_credentials")
    rp.client_secret = rotated["client_secret"]
    assert rp.fetch_token(tenant.endpoint("token_endpoint"), grant_type="client_credentials")["access_token"]


# --------------------------------------------------------------------------- negatives


def test_refusals_are_invalid_client(tenant):
    key = ALGORITHMS["RS256"]("rs-neg")
    client = key_client(tenant, [key])
    token_url = tenant.endpoint("token_endpoint")
    once = assertion(client.client_id, key, "RS256", token_url)
    expect(token_with(tenant, once), 200)
    assert_invalid_client(token_with(tenant, once))  # the same jti again
    assert_invalid_client(
        token_with(tenant, assertion(client.client_id, key, "RS256", "https://other.example/token"))
    )
    past = int(time.time()) - 600
    assert_invalid_client(
        token_with(tenant, assertion(client.client_id, key, "RS256", token_url, iat=past - 60, exp=past))
    )
    assert_invalid_client(
        token_with(tenant, assertion(client.client_id, key, "RS256", token_url, exp=int(time.time()) + 7200))
    )
    assert_invalid_client(token_with(tenant, assertion(client.client_id, key, "RS256", token_url, jti=None)))
    assert_invalid_client(
        token_with(tenant, assertion(client.client_id, key, "RS256", token_url, iss="someone-else"))
    )
    claims = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": token_url,
        "exp": int(time.time()) + 60,
        "jti": secrets.token_hex(8),
    }
    assert_invalid_client(token_with(tenant, unsigned({"alg": "none"}, claims, None)))
    # Alg confusion: HS256 keyed with the client's public key (as a PEM and as its JWK text).
    public_pem = key.as_pem(private=False)
    for public_bytes in (public_pem, json.dumps(key.as_dict(private=False)).encode()):
        claims["jti"] = secrets.token_hex(8)
        assert_invalid_client(
            token_with(tenant, unsigned({"alg": "HS256", "kid": key.kid}, claims, public_bytes))
        )
    # A key the client did not register, garbage, an oversized assertion, another assertion type.
    stranger = ALGORITHMS["RS256"]("rs-neg")
    assert_invalid_client(token_with(tenant, assertion(client.client_id, stranger, "RS256", token_url)))
    for garbage in ("", "not-a-jwt", "a.b.c", "e30.e30.", "A" * 20000):
        resp = token_with(tenant, garbage)
        assert_invalid_client(resp)
    resp = requests.post(
        token_url,
        data={"grant_type": "client_credentials", "client_assertion_type": "urn:x", "client_assertion": once},
        timeout=HTTP_TIMEOUT,
    )
    assert_invalid_client(resp)


def test_wrong_method_for_the_client_is_refused(tenant):
    key = ALGORITHMS["EdDSA"]("ed-neg")
    client = key_client(tenant, [key])
    token_url = tenant.endpoint("token_endpoint")
    # A private_key_jwt client has a secret key but may not use it here (nor at the headless API).
    assert_invalid_client(tenant.token_request({"grant_type": "client_credentials"}, client, auth="basic"))
    assert_invalid_client(tenant.token_request({"grant_type": "client_credentials"}, client, auth="post"))
    assert_invalid_client(tenant.introspect(client, "x"))
    # A client registered before (client_secret_basic by default) may not send an assertion…
    legacy = tenant.create_client("confidential", grant_types=["client_credentials"])
    claims = {
        "iss": legacy.client_id,
        "sub": legacy.client_id,
        "aud": token_url,
        "exp": int(time.time()) + 60,
        "jti": "j1",
    }
    assert_invalid_client(
        token_with(tenant, unsigned({"alg": "HS256"}, claims, legacy.client_secret.encode()))
    )
    # …and keeps working exactly as before, with either secret method.
    expect(tenant.token_request({"grant_type": "client_credentials"}, legacy, auth="basic"), 200)
    expect(tenant.token_request({"grant_type": "client_credentials"}, legacy, auth="post"), 200)
    # A client_secret_post client may not use client_secret_basic.
    post_only = tenant.create_client(
        "confidential", grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_post"
    )
    assert_invalid_client(tenant.token_request({"grant_type": "client_credentials"}, post_only, auth="basic"))
    expect(tenant.token_request({"grant_type": "client_credentials"}, post_only, auth="post"), 200)


def test_the_headless_api_refuses_the_secret_key_of_a_jwt_client(tenant, public_url):
    """A JWT method exists so that no secret travels: ``Bearer sk_…`` is refused for such clients."""
    user = tenant.create_user()
    for method, fields in (
        ("private_key_jwt", {"jwks": public_jwks(ALGORITHMS["EdDSA"]("ed-headless"))}),
        ("client_secret_jwt", {}),
    ):
        client = tenant.create_client(
            "confidential", first_party=True, grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method=method, **fields,
        )
        resp = sign_in(public_url, client, user, use_secret=True)
        assert resp.status_code == 401 and resp.json()["error"] == "invalid_client", describe(resp)
        assert method in resp.json()["error_description"]
    plain = tenant.create_client("confidential", first_party=True, grant_types=["authorization_code", "refresh_token"])
    expect(sign_in(public_url, plain, user, use_secret=True), 200)


def test_jwks_uri_on_a_private_address_is_refused(tenant):
    """The session server runs without ``[federation] allowed_private_networks``: the SSRF guard
    refuses loopback, so the assertion's key is never fetched."""
    key = ALGORITHMS["ES256"]("es-ssrf")
    with JWKSServer(public_jwks(key)) as jwks:
        client = key_client(tenant, jwks_uri=jwks.url.replace("http://", "https://"))
        resp = token_with(
            tenant, assertion(client.client_id, key, "ES256", tenant.endpoint("token_endpoint"))
        )
        assert_invalid_client(resp)
        assert jwks.hits == 0


def test_registration_is_validated(tenant):
    base = {"name": "bad", "type": "confidential", "grant_types": ["client_credentials"]}
    key = ALGORITHMS["ES256"]("es-reg")
    private = {"keys": [key.as_dict(private=True)]}
    cases = [
        ({**base, "token_endpoint_auth_method": "private_key_jwt"}, "token_endpoint_auth_method"),
        ({**base, "token_endpoint_auth_method": "private_key_jwt", "jwks": private}, "jwks.keys[0]"),
        (
            {**base, "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://keys.example/jwks"},
            "jwks_uri",
        ),
        ({**base, "token_endpoint_auth_method": "none"}, "token_endpoint_auth_method"),
        ({**base, "jwks": public_jwks(key)}, "jwks"),
        (
            {
                **base,
                "type": "public",
                "grant_types": ["authorization_code"],
                "redirect_uris": ["https://a.example/cb"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            "token_endpoint_auth_method",
        ),
    ]
    for body, field in cases:
        resp = tenant.admin.post(f"/tenants/{tenant.slug}/clients", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert field in {e["field"] for e in resp.json()["errors"]}, resp.text


def test_cli_registers_and_changes_the_method(tenant, cli, tmp_path):  # noqa: F811 - fixture
    key = ALGORITHMS["EdDSA"]("ed-cli")
    keys_file = tmp_path / "jwks.json"
    keys_file.write_text(json.dumps(public_jwks(key)))
    created = cli.json(
        "client",
        "create",
        "--tenant",
        tenant.slug,
        "--name",
        "CLI backend",
        "--grant-type",
        "client_credentials",
        "--token-endpoint-auth-method",
        "private_key_jwt",
        "--jwks",
        f"@{keys_file}",
    )
    assert (
        created["token_endpoint_auth_method"] == "private_key_jwt"
        and created["jwks"]["keys"][0]["kid"] == "ed-cli"
    ), created
    token_url = tenant.endpoint("token_endpoint")
    expect(token_with(tenant, assertion(created["client_id"], key, "EdDSA", token_url)), 200)
    # Back to a secret method: the keys are dropped, and assertions stop working.
    changed = cli.json(
        "client",
        "update",
        created["client_id"],
        "--tenant",
        tenant.slug,
        "--token-endpoint-auth-method",
        "client_secret_post",
    )
    assert changed["token_endpoint_auth_method"] == "client_secret_post" and "jwks" not in changed, changed
    assert_invalid_client(token_with(tenant, assertion(created["client_id"], key, "EdDSA", token_url)))
    resp = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
        timeout=HTTP_TIMEOUT,
    )
    expect(resp, 200)
    cli.fails(
        "client",
        "update",
        created["client_id"],
        "--tenant",
        tenant.slug,
        "--token-endpoint-auth-method",
        "private_key_jwt",
        status=422,
    )


# --------------------------------------------------------------------------- jwks_uri


@pytest.fixture(scope="module")
def keys_server(tmp_path_factory, artifacts_dir):
    """A server whose ``[federation]`` rules allow http and loopback (where the JWKS server listens)."""
    server = start_server(
        tmp_path_factory.mktemp("client-jwt"),
        artifacts_dir / "gatehouse-client-jwt.log",
        config=federation_config(allow_loopback=True),
    )
    yield server
    server.stop()


def test_jwks_uri_is_fetched_cached_and_refetched_for_an_unknown_kid(keys_server):
    tenant = keys_server.admin.create_tenant()
    first, second = ALGORITHMS["RS256"]("rs-a"), ALGORITHMS["EdDSA"]("ed-b")
    with JWKSServer(public_jwks(first)) as jwks:
        client = key_client(tenant, jwks_uri=jwks.url)
        rp = key_session(tenant, client, first, "RS256")
        for _ in range(2):
            assert rp.fetch_token(tenant.endpoint("token_endpoint"), grant_type="client_credentials")[
                "access_token"
            ]
        assert jwks.hits == 1  # cached per tenant and client
        # The client rotates to a new key: an assertion naming its kid makes the server fetch again.
        jwks.document = public_jwks(first, second)
        rp = key_session(tenant, client, second, "EdDSA")
        assert rp.fetch_token(tenant.endpoint("token_endpoint"), grant_type="client_credentials")[
            "access_token"
        ]
        assert jwks.hits == 2
        # A kid nobody publishes: one more fetch at most, then invalid_client.
        unknown = ALGORITHMS["EdDSA"]("ed-unknown")
        assert_invalid_client(
            token_with(
                tenant, assertion(client.client_id, unknown, "EdDSA", tenant.endpoint("token_endpoint"))
            )
        )
        assert jwks.hits <= 3


def test_a_client_change_drops_its_cached_jwks_uri_document(keys_server):
    """The client replaces its key under the same kid: the cached document still names the old
    key until an admin saves the client, which makes the server fetch its ``jwks_uri`` afresh."""
    tenant = keys_server.admin.create_tenant()
    old, new = ALGORITHMS["EdDSA"]("same-kid"), ALGORITHMS["EdDSA"]("same-kid")
    with JWKSServer(public_jwks(old)) as jwks:
        client = key_client(tenant, jwks_uri=jwks.url)
        token = tenant.endpoint("token_endpoint")
        expect(token_with(tenant, assertion(client.client_id, old, "EdDSA", token)), 200)
        jwks.document = public_jwks(new)
        assert_invalid_client(token_with(tenant, assertion(client.client_id, new, "EdDSA", token)))
        expect(keys_server.admin.patch(f"/tenants/{tenant.slug}/clients/{client.client_id}", json={"name": "Renamed"}), 200)
        expect(token_with(tenant, assertion(client.client_id, new, "EdDSA", token)), 200)
        assert jwks.hits == 2
