"""The token lifecycle with Authlib as the relying party: refresh rotation and reuse, client
credentials, introspection, revocation and RP-initiated logout.
"""

from __future__ import annotations

import time

import pytest

from authlib_helpers import SCOPE, assert_bearer_token_response, assert_token_endpoint_response, prompt_none
from gatehouse_client import (
    RP,
    assert_html_security_headers,
    assert_invalid_token,
    assert_oauth_error,
    check_access_token,
    check_id_token,
    code_flow,
    expect,
    find_form,
    has_decision,
    query_params,
    url_base,
)

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
