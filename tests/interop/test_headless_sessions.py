"""The headless auth API: sign-in, refresh, session, me and sign-out (issue 3, docs/contract.md A3): ``/v1/auth/sign-in|refresh|sign-out|session``
and ``/v1/me``, tenant chosen by ``X-Client-Id: pk_…`` (first-party public clients) or by
``Authorization: Bearer sk_…`` (server calls of confidential first-party clients).

Tokens are the OIDC provider's own tokens: verified here with PyJWT and joserfc against the
tenant's JWKS, accepted by userinfo and introspection, with the same claims as code-flow tokens.
Errors are RFC 6749 JSON with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import time
import uuid

from gatehouse_client import check_access_token, check_id_token, code_flow, describe, expect
from headless_helpers import SESSION_KEYS, assert_json_error
from tenancy_helpers import ADMIN_SCOPES, headless, introspect_as, is_active, sign_in, signed_in, unverified

# isort: split
# Shared fixtures come from headless_helpers.
from headless_helpers import app, user  # noqa: F401

# --------------------------------------------------------------------------- sign-in


def test_sign_in_returns_oidc_tokens_session_and_user(tenant, app, user):
    resp = sign_in(tenant.public_url, app, user)
    expect(resp, 200)
    assert "no-store" in resp.headers.get("Cache-Control", ""), resp.headers
    assert resp.headers.get("Content-Type", "").startswith("application/json")
    body = resp.json()
    for key in ("access_token", "refresh_token", "id_token", "expires_in", "token_type", "session", "user"):
        assert key in body, body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900, body  # the tenant's default access_token_ttl
    assert set(body["scope"].split()) == {"openid", "profile", "email"}, body
    session, me = body["session"], body["user"]
    assert SESSION_KEYS <= set(session), session
    assert session["id"].startswith("ses_") and session["user_id"] == user.id, session
    assert session["amr"] == ["pwd"], session
    assert me["id"] == user.id and me["email"] == user.email and me["name"] == user.name, me
    assert not any("password" in key for key in me), me

    # Verified against the tenant's JWKS by PyJWT and joserfc, like every OIDC token.
    at = check_access_token(tenant, app, body["access_token"], user=user, scope="openid profile email")
    idt = check_id_token(
        tenant,
        app,
        body["id_token"],
        access_token=body["access_token"],
        user=user,
        scope="openid profile email",
    )
    assert at["sid"] == idt["sid"] == session["id"], (at, idt, session)
    assert at["tid"] == tenant.id
    assert at["exp"] - at["iat"] == body["expires_in"], at
    # The refresh token is opaque (>= 256 bits), not a JWT.
    assert body["refresh_token"].count(".") == 0 and len(body["refresh_token"]) >= 43, body["refresh_token"]


def test_headless_tokens_carry_the_same_claims_as_code_flow_tokens(tenant, app, user):
    flow = code_flow(tenant, app, user)
    hl = signed_in(tenant.public_url, app, user)
    for oidc, api in ((flow.access_token, hl["access_token"]), (flow.id_token, hl["id_token"])):
        oidc_header, oidc_claims = unverified(oidc)
        api_header, api_claims = unverified(api)
        assert oidc_header["typ"] == api_header["typ"] and oidc_header["kid"] == api_header["kid"]
        assert set(api_claims) == set(oidc_claims) - {"nonce"}, (api_claims, oidc_claims)
        for claim in ("iss", "sub", "aud", "amr"):
            assert api_claims[claim] == oidc_claims[claim], claim
    # Different logins, different sessions.
    assert unverified(hl["access_token"])[1]["sid"] != unverified(flow.access_token)[1]["sid"]


def test_headless_tokens_work_at_the_oidc_endpoints(tenant, app, user):
    hl = signed_in(tenant.public_url, app, user)
    info = expect(tenant.userinfo(hl["access_token"]), 200).json()
    assert info["sub"] == user.id and info["email"] == user.email, info
    intro = expect(introspect_as(tenant, app, hl["access_token"]), 200).json()
    assert (
        intro["active"] is True
        and intro["client_id"] == app.client_id
        and intro["sid"] == hl["session"]["id"]
    )
    assert is_active(tenant, app, hl["refresh_token"])
    # Revocation at the OIDC endpoint ends what the headless API issued.
    expect(tenant.revoke(app, hl["refresh_token"]), 200)
    assert not is_active(tenant, app, hl["refresh_token"])
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/refresh",
        client_id=app.client_id,
        body={"refresh_token": hl["refresh_token"]},
    )
    assert_json_error(resp, "invalid_grant", 400)


def test_wrong_password_and_unknown_email_get_the_same_answer(tenant, app, user):
    wrong = sign_in(tenant.public_url, app, user, password="not the password 123")
    body_wrong = assert_json_error(wrong, "invalid_grant", 400)
    ghost = headless(
        tenant.public_url,
        "POST",
        "auth/sign-in",
        client_id=app.client_id,
        body={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.test", "password": "whatever 12345"},
    )
    body_ghost = assert_json_error(ghost, "invalid_grant", 400)
    assert body_wrong == body_ghost, (body_wrong, body_ghost)
    assert user.email not in wrong.text


def test_sign_in_cannot_request_admin_scopes(tenant, user):
    app = tenant.create_client("public", first_party=True, allowed_scopes="openid profile email users:read")
    resp = sign_in(tenant.public_url, app, user, scope="openid users:read")
    assert_json_error(resp, "invalid_scope", 400)
    resp = sign_in(tenant.public_url, app, user, scope="openid " + ADMIN_SCOPES)
    assert_json_error(resp, "invalid_scope", 400)


# --------------------------------------------------------------------------- refresh


def test_refresh_rotates_and_reuse_revokes_the_grant(tenant, app, user):
    hl = signed_in(tenant.public_url, app, user)
    first = hl["refresh_token"]
    resp = headless(
        tenant.public_url, "POST", "auth/refresh", client_id=app.client_id, body={"refresh_token": first}
    )
    expect(resp, 200)
    assert "no-store" in resp.headers.get("Cache-Control", "")
    rotated = resp.json()
    second = rotated["refresh_token"]
    assert second and second != first, rotated
    assert rotated["access_token"] != hl["access_token"]
    claims = check_access_token(tenant, app, rotated["access_token"], user=user)
    assert claims["sid"] == hl["session"]["id"], claims
    assert rotated.get("id_token"), rotated

    # Reuse of the rotated token is refused; after the grace window it revokes the whole grant.
    time.sleep(2.5)
    reuse = headless(
        tenant.public_url, "POST", "auth/refresh", client_id=app.client_id, body={"refresh_token": first}
    )
    assert_json_error(reuse, "invalid_grant", 400)
    resp = headless(
        tenant.public_url, "POST", "auth/refresh", client_id=app.client_id, body={"refresh_token": second}
    )
    assert_json_error(resp, "invalid_grant", 400)
    assert not is_active(tenant, app, rotated["access_token"])


def test_refresh_needs_the_refresh_token_grant(tenant, user):
    app = tenant.create_client("public", first_party=True, grant_types=["authorization_code"])
    hl = signed_in(tenant.public_url, app, user)
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/refresh",
        client_id=app.client_id,
        body={"refresh_token": hl.get("refresh_token") or "x" * 43},
    )
    assert_json_error(resp, "unauthorized_client", 400)


# --------------------------------------------------------------------------- session, me, sign-out


def test_session_and_me(tenant, app, user):
    hl = signed_in(tenant.public_url, app, user)
    resp = expect(
        headless(
            tenant.public_url, "GET", "auth/session", client_id=app.client_id, bearer=hl["access_token"]
        ),
        200,
    )
    assert "no-store" in resp.headers.get("Cache-Control", "")
    body = resp.json()
    assert set(body) == {"session"}, body
    assert set(body["session"]) == SESSION_KEYS, body
    assert body["session"] == hl["session"], (body, hl["session"])

    me = expect(
        headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"]), 200
    )
    assert me.json() == hl["user"], me.text
    assert me.json()["id"] == user.id


def test_me_needs_a_token_of_this_client(tenant, app, user):
    other = tenant.create_client("public", first_party=True, name="another app")
    token = signed_in(tenant.public_url, other, user)["access_token"]
    resp = headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=token)
    assert_json_error(resp, "invalid_token", 401)
    assert 'error="invalid_token"' in resp.headers.get("WWW-Authenticate", "")
    resp = headless(tenant.public_url, "GET", "me", client_id=app.client_id)
    assert_json_error(resp, "invalid_token", 401)
    resp = headless(tenant.public_url, "GET", "auth/session", client_id=app.client_id, bearer="not-a-token")
    assert_json_error(resp, "invalid_token", 401)


def test_sign_out_with_the_access_token_revokes_session_and_grants(tenant, app, admin, user):
    hl = signed_in(tenant.public_url, app, user)
    other = signed_in(tenant.public_url, app, user)  # a second device stays signed in
    resp = headless(
        tenant.public_url, "POST", "auth/sign-out", client_id=app.client_id, bearer=hl["access_token"]
    )
    assert resp.status_code == 204, describe(resp)
    assert "no-store" in resp.headers.get("Cache-Control", "")

    refresh = headless(
        tenant.public_url,
        "POST",
        "auth/refresh",
        client_id=app.client_id,
        body={"refresh_token": hl["refresh_token"]},
    )
    assert_json_error(refresh, "invalid_grant", 400)
    for path in ("me", "auth/session"):
        resp = headless(tenant.public_url, "GET", path, client_id=app.client_id, bearer=hl["access_token"])
        assert_json_error(resp, "invalid_token", 401)
    assert tenant.userinfo(hl["access_token"]).status_code == 401
    sessions = {
        s["id"] for s in expect(admin.get(f"/tenants/{tenant.slug}/sessions"), 200).json()["sessions"]
    }
    assert hl["session"]["id"] not in sessions and other["session"]["id"] in sessions, sessions
    expect(
        headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=other["access_token"]), 200
    )


def test_sign_out_with_the_refresh_token(tenant, app, user):
    hl = signed_in(tenant.public_url, app, user)
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/sign-out",
        client_id=app.client_id,
        body={"refresh_token": hl["refresh_token"]},
    )
    assert resp.status_code == 204, describe(resp)
    assert not is_active(tenant, app, hl["refresh_token"])
    resp = headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"])
    assert_json_error(resp, "invalid_token", 401)
