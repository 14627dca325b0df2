"""Pushed Authorization Requests (RFC 9126) with Authlib as the client: a push authenticated as at
the token endpoint (client_secret_basic, private_key_jwt, a public client by client_id) answers
201 with a one-time ``request_uri`` (§2.2) that the authorization endpoint turns back into the
pushed request (§4); refusals: a reused, expired, another client's or another tenant's
``request_uri``, a ``request_uri`` inside the pushed body (§2.1), invalid pushed parameters (§2.3),
failed client authentication, and GET at the endpoint.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from client_jwt_helpers import ALGORITHMS, key_client
from gatehouse_client import RP, Browser, check_access_token, expect
from gatehouse_http import HTTP_TIMEOUT

URN = "urn:ietf:params:oauth:request_uri:"


def rp_for(tenant, client, auth_method: str | None = None) -> RP:
    method = auth_method or ("client_secret_basic" if client.client_secret else "none")
    return RP(
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_endpoint_auth_method=method,
        scope="openid profile email",
        redirect_uri=client.redirect_uri,
        token_endpoint=tenant.endpoint("token_endpoint"),
    )


def push(tenant, rp: RP, **params) -> requests.Response:
    """POST the authorization request parameters to the PAR endpoint, authenticated with the
    session's client authentication method (Authlib's, as at the token endpoint)."""
    body = {"response_type": "code", "redirect_uri": rp.redirect_uri, "scope": rp.scope, **params}
    auth = rp.client_auth(rp.token_endpoint_auth_method)
    return rp.post(
        tenant.endpoint("pushed_authorization_request_endpoint"),
        data=body,
        auth=auth,
        withhold_token=True,
        timeout=HTTP_TIMEOUT,
    )


def pkce() -> tuple[str, str]:
    verifier = generate_token(48)
    return verifier, create_s256_code_challenge(verifier)


def authorize_url(tenant, client_id: str, request_uri: str, **extra) -> str:
    query = {"client_id": client_id, "request_uri": request_uri, **extra}
    return tenant.endpoint("authorization_endpoint") + "?" + urlencode(query)


def pushed_flow(tenant, client, rp: RP, user=None) -> dict:
    """Push, authorize with the request_uri, redeem the code; returns the token response."""
    user = user or tenant.create_user()
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(12)
    resp = expect(push(tenant, rp, state=state, nonce="n-1", code_challenge=challenge, code_challenge_method="S256"), 201)
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    answer = resp.json()
    assert answer["request_uri"].startswith(URN) and answer["expires_in"] == 60, answer
    # Parameters in the query beside client_id are ignored (RFC 9126 §4): the pushed state wins.
    auth = Browser().authorize(
        authorize_url(tenant, client.client_id, answer["request_uri"], state="from-query"),
        client.redirect_uri,
        user=user,
        consent="allow",
    )
    assert auth.code, auth.trace()
    assert auth.params.get("state") == state and auth.params.get("iss") == tenant.issuer, auth.params
    token = rp.fetch_token(code=auth.code, code_verifier=verifier, redirect_uri=client.redirect_uri)
    assert token.get("id_token") and token.get("access_token"), token
    assert check_access_token(tenant, client, token["access_token"], user=user)["sub"] == user.id
    return answer


def refused_page(tenant, url: str) -> requests.Response:
    """The authorization endpoint shows an error page: no redirect to the client."""
    resp = Browser().get(url)
    assert resp.status_code == 400 and "Location" not in resp.headers, (resp.status_code, resp.headers)
    return resp


def test_discovery_lists_the_endpoint(tenant):
    doc = tenant.discovery
    assert doc["pushed_authorization_request_endpoint"] == tenant.issuer + "/par", doc
    assert doc["require_pushed_authorization_requests"] is False, doc


def test_confidential_client_push_and_one_time_use(tenant):
    client = tenant.create_client("confidential")
    answer = pushed_flow(tenant, client, rp_for(tenant, client))
    # RFC 9126 §4: one-time use.
    refused_page(tenant, authorize_url(tenant, client.client_id, answer["request_uri"]))


def test_public_client_push(tenant):
    client = tenant.create_client("public")
    pushed_flow(tenant, client, rp_for(tenant, client))


def test_private_key_jwt_push(tenant):
    key = ALGORITHMS["ES256"]("es-par")
    client = key_client(tenant, [key])
    rp = RP(
        client_id=client.client_id,
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",
        scope="openid profile email",
        redirect_uri=client.redirect_uri,
        token_endpoint=tenant.endpoint("token_endpoint"),
    )
    # The assertion's aud is the URL it is sent to: the PAR endpoint (RFC 9126 §2).
    rp.register_client_auth_method(PrivateKeyJWT(None, alg="ES256"))
    pushed_flow(tenant, client, rp)


def test_wrong_client_id_unknown_and_foreign_request_uri(tenant, other_tenant):
    client = tenant.create_client("confidential")
    other = tenant.create_client("confidential")
    _, challenge = pkce()
    uri = expect(push(tenant, rp_for(tenant, client), code_challenge=challenge, code_challenge_method="S256"), 201).json()[
        "request_uri"
    ]
    refused_page(tenant, authorize_url(tenant, other.client_id, uri))
    refused_page(tenant, authorize_url(tenant, client.client_id, URN + "unknown"))
    # Tenant isolation: a request_uri pushed at tenant A is unknown at tenant B.
    foreign = other_tenant.create_client("confidential")
    refused_page(other_tenant, authorize_url(other_tenant, foreign.client_id, uri))
    refused_page(other_tenant, authorize_url(other_tenant, client.client_id, uri))
    # Neither refusal used it up: the pushing client still can.
    resp = Browser().get(authorize_url(tenant, client.client_id, uri))
    assert resp.status_code in (302, 303), resp.status_code


def test_expired_request_uri(tenant):
    client = tenant.create_client("confidential")
    uri = expect(push(tenant, rp_for(tenant, client)), 201).json()["request_uri"]
    time.sleep(61)
    refused_page(tenant, authorize_url(tenant, client.client_id, uri))


def test_push_refusals(tenant):
    client = tenant.create_client("confidential")
    rp = rp_for(tenant, client)
    url = tenant.endpoint("pushed_authorization_request_endpoint")
    # RFC 9126 §2.1: request_uri must not be pushed.
    resp = expect(push(tenant, rp, request_uri=URN + "x"), 400)
    assert resp.json()["error"] == "invalid_request", resp.text
    # §2.3: the authorization endpoint's checks, as JSON errors.
    assert expect(push(tenant, rp, response_type="token"), 400).json()["error"] == "unsupported_response_type"
    assert expect(push(tenant, rp, scope="users:read"), 400).json()["error"] == "invalid_scope"
    assert expect(push(tenant, rp, redirect_uri="https://evil.example/cb"), 400).json()["error"] == "invalid_request"
    # Client authentication as at the token endpoint.
    bad = requests.post(
        url,
        data={"response_type": "code", "redirect_uri": client.redirect_uri},
        auth=(client.client_id, "wrong"),
        timeout=HTTP_TIMEOUT,
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client", bad.text
    missing = requests.post(url, data={"response_type": "code"}, timeout=HTTP_TIMEOUT)
    assert missing.status_code == 401 and missing.json()["error"] == "invalid_client", missing.text
    assert requests.get(url, timeout=HTTP_TIMEOUT).status_code == 405


def test_external_request_uri_still_unsupported(tenant):
    client = tenant.create_client("confidential")
    url = authorize_url(tenant, client.client_id, "https://client.example/request.jwt", response_type="code")
    resp = Browser().get(url)
    assert resp.status_code in (302, 303), resp.status_code
    assert "error=request_uri_not_supported" in resp.headers["Location"], resp.headers["Location"]


def test_tenant_requiring_pushed_requests(tenant):
    tenant.patch({"settings": {"require_pushed_authorization_requests": True}})
    doc = expect(requests.get(f"{tenant.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT), 200).json()
    assert doc["require_pushed_authorization_requests"] is True, doc
    client = tenant.create_client("confidential")
    _, challenge = pkce()
    plain = tenant.endpoint("authorization_endpoint") + "?" + urlencode(
        {
            "client_id": client.client_id,
            "response_type": "code",
            "redirect_uri": client.redirect_uri,
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    refused_page(tenant, plain)
    pushed_flow(tenant, client, rp_for(tenant, client))


def test_client_requiring_pushed_requests(tenant):
    client = tenant.create_client("confidential", require_pushed_authorization_requests=True)
    assert client.raw.get("require_pushed_authorization_requests") is True, client.raw
    shown = expect(tenant.admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}"), 200).json()
    assert shown["require_pushed_authorization_requests"] is True, shown
    plain = tenant.endpoint("authorization_endpoint") + "?" + urlencode(
        {"client_id": client.client_id, "response_type": "code", "redirect_uri": client.redirect_uri, "scope": "openid"}
    )
    refused_page(tenant, plain)
    pushed_flow(tenant, client, rp_for(tenant, client))
    # Another client of the same tenant is not bound by it.
    other = tenant.create_client("confidential")
    assert other.raw.get("require_pushed_authorization_requests") is False, other.raw
