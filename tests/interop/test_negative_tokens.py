"""What Gatehouse must refuse with tokens: bad client credentials, cross-tenant and cross-client
token use, malformed token requests, forged and expired bearer tokens.
"""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid

import pytest
import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    assert_invalid_token,
    assert_oauth_error,
    authorization_request,
    b64url,
    code_flow,
    describe,
    expect,
)

# --------------------------------------------------------------------------- client authentication


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_wrong_client_secret_is_401_invalid_client(tenant, auth):
    client = tenant.create_client("confidential")
    client.client_secret = client.client_secret + "x"
    resp = tenant.token_request({"grant_type": "client_credentials"}, client, auth=auth)
    assert_oauth_error(resp, "invalid_client", 401)
    assert resp.headers.get("WWW-Authenticate"), describe(resp)


def test_unknown_client_is_401_invalid_client(tenant):
    client = tenant.create_client("confidential")
    client.client_id = "pk_test_doesnotexist0000000000"
    resp = tenant.token_request({"grant_type": "client_credentials"}, client, auth="basic")
    assert_oauth_error(resp, "invalid_client", 401)
    assert resp.headers.get("WWW-Authenticate"), describe(resp)


def test_client_credentials_of_tenant_a_are_invalid_at_tenant_b(tenant, other_tenant):
    client_a = tenant.create_client("confidential")
    expect(tenant.token_request({"grant_type": "client_credentials"}, client_a), 200)
    resp = other_tenant.token_request({"grant_type": "client_credentials"}, client_a)
    assert_oauth_error(resp, "invalid_client", 401)
    assert resp.headers.get("WWW-Authenticate"), describe(resp)


def test_a_client_id_with_a_nul_byte_is_no_alias_of_the_client(admin, tenant):
    """`client_id` is VSCHAR (RFC 6749 Appendix A.1): `id%00…` is an unknown client, before and
    after the real client's secret is rotated or the client deleted (SQLite compares text only up
    to a NUL byte; such an id must never reach a client, nor keep a stale copy alive)."""
    client = tenant.create_client("confidential")
    alias = copy.copy(client)
    alias.client_id = client.client_id + "\x00x"
    assert_oauth_error(tenant.token_request({"grant_type": "client_credentials"}, alias, auth="post"), "invalid_client", 401)
    expect(tenant.token_request({"grant_type": "client_credentials"}, client, auth="post"), 200)
    old_secret = client.client_secret
    expect(admin.post(f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret", json={}), 200)
    alias.client_secret = old_secret
    assert_oauth_error(tenant.token_request({"grant_type": "client_credentials"}, alias, auth="post"), "invalid_client", 401)
    expect(admin.delete(f"/tenants/{tenant.slug}/clients/{client.client_id}"), 204)
    assert_oauth_error(tenant.token_request({"grant_type": "client_credentials"}, alias, auth="post"), "invalid_client", 401)


# --------------------------------------------------------------------------- tenant isolation


def test_token_of_tenant_a_is_invalid_at_tenant_b(tenant, other_tenant):
    user = tenant.create_user()
    client_a = tenant.create_client("confidential")
    client_b = other_tenant.create_client("confidential")
    flow = code_flow(tenant, client_a, user)
    expect(tenant.userinfo(flow.access_token), 200)

    assert_invalid_token(other_tenant.userinfo(flow.access_token))
    assert not other_tenant.is_active(client_b, flow.access_token)
    assert not other_tenant.is_active(client_b, flow.refresh_token)


def test_session_cookies_are_scoped_to_the_tenant_path(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user)
    cookies = list(flow.browser.http.cookies)
    assert cookies, "login should set a session cookie"
    prefix = f"/t/{tenant.slug}"
    for cookie in cookies:
        assert cookie.path == prefix or cookie.path.startswith(prefix + "/"), (
            f"cookie {cookie.name} has path {cookie.path!r}, wider than {prefix}"
        )
    assert any(c.path == prefix and c.has_nonstandard_attr("HttpOnly") for c in cookies), [
        (c.name, c.path, c._rest) for c in cookies
    ]


def test_a_session_at_tenant_a_is_no_session_at_tenant_b(tenant, other_tenant):
    user = tenant.create_user()
    client_a = tenant.create_client("confidential", first_party=True)
    client_b = other_tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client_a, user)
    _, url, _, _, _ = authorization_request(other_tenant, client_b, prompt="none")
    result = flow.browser.authorize(url, client_b.redirect_uri, user=None, consent=None)
    assert result.params.get("error") == "login_required", result.trace()


def test_same_email_in_two_tenants_are_different_users(tenant, other_tenant):
    a = tenant.create_user(email=f"twin-{uuid.uuid4().hex[:8]}@example.test")
    b = other_tenant.create_user(email=a.email, password="another password 123")
    assert a.id != b.id
    client_b = other_tenant.create_client("confidential")
    _, url, _, _, _ = authorization_request(other_tenant, client_b)
    result = Browser().authorize(url, client_b.redirect_uri, user=a)  # tenant A's password
    assert not result.code, "tenant A's password logged in at tenant B"


# --------------------------------------------------------------------------- token endpoint input


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=openid&scope=email",
        "grant_type=authorization_code&code=a&code=b&redirect_uri=https%3A%2F%2Frp.example%2Fcb",
    ],
    ids=["grant_type", "scope", "code"],
)
def test_duplicate_token_parameters_are_invalid_request(tenant, body):
    client = tenant.create_client("confidential")
    resp = tenant.token_request(body, client)
    assert_oauth_error(resp, "invalid_request")


def test_get_on_token_endpoint_issues_no_token(tenant):
    client = tenant.create_client("confidential")
    resp = requests.get(
        tenant.endpoint("token_endpoint"),
        params={"grant_type": "client_credentials"},
        headers=client.basic_auth(),
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert resp.status_code in (400, 405), describe(resp)
    assert "access_token" not in resp.text


def test_json_body_at_token_endpoint_issues_no_token(tenant):
    client = tenant.create_client("confidential")
    resp = requests.post(
        tenant.endpoint("token_endpoint"),
        json={"grant_type": "client_credentials"},
        headers=client.basic_auth(),
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert resp.status_code in (400, 415), describe(resp)
    assert "access_token" not in resp.text


def test_token_error_responses_are_json_and_not_cached(tenant):
    client = tenant.create_client("confidential")
    resp = tenant.token_request(
        {"grant_type": "authorization_code", "code": "nope", "redirect_uri": client.redirect_uri}, client
    )
    assert_oauth_error(resp, "invalid_grant")
    assert resp.headers.get("Content-Type", "").startswith("application/json")
    assert "no-store" in resp.headers.get("Cache-Control", "")


# --------------------------------------------------------------------------- bearer tokens


def test_userinfo_without_token_is_a_bare_bearer_challenge(tenant):
    resp = tenant.userinfo(None)
    assert resp.status_code == 401, describe(resp)
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.lower().startswith("bearer"), challenge
    assert "error=" not in challenge, challenge


def _tamper(token: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "usr_someone_else"
    return ".".join([header, b64url(json.dumps(claims).encode()), sig])


def _alg_none(token: str) -> str:
    _, payload, _ = token.split(".")
    header = b64url(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return f"{header}.{payload}."


@pytest.mark.parametrize("forge", ["garbage", "tampered", "alg_none", "id_token"])
def test_forged_bearer_tokens_are_invalid_token(tenant, forge):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user)
    token = {
        "garbage": "definitely-not-a-token",
        "tampered": _tamper(flow.access_token),
        "alg_none": _alg_none(flow.access_token),
        "id_token": flow.id_token,  # an ID token is not an access token (typ at+jwt)
    }[forge]
    assert_invalid_token(tenant.userinfo(token))
    assert not tenant.is_active(client, token)


def test_expired_access_token_is_invalid(tenant):
    tenant.patch({"settings": {"access_token_ttl": 1}})
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user)
    time.sleep(3)
    assert_invalid_token(tenant.userinfo(flow.access_token))
    assert not tenant.is_active(client, flow.access_token)
