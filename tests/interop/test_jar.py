"""JWT-secured authorization requests (RFC 9101) with request objects built by joserfc and the
code redeemed by Authlib: a request object signed with a private_key_jwt client's key (ES256,
EdDSA, RS256) or a client_secret_jwt client's secret (HS256) stands for the whole authorization
request (§6.3: the query's other parameters are ignored), by value at the authorization endpoint
and pushed to the PAR endpoint (RFC 9126 §3). Every invalid object is ``invalid_request_object``
on the error page, never redirected (RFC 9101 §7, RFC 6749 §4.1.2.1); an object of one tenant's
client is unknown at another tenant.
"""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import urlencode

import pytest
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from joserfc import jwt as jose_jwt
from joserfc.jwk import OctKey

from client_jwt_helpers import ALGORITHMS, b64, key_client
from gatehouse_client import RP, Browser, check_access_token, check_id_token, expect
from test_par import URN, authorize_url, pkce, refused_page


def request_object(tenant, cid: str, redirect: str, key, alg: str, *, header=None, **changes) -> tuple[str, dict]:
    """A signed request object (joserfc) for a code flow with PKCE; returns it and its claims
    (with the PKCE verifier under ``_verifier``)."""
    verifier, challenge = pkce()
    now = int(time.time())
    claims = {
        "iss": cid,
        "aud": tenant.issuer,
        "client_id": cid,
        "iat": now,
        "exp": now + 300,
        "response_type": "code",
        "redirect_uri": redirect,
        "scope": "openid email",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    headers = {"alg": alg, "typ": "oauth-authz-req+jwt", **({"kid": key.kid} if getattr(key, "kid", None) else {}), **(header or {})}
    token = jose_jwt.encode(headers, claims, key, algorithms=[alg])
    return token, {**claims, "_verifier": verifier}


def object_url(tenant, client_id: str, request: str, **extra) -> str:
    return tenant.endpoint("authorization_endpoint") + "?" + urlencode({"client_id": client_id, "request": request, **extra})


def key_rp(tenant, client, key, alg: str) -> RP:
    rp = RP(
        client_id=client.client_id,
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",
        scope="openid email",
        redirect_uri=client.redirect_uri,
        token_endpoint=tenant.endpoint("token_endpoint"),
    )
    rp.register_client_auth_method(PrivateKeyJWT(None, alg=alg))
    return rp


def complete(tenant, client, rp: RP, url: str, claims: dict) -> dict:
    """Signs a user in at `url`, checks the response carries the object's state, redeems the code."""
    user = tenant.create_user()
    auth = Browser().authorize(url, client.redirect_uri, user=user, consent="allow")
    assert auth.code, auth.trace()
    assert auth.params.get("state") == claims["state"] and auth.params.get("iss") == tenant.issuer, auth.params
    token = rp.fetch_token(code=auth.code, code_verifier=claims["_verifier"], redirect_uri=client.redirect_uri)
    assert check_access_token(tenant, client, token["access_token"], user=user)["sub"] == user.id
    check_id_token(tenant, client, token["id_token"], nonce=claims["nonce"], user=user, scope="openid email")
    return token


def refused_object(tenant, url: str, case: str = "") -> None:
    resp = refused_page(tenant, url)
    assert "invalid_request_object" in resp.text, (case, resp.text[:2000])


def test_discovery_says_request_objects_by_value(tenant):
    doc = tenant.discovery
    assert doc["request_parameter_supported"] is True, doc
    assert doc["request_uri_parameter_supported"] is False, doc
    assert set(doc["request_object_signing_alg_values_supported"]) == {"EdDSA", "ES256", "RS256", "HS256"}, doc


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_signed_request_object_by_value(tenant, alg):
    key = ALGORITHMS[alg](f"jar-{alg.lower()}")
    client = key_client(tenant, [key])
    obj, claims = request_object(tenant, client.client_id, client.redirect_uri, key, alg)
    # The query's state and scope are ignored (RFC 9101 §6.3): the object's win.
    url = object_url(tenant, client.client_id, obj, state="from-query", scope="openid phone", response_type="code")
    complete(tenant, client, key_rp(tenant, client, key, alg), url, claims)


def test_client_secret_jwt_request_object(tenant):
    client = tenant.create_client(
        "confidential", grant_types=["authorization_code"], token_endpoint_auth_method="client_secret_jwt"
    )
    key = OctKey.import_key(client.client_secret)
    obj, claims = request_object(tenant, client.client_id, client.redirect_uri, key, "HS256")
    rp = RP(
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_endpoint_auth_method="client_secret_jwt",
        scope="openid email",
        redirect_uri=client.redirect_uri,
        token_endpoint=tenant.endpoint("token_endpoint"),
    )
    rp.register_client_auth_method(ClientSecretJWT(None))
    complete(tenant, client, rp, object_url(tenant, client.client_id, obj), claims)


def test_pushed_request_object(tenant):
    key = ALGORITHMS["ES256"]("jar-par")
    client = key_client(tenant, [key])
    rp = key_rp(tenant, client, key, "ES256")
    obj, claims = request_object(tenant, client.client_id, client.redirect_uri, key, "ES256")
    pushed = rp.post(
        tenant.endpoint("pushed_authorization_request_endpoint"),
        data={"request": obj},
        auth=rp.client_auth("private_key_jwt"),
        withhold_token=True,
    )
    answer = expect(pushed, 201).json()
    assert answer["request_uri"].startswith(URN), answer
    complete(tenant, client, rp, authorize_url(tenant, client.client_id, answer["request_uri"]), claims)
    # An invalid pushed object is refused at the push (RFC 9126 §2.3).
    bad, _ = request_object(tenant, client.client_id, client.redirect_uri, key, "ES256", aud="https://elsewhere.example")
    refused = rp.post(
        tenant.endpoint("pushed_authorization_request_endpoint"),
        data={"request": bad},
        auth=rp.client_auth("private_key_jwt"),
        withhold_token=True,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request_object", refused.text


def test_invalid_request_objects_are_shown_not_redirected(tenant):
    key = ALGORITHMS["ES256"]("jar-bad")
    client = key_client(tenant, [key])
    cid, uri = client.client_id, client.redirect_uri
    now = int(time.time())
    cases = {
        "another audience": dict(aud="https://other.example/t/x"),
        "no audience": dict(aud=None),
        "expired": dict(exp=now - 120),
        "not yet valid": dict(nbf=now + 600),
        "iss of another client": dict(iss="pk_test_someone"),
        "client_id claim differs": dict(client_id="pk_test_someone"),
        "a nested request_uri": dict(request_uri=URN + "x"),
    }
    for name, changes in cases.items():
        obj, _ = request_object(tenant, cid, uri, key, "ES256", **changes)
        refused_object(tenant, object_url(tenant, cid, obj), name)
    # Signed by a key the client did not register, with its kid.
    stranger = ALGORITHMS["ES256"]("jar-bad")
    obj, _ = request_object(tenant, cid, uri, stranger, "ES256")
    refused_object(tenant, object_url(tenant, cid, obj))
    # Unsigned (alg none), and HS256 keyed with anything by a private_key_jwt client.
    _, claims = request_object(tenant, cid, uri, key, "ES256")
    claims.pop("_verifier")
    payload = b64(json.dumps(claims).encode())
    refused_object(tenant, object_url(tenant, cid, b64(b'{"alg":"none"}') + "." + payload + "."))
    hs, _ = request_object(tenant, cid, uri, OctKey.import_key(secrets.token_bytes(32)), "HS256")
    refused_object(tenant, object_url(tenant, cid, hs))
    # Another kind of JWT (typ) and garbage.
    typed, _ = request_object(tenant, cid, uri, key, "ES256", header={"typ": "dpop+jwt"})
    refused_object(tenant, object_url(tenant, cid, typed))
    refused_object(tenant, object_url(tenant, cid, "not.a.jwt"))
    # A client without registered keys cannot send request objects.
    public = tenant.create_client("public")
    obj, _ = request_object(tenant, public.client_id, public.redirect_uri, key, "ES256")
    refused_object(tenant, object_url(tenant, public.client_id, obj))
    # client_id is required beside the object; request with request_uri is invalid_request.
    obj, _ = request_object(tenant, cid, uri, key, "ES256")
    resp = refused_page(tenant, tenant.endpoint("authorization_endpoint") + "?" + urlencode({"request": obj}))
    assert "invalid_request" in resp.text
    refused_page(tenant, object_url(tenant, cid, obj, request_uri=URN + "x"))


def test_request_object_of_another_tenant(tenant, other_tenant):
    key = ALGORITHMS["EdDSA"]("jar-foreign")
    client = key_client(tenant, [key])
    obj, _ = request_object(tenant, client.client_id, client.redirect_uri, key, "EdDSA")
    # The client is unknown at the other tenant; an object addressed to the other tenant's issuer
    # is refused at this one.
    refused_page(other_tenant, object_url(other_tenant, client.client_id, obj))
    aimed, _ = request_object(tenant, client.client_id, client.redirect_uri, key, "EdDSA", aud=other_tenant.issuer)
    refused_object(tenant, object_url(tenant, client.client_id, aimed))
