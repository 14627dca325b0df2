"""The tenancy model (issue 3): per-tenant settings — validation, shape, and token and session lifetimes
that follow a change without a restart.
"""

from __future__ import annotations

import time

from gatehouse_client import assert_invalid_token, assert_oauth_error, assert_problem, code_flow, expect
from tenancy_helpers import (
    SESSION_COOKIE,
    client_credentials,
    headless,
    introspect_as,
    is_active,
    signed_in,
    unverified,
)
from timestamps import iso

# --------------------------------------------------------------------------- settings


def test_invalid_settings_report_every_problem_at_once(tenant):
    before = expect(tenant.admin.get(f"/tenants/{tenant.slug}"), 200).json()
    resp = tenant.admin.patch(
        f"/tenants/{tenant.slug}",
        json={
            "settings": {
                "mfa_policy": "sometimes",
                "access_token_ttl": 0,
                "refresh_token_ttl": 5,
                "session_ttl": -1,
                "allowed_origins": ["https://app.example/path", "ftp://files.example"],
                "signing_algorithms": ["HS256"],
            }
        },
    )
    body = assert_problem(resp, 422)
    fields = {e["field"] for e in body.get("errors", [])}
    for expected in (
        "settings.mfa_policy",
        "settings.access_token_ttl",
        "settings.refresh_token_ttl",
        "settings.session_ttl",
        "settings.allowed_origins[0]",
        "settings.allowed_origins[1]",
        "settings.signing_algorithms",
    ):
        assert expected in fields, (expected, body)
    after = expect(tenant.admin.get(f"/tenants/{tenant.slug}"), 200).json()
    assert after == before, "a rejected PATCH changed the tenant"


def test_settings_are_shown_and_typed(tenant):
    patched = tenant.patch(
        {
            "settings": {
                "mfa_policy": "required",
                "session_ttl": 8 * 3600,
                "refresh_token_ttl": 8 * 3600,
                "allowed_origins": ["https://app.acme.example"],
            }
        }
    )
    settings = patched["settings"]
    assert settings["mfa_policy"] == "required"
    assert settings["session_ttl"] == settings["refresh_token_ttl"] == 8 * 3600
    assert settings["allowed_origins"] == ["https://app.acme.example"]
    assert isinstance(settings["access_token_ttl"], int)
    assert expect(tenant.admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"] == settings


def test_token_and_session_lifetimes_follow_the_settings_without_restart(tenant, admin):
    tenant.patch({"settings": {"access_token_ttl": 120, "refresh_token_ttl": 600, "session_ttl": 300}})
    client = tenant.create_client("confidential")
    app = tenant.create_client("public", first_party=True)
    user = tenant.create_user()

    flow = code_flow(tenant, client, user)
    _, at = unverified(flow.access_token)
    assert at["exp"] - at["iat"] == 120, at
    assert flow.token["expires_in"] == 120, flow.token
    rt = expect(introspect_as(tenant, client, flow.refresh_token), 200).json()
    assert rt["active"] and rt["exp"] - rt["iat"] == 600, rt
    assert abs(rt["exp"] - time.time() - 600) < 10, rt
    sessions = {
        s["id"]: s for s in expect(admin.get(f"/tenants/{tenant.slug}/sessions"), 200).json()["sessions"]
    }
    session = sessions[at["sid"]]
    assert (iso(session["expires_at"]) - iso(session["created_at"])).total_seconds() == 300, session
    cookie = next(c for c in flow.browser.http.cookies if c.name == SESSION_COOKIE)
    assert cookie.expires is not None and abs(cookie.expires - time.time() - 300) < 10, cookie.expires

    cc = expect(client_credentials(tenant, client), 200).json()
    _, cc_claims = unverified(cc["access_token"])
    assert cc_claims["exp"] - cc_claims["iat"] == 120 and cc["expires_in"] == 120, cc

    hl = signed_in(tenant.public_url, app, user)
    assert hl["expires_in"] == 120
    assert (iso(hl["session"]["expires_at"]) - iso(hl["session"]["created_at"])).total_seconds() == 300, hl[
        "session"
    ]

    # Changed settings apply to the next tokens at once, without a restart.
    tenant.patch({"settings": {"access_token_ttl": 60, "refresh_token_ttl": 7200, "session_ttl": 3600}})
    refreshed = expect(tenant.refresh(client, flow.refresh_token), 200).json()
    _, at2 = unverified(refreshed["access_token"])
    assert at2["exp"] - at2["iat"] == 60 and refreshed["expires_in"] == 60, (at2, refreshed)
    rt2 = expect(introspect_as(tenant, client, refreshed["refresh_token"]), 200).json()
    assert rt2["exp"] - rt2["iat"] == 7200, rt2
    hl2 = signed_in(tenant.public_url, app, user)
    assert hl2["expires_in"] == 60
    assert (iso(hl2["session"]["expires_at"]) - iso(hl2["session"]["created_at"])).total_seconds() == 3600


def test_short_access_token_ttl_is_enforced(tenant):
    tenant.patch({"settings": {"access_token_ttl": 1}})
    client = tenant.create_client("confidential")
    app = tenant.create_client("public", first_party=True)
    user = tenant.create_user()
    token = expect(client_credentials(tenant, client), 200).json()["access_token"]
    hl = signed_in(tenant.public_url, app, user)
    assert hl["expires_in"] == 1
    time.sleep(2.2)
    assert not is_active(tenant, client, token)
    assert_invalid_token(tenant.userinfo(hl["access_token"]))
    resp = headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"])
    assert_oauth_error(resp, "invalid_token", 401)
