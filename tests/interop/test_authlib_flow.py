"""Authorization code flow with Authlib as the relying party, tokens checked with
PyJWT and joserfc, and the token lifecycle endpoints (userinfo, refresh,
introspection, revocation, logout)."""

import time

import pytest

from gatehouse_client import (
    RP,
    Browser,
    assert_html_security_headers,
    assert_invalid_token,
    assert_oauth_error,
    authorization_request,
    check_access_token,
    check_id_token,
    code_flow,
    expect,
    find_form,
    form_action,
    form_fields,
    has_decision,
    query_params,
    url_base,
)

SCOPE = "openid profile email"


def assert_token_endpoint_response(rp: RP) -> None:
    resp = rp.raw_responses[-1]
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    assert "no-store" in resp.headers.get("Cache-Control", ""), resp.headers


def assert_bearer_token_response(token: dict) -> None:
    assert token["token_type"].lower() == "bearer", token
    assert int(token["expires_in"]) > 0, token
    assert token.get("access_token"), token


def prompt_none(tenant, client, browser):
    """Authorization request with prompt=none; returns (AuthResult, state)."""
    _, url, state, _, _ = authorization_request(tenant, client, prompt="none")
    return browser.authorize(url, client.redirect_uri, user=None, consent=None), state


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


def test_userinfo_claims_follow_the_granted_scope(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope="openid")
    claims = expect(tenant.userinfo(flow.access_token), 200).json()
    assert claims["sub"] == user.id
    assert "email" not in claims and "name" not in claims, claims
    id_claims = check_id_token(tenant, client, flow.id_token, user=user, scope="openid")
    assert "email" not in id_claims and "name" not in id_claims, id_claims


# --------------------------------------------------------------------------- refresh


def test_refresh_rotates_the_refresh_token_and_reissues_the_id_token(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope=SCOPE)
    original = check_id_token(tenant, client, flow.id_token, nonce=flow.nonce, user=user)
    old_refresh = flow.refresh_token

    new = flow.rp.refresh_token(tenant.endpoint("token_endpoint"), refresh_token=old_refresh)
    assert_token_endpoint_response(flow.rp)
    assert new.get("refresh_token") and new["refresh_token"] != old_refresh
    assert new["access_token"] != flow.access_token
    refreshed = check_id_token(
        tenant, client, new["id_token"], access_token=new["access_token"], user=user, scope=SCOPE
    )
    assert refreshed["sub"] == original["sub"]
    assert refreshed["aud"] == original["aud"]
    assert refreshed["auth_time"] == original["auth_time"]
    check_access_token(tenant, client, new["access_token"], user=user)
    assert expect(tenant.userinfo(new["access_token"]), 200).json()["sub"] == user.id


def test_public_client_refresh_rotates(tenant):
    user = tenant.create_user()
    client = tenant.create_client("public")
    flow = code_flow(tenant, client, user)
    resp = expect(tenant.refresh(client, flow.refresh_token), 200)
    assert resp.json()["refresh_token"] != flow.refresh_token


def test_reusing_a_rotated_refresh_token_within_grace_keeps_the_grant(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user)
    rt0 = flow.refresh_token
    first = expect(tenant.refresh(client, rt0), 200).json()
    rt1 = first["refresh_token"]

    assert_oauth_error(tenant.refresh(client, rt0), "invalid_grant")

    second = expect(tenant.refresh(client, rt1), 200).json()
    assert second["refresh_token"] not in (rt0, rt1)
    assert tenant.is_active(client, second["access_token"])


def test_reusing_a_rotated_refresh_token_after_grace_revokes_the_grant(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user)
    rt0 = flow.refresh_token
    first = expect(tenant.refresh(client, rt0), 200).json()
    rt1, at1 = first["refresh_token"], first["access_token"]
    assert tenant.is_active(client, at1)

    time.sleep(2.5)  # grace window is 2 s
    assert_oauth_error(tenant.refresh(client, rt0), "invalid_grant")

    assert_oauth_error(tenant.refresh(client, rt1), "invalid_grant")
    assert not tenant.is_active(client, at1)
    assert not tenant.is_active(client, flow.access_token)
    assert_invalid_token(tenant.userinfo(at1))


# --------------------------------------------------------------------------- client credentials


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_grant(tenant, auth_method):
    client = tenant.create_client("confidential", grant_types=["client_credentials"])
    rp = RP(
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_endpoint_auth_method=auth_method,
    )
    token = rp.fetch_token(tenant.endpoint("token_endpoint"), grant_type="client_credentials")
    assert_token_endpoint_response(rp)
    assert_bearer_token_response(token)
    assert "refresh_token" not in token, token
    assert "id_token" not in token, token
    claims = check_access_token(tenant, client, token["access_token"])
    assert claims["sub"] == client.client_id

    info = expect(tenant.introspect(client, token["access_token"]), 200).json()
    assert info["active"] is True
    assert info["client_id"] == client.client_id
    assert info["sub"] == client.client_id


# --------------------------------------------------------------------------- introspection


def test_introspection_describes_an_active_access_token(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope=SCOPE)

    resp = flow.rp.introspect_token(
        tenant.endpoint("introspection_endpoint"),
        token=flow.access_token,
        token_type_hint="access_token",
    )
    expect(resp, 200)
    info = resp.json()
    assert info["active"] is True, info
    assert set(info["scope"].split()) == set(SCOPE.split())
    assert info["client_id"] == client.client_id
    assert info["sub"] == user.id
    assert info["iss"] == tenant.issuer
    assert info["exp"] > time.time() and info["iat"] <= time.time() + 5
    assert info.get("token_type"), info


def test_introspection_of_garbage_is_inactive_and_requires_client_auth(tenant):
    client = tenant.create_client("confidential")
    resp = expect(tenant.introspect(client, "not-a-token"), 200)
    assert resp.json().get("active") is False, resp.json()
    expect(tenant.introspect(None, "not-a-token"), 401)


def test_introspection_by_another_client_is_inactive(tenant):
    user = tenant.create_user()
    client_a = tenant.create_client("confidential", name="A")
    client_b = tenant.create_client("confidential", name="B")
    flow = code_flow(tenant, client_a, user)
    assert tenant.is_active(client_a, flow.access_token)
    assert not tenant.is_active(client_b, flow.access_token)


# --------------------------------------------------------------------------- revocation


def test_revoking_an_access_token(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user)
    resp = flow.rp.revoke_token(
        tenant.endpoint("revocation_endpoint"),
        token=flow.access_token,
        token_type_hint="access_token",
    )
    expect(resp, 200)
    assert not tenant.is_active(client, flow.access_token)
    assert_invalid_token(tenant.userinfo(flow.access_token))


@pytest.mark.parametrize("client_type", ["confidential", "public"])
def test_revoking_a_refresh_token_revokes_its_grant(tenant, client_type):
    user = tenant.create_user()
    client = tenant.create_client(client_type)
    flow = code_flow(tenant, client, user)
    expect(tenant.revoke(client, flow.refresh_token, hint="refresh_token"), 200)
    assert_oauth_error(tenant.refresh(client, flow.refresh_token), "invalid_grant")
    assert_invalid_token(tenant.userinfo(flow.access_token))


def test_revoking_an_unknown_token_is_200(tenant):
    client = tenant.create_client("confidential")
    expect(tenant.revoke(client, "no-such-token"), 200)
    expect(tenant.revoke(client, "no-such-token", hint="refresh_token"), 200)


# --------------------------------------------------------------------------- logout


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_logout_with_id_token_hint_ends_session_and_redirects(tenant, method):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user)

    resp = flow.browser.logout(
        tenant.endpoint("end_session_endpoint"),
        {
            "id_token_hint": flow.id_token,
            "post_logout_redirect_uri": client.post_logout_redirect_uri,
            "state": "bye-123",
        },
        method=method,
        confirm=False,
    )
    assert resp.status_code in (302, 303), resp.text
    location = resp.headers["Location"]
    assert url_base(location) == client.post_logout_redirect_uri, location
    assert query_params(location).get("state") == "bye-123", location

    result, _ = prompt_none(tenant, client, flow.browser)
    assert result.params.get("error") == "login_required", result.trace()
    # The grant had no offline_access: it ended with the session.
    assert_oauth_error(tenant.refresh(client, flow.refresh_token), "invalid_grant")
    assert not tenant.is_active(client, flow.access_token)


def test_logout_without_id_token_hint_asks_for_confirmation(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user)
    end_session = tenant.endpoint("end_session_endpoint")

    page = flow.browser.follow(flow.browser.get(end_session))
    assert page.status_code == 200, page.text
    assert_html_security_headers(page)
    form = find_form(page.text, lambda f: has_decision(f, "logout"))
    assert form is not None, page.text

    # Just showing the page signs nobody out.
    still, _ = prompt_none(tenant, client, flow.browser)
    assert still.code, still.trace()

    done = flow.browser.submit(page, form, submitter=("decision", "logout"))
    assert done.status_code < 500, done.text
    result, _ = prompt_none(tenant, client, flow.browser)
    assert result.params.get("error") == "login_required", result.trace()


def test_offline_access_grant_ends_with_logout(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope="openid offline_access", prompt="consent")
    assert flow.token.get("refresh_token")
    resp = flow.browser.logout(
        tenant.endpoint("end_session_endpoint"),
        {"id_token_hint": flow.id_token, "post_logout_redirect_uri": client.post_logout_redirect_uri},
    )
    assert resp.status_code in (302, 303), resp.text
    # Issue 18: every grant issued under the session ends with it, offline ones included.
    assert_oauth_error(tenant.refresh(client, flow.refresh_token), "invalid_grant")
    assert not tenant.is_active(client, flow.access_token)
