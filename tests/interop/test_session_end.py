"""Ending a session ends every grant issued under it (issue 18 item 2), ``offline_access``
included, on each of the four ways a session ends: the admin API, the account console's
"sign out this device", headless sign-out and RP-Initiated Logout.

After the end: the refresh token is ``invalid_grant``, the access token is inactive at
introspection, and no new ID token carries the ended session's ``sid``.
"""

from __future__ import annotations

import jwt as pyjwt
from accounts_pages import Console
from gatehouse_client import Browser, assert_oauth_error, code_flow, describe, expect
from tenancy_helpers import headless, is_active, signed_in

OFFLINE = "openid offline_access"


def sid_of(id_token: str) -> str:
    return pyjwt.decode(id_token, options={"verify_signature": False})["sid"]


def assert_ended(tenant, client, refresh_token: str, access_token: str) -> None:
    assert_oauth_error(tenant.refresh(client, refresh_token), "invalid_grant")
    assert not tenant.is_active(client, access_token)
    assert not tenant.is_active(client, refresh_token)


def browser_grant(tenant, client, user):
    """A code flow with ``offline_access``: (flow, sid)."""
    flow = code_flow(tenant, client, user, scope=OFFLINE, prompt="consent")
    assert flow.token.get("refresh_token"), flow.token
    sid = sid_of(flow.id_token)
    # Before the end, refreshing works and the new ID token carries the session's sid.
    refreshed = expect(tenant.refresh(client, flow.refresh_token), 200).json()
    assert sid_of(refreshed["id_token"]) == sid
    return refreshed, sid


def test_admin_session_delete_ends_offline_grant(tenant, admin):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    tokens, sid = browser_grant(tenant, client, user)
    expect(admin.delete(f"/tenants/{tenant.slug}/sessions/{sid}"), 204)
    assert_ended(tenant, client, tokens["refresh_token"], tokens["access_token"])


def test_rp_initiated_logout_ends_offline_grant(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user, scope=OFFLINE, prompt="consent")
    resp = flow.browser.logout(
        tenant.endpoint("end_session_endpoint"),
        {"id_token_hint": flow.id_token, "post_logout_redirect_uri": client.post_logout_redirect_uri},
    )
    assert resp.status_code in (302, 303), describe(resp)
    assert_ended(tenant, client, flow.refresh_token, flow.access_token)


def test_console_sign_out_of_a_device_ends_offline_grant(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    tokens, sid = browser_grant(tenant, client, user)
    console = Console(tenant, Browser())
    console.sign_in(user.email, user.password)
    back = console.act(f"/account/sessions/{sid}/revoke")
    assert back.status_code == 200, describe(back)
    assert_ended(tenant, client, tokens["refresh_token"], tokens["access_token"])


def test_headless_sign_out_ends_offline_grant(tenant):
    user = tenant.create_user()
    app = tenant.create_client("public", first_party=True, name="First-party app")
    hl = signed_in(tenant.public_url, app, user, scope=OFFLINE)
    resp = headless(tenant.public_url, "POST", "auth/sign-out", client_id=app.client_id, bearer=hl["access_token"])
    assert resp.status_code == 204, describe(resp)
    refresh = headless(
        tenant.public_url, "POST", "auth/refresh", client_id=app.client_id, body={"refresh_token": hl["refresh_token"]}
    )
    assert_oauth_error(refresh, "invalid_grant")
    assert not is_active(tenant, app, hl["access_token"])
    assert not is_active(tenant, app, hl["refresh_token"])
