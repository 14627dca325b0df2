"""Authorization code flow with Authlib as the relying party, tokens checked with PyJWT and joserfc:
public and confidential clients, consent, ``form_post``, loopback ports, ``prompt``/``max_age`` and
userinfo.
"""

from __future__ import annotations

import time

import pytest
import requests

from authlib_helpers import SCOPE, assert_bearer_token_response, assert_token_endpoint_response, prompt_none
from gatehouse_client import (
    assert_problem,
    Browser,
    assert_html_security_headers,
    authorization_request,
    check_access_token,
    check_id_token,
    code_flow,
    expect,
    find_form,
    form_action,
    form_fields,
)

# --------------------------------------------------------------------------- code flow


def test_public_client_code_flow_with_pkce_through_login_and_consent(tenant):
    user = tenant.create_user()
    client = tenant.create_client("public")
    flow = code_flow(tenant, client, user, scope=SCOPE)

    assert flow.auth.kind == "redirect"
    assert flow.auth.login_pages == 1, flow.auth.trace()
    assert flow.auth.consent_pages == 1, "first_party=false must show the consent page"
    assert_token_endpoint_response(flow.rp)
    assert_bearer_token_response(flow.token)
    assert flow.token.get("refresh_token"), "client has the refresh_token grant type"

    id_claims = check_id_token(
        tenant,
        client,
        flow.id_token,
        access_token=flow.access_token,
        nonce=flow.nonce,
        user=user,
        scope=SCOPE,
    )
    at_claims = check_access_token(tenant, client, flow.access_token, user=user, scope=SCOPE)
    assert at_claims["sid"] == id_claims["sid"]
    assert at_claims["auth_time"] == id_claims["auth_time"]
    assert at_claims["amr"] == id_claims["amr"] == ["pwd"]


@pytest.mark.parametrize(
    "auth_method,pkce",
    [
        ("client_secret_basic", True),
        ("client_secret_post", True),
        ("client_secret_basic", False),  # PKCE is optional for confidential clients
    ],
)
def test_confidential_client_code_flow(tenant, auth_method, pkce):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope=SCOPE, auth_method=auth_method, pkce=pkce)

    assert flow.auth.consent_pages == 1
    assert_token_endpoint_response(flow.rp)
    assert_bearer_token_response(flow.token)
    check_id_token(
        tenant,
        client,
        flow.id_token,
        access_token=flow.access_token,
        nonce=flow.nonce,
        user=user,
        scope=SCOPE,
    )
    check_access_token(tenant, client, flow.access_token, user=user, scope=SCOPE)


def test_first_party_client_skips_consent(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user)
    assert flow.auth.login_pages == 1
    assert flow.auth.consent_pages == 0, flow.auth.trace()


def test_consent_denied_returns_access_denied(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    _, url, state, _, _ = authorization_request(tenant, client)
    result = Browser().authorize(url, client.redirect_uri, user=user, consent="deny")
    assert result.kind == "redirect", result.trace()
    assert result.params.get("error") == "access_denied", result.params
    assert result.params.get("state") == state
    assert result.params.get("iss") == tenant.issuer
    assert "code" not in result.params


def test_form_post_response_mode(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, response_mode="form_post")

    assert flow.auth.kind == "form_post", flow.auth.trace()
    page = flow.auth.response
    assert page.status_code == 200
    assert_html_security_headers(page)
    form = find_form(page.text, lambda f: form_action(page, f) == client.redirect_uri)
    assert form is not None and (form.get("method") or "").lower() == "post", page.text
    fields = dict(form_fields(form))
    assert {"code", "state", "iss"} <= set(fields), fields
    assert fields["iss"] == tenant.issuer
    check_id_token(
        tenant,
        client,
        flow.id_token,
        access_token=flow.access_token,
        nonce=flow.nonce,
        user=user,
        scope=SCOPE,
    )


def test_public_client_loopback_redirect_may_use_any_port(tenant):
    user = tenant.create_user()
    client = tenant.create_client("public", redirect_uris=["http://127.0.0.1/cb"])
    for port in (53123, 61001):
        flow = code_flow(tenant, client, user, redirect_uri=f"http://127.0.0.1:{port}/cb")
        assert flow.auth.location.startswith(f"http://127.0.0.1:{port}/cb?")
        check_access_token(tenant, client, flow.access_token, user=user)


# --------------------------------------------------------------------------- prompt / max_age


def test_prompt_none_with_session_returns_code_without_pages(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    first = code_flow(tenant, client, user)
    second = code_flow(tenant, client, None, browser=first.browser, prompt="none")
    assert second.auth.login_pages == 0 and second.auth.consent_pages == 0
    assert second.auth.kind == "redirect"
    a = check_id_token(tenant, client, first.id_token, nonce=first.nonce, user=user)
    b = check_id_token(tenant, client, second.id_token, nonce=second.nonce, user=user)
    assert a["sid"] == b["sid"]
    assert a["auth_time"] == b["auth_time"]


def test_prompt_none_without_session_is_login_required(tenant):
    client = tenant.create_client("confidential", first_party=True)
    result, state = prompt_none(tenant, client, Browser())
    assert result.kind == "redirect", result.trace()
    assert result.params.get("error") == "login_required", result.params
    assert result.params.get("state") == state
    assert result.params.get("iss") == tenant.issuer


@pytest.mark.parametrize("reauth", [{"prompt": "login"}, {"max_age": "0"}], ids=["prompt_login", "max_age_0"])
def test_reauthentication_forces_exactly_one_login(tenant, reauth):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    first = code_flow(tenant, client, user)
    before = check_id_token(tenant, client, first.id_token, user=user)["auth_time"]
    time.sleep(1.2)  # auth_time has one-second resolution
    second = code_flow(tenant, client, user, browser=first.browser, max_logins=1, **reauth)
    assert second.auth.login_pages == 1, second.auth.trace()
    after = check_id_token(tenant, client, second.id_token, nonce=second.nonce, user=user)
    assert after["auth_time"] > before, (before, after["auth_time"])


# --------------------------------------------------------------------------- userinfo


def test_userinfo_get_and_post_return_scoped_claims(tenant):
    user = tenant.create_user(name="Grace Hopper")
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope=SCOPE)
    url = tenant.endpoint("userinfo_endpoint")

    got = expect(flow.rp.get(url), 200)
    assert got.headers.get("Content-Type", "").startswith("application/json")
    claims = got.json()
    assert claims["sub"] == user.id
    assert claims["email"] == user.email
    assert claims["email_verified"] is True
    assert claims["name"] == "Grace Hopper"

    posted = expect(flow.rp.post(url), 200)
    assert posted.json() == claims

    # RFC 6750 §2.2: the token as the form-encoded body parameter `access_token`.
    token = flow.token["access_token"]
    form = expect(requests.post(url, data={"access_token": token}, timeout=10), 200)
    assert form.json() == claims and "no-store" in form.headers.get("Cache-Control", "")
    # §2: one method per request; the header and the body together, or the parameter twice, are
    # invalid_request (400 with the Bearer challenge, §3.1). A query parameter (§2.3) is not read.
    both = requests.post(url, data={"access_token": token}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    twice = requests.post(url, data=[("access_token", token), ("access_token", token)], timeout=10)
    for resp in (both, twice):
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_request", resp.text
        assert 'error="invalid_request"' in resp.headers.get("WWW-Authenticate", ""), resp.headers
    query = requests.get(url, params={"access_token": token}, timeout=10)
    assert query.status_code == 401 and "error=" not in query.headers["WWW-Authenticate"], query.text
    forged = requests.post(url, data={"access_token": token[:-4] + "AAAA"}, timeout=10)
    assert forged.status_code == 401 and 'error="invalid_token"' in forged.headers["WWW-Authenticate"]


def test_userinfo_claims_follow_the_granted_scope(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope="openid")
    claims = expect(tenant.userinfo(flow.access_token), 200).json()
    assert claims["sub"] == user.id
    assert "email" not in claims and "name" not in claims, claims
    id_claims = check_id_token(tenant, client, flow.id_token, user=user, scope="openid")
    assert "email" not in id_claims and "name" not in id_claims, id_claims


def test_scopes_the_server_does_not_define_are_ignored_in_an_openid_request(tenant):
    """OIDC Core §3.1.2.1: a relying party asking for every scope it knows still gets a login; the
    token response names the scope granted (RFC 6749 §5.1)."""
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user, scope="openid profile email urn:example:unknown x-custom")
    assert flow.auth.kind == "redirect" and flow.access_token, flow.auth.trace()
    assert set(flow.token["scope"].split()) == {"openid", "profile", "email"}, flow.token
    claims = check_access_token(tenant, client, flow.access_token, user=user, scope="openid profile email")
    assert "x-custom" not in claims["scope"]


def test_phone_and_address_scopes_release_the_profile_fields(tenant):
    """OIDC Core §5.4: `phone` → `phone_number`, `phone_number_verified`; `address` → `address`
    (§5.1.1), in the ID token and userinfo, set through the admin API."""
    user = tenant.create_user()
    path = f"/tenants/{tenant.slug}/users/{user.id}"
    address = {"street_address": "1 Main Street", "locality": "Springfield", "postal_code": "12345", "country": "US"}
    updated = expect(
        tenant.admin.patch(path, json={"phone_number": "+14155550123", "phone_number_verified": True, "address": address}), 200
    ).json()
    assert updated["phone_number"] == "+14155550123" and updated["phone_number_verified"] is True
    assert updated["address"] == address
    for bad, field in [
        ({"phone_number": "555-0123"}, "phone_number"),
        ({"address": {"city": "x"}}, "address.city"),
        ({"address": {"locality": 5}}, "address.locality"),
        ({"address": "Springfield"}, "address"),
    ]:
        problem = assert_problem(tenant.admin.patch(path, json=bad), 422)
        assert field in [e["field"] for e in problem["errors"]], problem
    discovery = tenant.discovery
    assert {"address", "phone"} <= set(discovery["scopes_supported"])
    assert {"phone_number", "phone_number_verified", "address"} <= set(discovery["claims_supported"])

    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user, scope="openid phone address")
    claims = expect(tenant.userinfo(flow.access_token), 200).json()
    assert claims["phone_number"] == "+14155550123" and claims["phone_number_verified"] is True
    assert claims["address"] == address and "email" not in claims
    id_claims = check_id_token(tenant, client, flow.id_token, user=user, scope="openid phone address")
    assert id_claims["phone_number"] == "+14155550123" and id_claims["address"] == address
    # Without the scopes, nothing; a removed number is gone.
    plain = code_flow(tenant, client, user, scope="openid email")
    assert "phone_number" not in expect(tenant.userinfo(plain.access_token), 200).json()
    cleared = expect(tenant.admin.patch(path, json={"phone_number": None, "address": None}), 200).json()
    assert "phone_number" not in cleared and cleared["phone_number_verified"] is False and "address" not in cleared
    again = expect(tenant.userinfo(flow.access_token), 200).json()
    assert "phone_number" not in again and "address" not in again
