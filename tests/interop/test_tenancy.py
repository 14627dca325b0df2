"""The tenancy model (issue 3): publishable and secret keys, secret rotation, per-tenant
settings (validation, TTLs, CORS), tenant-scoped admin access, tenant deletion, signing key
rotation with pre-publication, and per-client signing algorithms.

Key rotation runs against a second, private server started by this module with
``[keys] pre_publication_seconds = 3``, so that a new key's activation can be watched.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import replace
from datetime import datetime

import pytest
import requests
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    assert_invalid_token,
    assert_oauth_error,
    assert_problem,
    at_hash,
    authorization_request,
    code_flow,
    describe,
    expect,
    unique_slug,
)
from tenancy_helpers import (
    SESSION_COOKIE,
    admin_token,
    assert_cors,
    assert_no_cors,
    client_credentials,
    create_admin_client,
    headless,
    introspect_as,
    is_active,
    jwks_kids,
    max_age,
    scoped_admin,
    signed_in,
    start_server,
    unverified,
    verify_jwt,
)

ENVIRONMENTS = ("live", "test", "dev")


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- keys


def test_publishable_and_secret_key_formats_per_environment(admin):
    seen: list[str] = []
    for env in ENVIRONMENTS:
        tenant = admin.create_tenant(environment=env)
        for _ in range(3):
            public = tenant.create_client("public")
            confidential = tenant.create_client("confidential")
            for client in (public, confidential):
                assert re.fullmatch(rf"pk_{env}_[0-9A-Za-z]{{24}}", client.client_id), client.client_id
                seen.append(client.client_id)
            assert public.client_secret is None and public.raw.get("client_secret") is None, public.raw
            assert re.fullmatch(rf"sk_{env}_[0-9A-Za-z]{{43}}", confidential.client_secret), (
                confidential.client_secret
            )
            seen.append(confidential.client_secret)
    assert len(seen) == len(set(seen)), "keys repeat across the instance"


def test_secret_key_is_shown_once(tenant):
    client = tenant.create_client("confidential")
    shown = expect(tenant.admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}"), 200)
    assert shown.json().get("client_secret") is None, shown.text
    assert client.client_secret not in shown.text
    listed = expect(tenant.admin.get(f"/tenants/{tenant.slug}/clients"), 200)
    assert client.client_secret not in listed.text
    assert all(c.get("client_secret") is None for c in listed.json()["clients"]), listed.text
    patched = expect(
        tenant.admin.patch(f"/tenants/{tenant.slug}/clients/{client.client_id}", json={"name": "x"}), 200
    )
    assert patched.json().get("client_secret") is None and client.client_secret not in patched.text


def rotate_secret(tenant, client, body=None):
    kwargs = {"json": body} if body is not None else {}
    resp = expect(
        tenant.admin.post(f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret", **kwargs), 200
    )
    data = resp.json()
    assert re.fullmatch(r"sk_test_[0-9A-Za-z]{43}", data["client_secret"]), data
    assert data["client_secret"] != client.client_secret
    assert "no-store" in resp.headers.get("Cache-Control", "")
    return data


def with_secret(client, secret):
    """The same client presenting another secret key."""
    return replace(client, client_secret=secret)


@pytest.mark.parametrize("body", [None, {"overlap_seconds": 0}], ids=["default", "explicit-0"])
def test_secret_rotation_without_overlap_invalidates_the_old_secret_at_once(tenant, body):
    client = tenant.create_client("confidential")
    expect(client_credentials(tenant, client), 200)
    data = rotate_secret(tenant, client, body)
    old = client_credentials(tenant, client)
    assert_oauth_error(old, "invalid_client", 401)
    assert old.headers.get("WWW-Authenticate"), describe(old)
    expect(client_credentials(tenant, with_secret(client, data["client_secret"])), 200)
    expect(client_credentials(tenant, with_secret(client, data["client_secret"]), auth="post"), 200)
    # The new secret is shown once too.
    shown = tenant.admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}")
    assert data["client_secret"] not in shown.text


def test_secret_rotation_with_overlap_keeps_both_secrets_valid(tenant):
    client = tenant.create_client("confidential")
    data = rotate_secret(tenant, client, {"overlap_seconds": 300})
    assert data.get("previous_secret_expires_at"), data
    new = with_secret(client, data["client_secret"])
    for c in (client, new):
        expect(client_credentials(tenant, c), 200)
        expect(client_credentials(tenant, c, auth="post"), 200)
        assert expect(introspect_as(tenant, c, "unknown-token"), 200).json() == {"active": False}


def test_secret_rotation_overlap_ends(tenant):
    client = tenant.create_client("confidential")
    data = rotate_secret(tenant, client, {"overlap_seconds": 1})
    expect(client_credentials(tenant, client), 200)
    time.sleep(1.6)
    assert_oauth_error(client_credentials(tenant, client), "invalid_client", 401)
    expect(client_credentials(tenant, with_secret(client, data["client_secret"])), 200)


@pytest.mark.parametrize("overlap", [-1, 30 * 86400 + 1, "60"])
def test_secret_rotation_overlap_is_validated(tenant, overlap):
    client = tenant.create_client("confidential")
    resp = tenant.admin.post(
        f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret", json={"overlap_seconds": overlap}
    )
    assert_problem(resp, 400, 422)
    expect(client_credentials(tenant, client), 200)  # nothing rotated


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


# --------------------------------------------------------------------------- CORS


def origin_for(tenant, name="app"):
    return f"https://{name}-{tenant.slug}.example"


def cors_requests(tenant, client, app, user, origin):
    """Every CORS-enabled request of a tenant (successes and errors), as (label, response)."""
    h = {"Origin": origin}
    token = expect(client_credentials(tenant, client), 200).json()["access_token"]
    hl = signed_in(tenant.public_url, app, user)
    bad = {"Authorization": "Basic " + "eDp5"}  # x:y
    out = [
        (
            "discovery",
            requests.get(
                f"{tenant.issuer}/.well-known/openid-configuration", headers=h, timeout=HTTP_TIMEOUT
            ),
        ),
        (
            "RFC 8414 discovery",
            requests.get(
                f"{tenant.public_url}/.well-known/oauth-authorization-server/t/{tenant.slug}",
                headers=h,
                timeout=HTTP_TIMEOUT,
            ),
        ),
        ("jwks", requests.get(tenant.endpoint("jwks_uri"), headers=h, timeout=HTTP_TIMEOUT)),
        ("token 200", tenant.token_request({"grant_type": "client_credentials"}, client, headers=h)),
        (
            "token 401 invalid_client",
            tenant.token_request({"grant_type": "client_credentials"}, None, headers={**h, **bad}),
        ),
        (
            "token 400 invalid_grant",
            tenant.token_request({"grant_type": "refresh_token", "refresh_token": "x"}, client, headers=h),
        ),
        (
            "userinfo 200",
            requests.get(
                tenant.endpoint("userinfo_endpoint"),
                headers={**h, "Authorization": f"Bearer {hl['access_token']}"},
                timeout=HTTP_TIMEOUT,
            ),
        ),
        (
            "userinfo 401",
            requests.get(
                tenant.endpoint("userinfo_endpoint"),
                headers={**h, "Authorization": "Bearer nope"},
                timeout=HTTP_TIMEOUT,
            ),
        ),
        (
            "introspection 200",
            requests.post(
                tenant.endpoint("introspection_endpoint"),
                data={"token": token},
                headers={**h, **client.basic_auth()},
                timeout=HTTP_TIMEOUT,
            ),
        ),
        (
            "introspection 401",
            requests.post(
                tenant.endpoint("introspection_endpoint"),
                data={"token": token},
                headers={**h, **bad},
                timeout=HTTP_TIMEOUT,
            ),
        ),
        (
            "revocation 200",
            requests.post(
                tenant.endpoint("revocation_endpoint"),
                data={"token": "unknown"},
                headers={**h, **client.basic_auth()},
                timeout=HTTP_TIMEOUT,
            ),
        ),
        (
            "revocation 401",
            requests.post(
                tenant.endpoint("revocation_endpoint"),
                data={"token": "unknown"},
                headers={**h, **bad},
                timeout=HTTP_TIMEOUT,
            ),
        ),
        (
            "headless sign-in 200",
            headless(
                tenant.public_url,
                "POST",
                "auth/sign-in",
                client_id=app.client_id,
                body={"email": user.email, "password": user.password},
                headers=h,
            ),
        ),
        (
            "headless sign-in 400",
            headless(
                tenant.public_url,
                "POST",
                "auth/sign-in",
                client_id=app.client_id,
                body={"email": user.email, "password": "wrong password 9"},
                headers=h,
            ),
        ),
        (
            "headless me 200",
            headless(
                tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"], headers=h
            ),
        ),
        (
            "headless me 401",
            headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer="x", headers=h),
        ),
        (
            "headless session 200",
            headless(
                tenant.public_url,
                "GET",
                "auth/session",
                client_id=app.client_id,
                bearer=hl["access_token"],
                headers=h,
            ),
        ),
        (
            "headless refresh 200",
            headless(
                tenant.public_url,
                "POST",
                "auth/refresh",
                client_id=app.client_id,
                body={"refresh_token": hl["refresh_token"]},
                headers=h,
            ),
        ),
        (
            "headless sign-out 204",
            headless(
                tenant.public_url,
                "POST",
                "auth/sign-out",
                client_id=app.client_id,
                bearer=hl["access_token"],
                headers=h,
            ),
        ),
    ]
    return out


def preflight(url, origin, method="POST"):
    return requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, x-client-id",
        },
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )


def preflight_urls(tenant):
    return [
        (f"{tenant.issuer}/.well-known/openid-configuration", "GET"),
        (f"{tenant.public_url}/.well-known/oauth-authorization-server/t/{tenant.slug}", "GET"),
        (tenant.endpoint("jwks_uri"), "GET"),
        (tenant.endpoint("token_endpoint"), "POST"),
        (tenant.endpoint("userinfo_endpoint"), "GET"),
        (tenant.endpoint("introspection_endpoint"), "POST"),
        (tenant.endpoint("revocation_endpoint"), "POST"),
    ] + [
        (f"{tenant.public_url}/v1/{p}", m)
        for p, m in (
            ("auth/sign-in", "POST"),
            ("auth/refresh", "POST"),
            ("auth/sign-out", "POST"),
            ("auth/session", "GET"),
            ("me", "GET"),
        )
    ]


@pytest.fixture
def cors_tenant(tenant):
    origin = origin_for(tenant)
    tenant.patch({"settings": {"allowed_origins": [origin, origin_for(tenant, "admin")]}})
    client = tenant.create_client("confidential")
    app = tenant.create_client("public", first_party=True)
    user = tenant.create_user()
    return tenant, client, app, user, origin


def test_cors_for_an_allowed_origin_on_every_machine_endpoint(cors_tenant):
    tenant, client, app, user, origin = cors_tenant
    for label, resp in cors_requests(tenant, client, app, user, origin):
        status = int(label.split()[-1]) if label.split()[-1].isdigit() else None
        if status is not None:
            assert resp.status_code == status, (label, describe(resp))
        assert_cors(resp, origin)
        assert "WWW-Authenticate" in resp.headers.get("Access-Control-Expose-Headers", ""), (
            label,
            resp.headers,
        )


def test_cors_preflights_for_an_allowed_origin(cors_tenant):
    tenant, _, _, _, origin = cors_tenant
    for url, method in preflight_urls(tenant):
        resp = preflight(url, origin, method)
        assert resp.status_code in (200, 204), (url, describe(resp))
        assert_cors(resp, origin)
        assert method in resp.headers.get("Access-Control-Allow-Methods", ""), (url, resp.headers)
        allowed = resp.headers.get("Access-Control-Allow-Headers", "").lower()
        for header in ("authorization", "content-type", "x-client-id"):
            assert header in allowed, (url, resp.headers)


def test_no_cors_for_other_origins(cors_tenant):
    tenant, client, app, user, origin = cors_tenant
    for evil in (
        f"https://evil-{tenant.slug}.example",
        origin + ":8443",
        origin.replace("https", "http"),
        "null",
    ):
        for label, resp in cors_requests(tenant, client, app, user, evil):
            assert resp.status_code < 500, (label, describe(resp))
            assert_no_cors(resp)
        for url, method in preflight_urls(tenant):
            assert_no_cors(preflight(url, evil, method))


def test_cors_on_headless_errors_about_a_known_tenants_keys(cors_tenant):
    """The key identifies the tenant even when the client may not use the headless API, so the
    browser app must be able to read the error (issue 3: CORS "on errors and preflights too")."""
    tenant, client, app, user, origin = cors_tenant
    backend = tenant.create_client("confidential", first_party=True)
    third = tenant.create_client("public", first_party=False)
    body = {"email": user.email, "password": user.password}
    cases = [
        (
            "confidential pk without its secret key",
            headless(
                tenant.public_url,
                "POST",
                "auth/sign-in",
                client_id=backend.client_id,
                body=body,
                headers={"Origin": origin},
            ),
            "invalid_client",
            401,
        ),
        (
            "third-party client",
            headless(
                tenant.public_url,
                "POST",
                "auth/sign-in",
                client_id=third.client_id,
                body=body,
                headers={"Origin": origin},
            ),
            "unauthorized_client",
            400,
        ),
        (
            "secret key of another client than X-Client-Id",
            headless(
                tenant.public_url,
                "POST",
                "auth/sign-in",
                client_id=app.client_id,
                secret=backend.client_secret,
                body=body,
                headers={"Origin": origin},
            ),
            "invalid_request",
            400,
        ),
    ]
    missing = []
    for label, resp, error, status in cases:
        assert_oauth_error(resp, error, status)
        if resp.headers.get("Access-Control-Allow-Origin") != origin:
            missing.append(label)
    assert not missing, (
        f"headless errors of tenant {tenant.slug} without CORS for its allowed origin: {missing}"
    )


def test_one_tenants_origin_gets_no_cors_from_another_tenant(cors_tenant, other_tenant):
    tenant, _, _, _, origin = cors_tenant
    other_tenant.patch({"settings": {"allowed_origins": [origin_for(other_tenant)]}})
    client = other_tenant.create_client("confidential")
    app = other_tenant.create_client("public", first_party=True)
    user = other_tenant.create_user()
    for label, resp in cors_requests(other_tenant, client, app, user, origin):
        assert resp.status_code < 500, (label, describe(resp))
        assert_no_cors(resp)
    for url, method in preflight_urls(other_tenant)[:7]:  # tenant paths; headless preflights carry no key
        assert_no_cors(preflight(url, origin, method))


def test_no_cors_on_the_authorization_endpoint_and_pages(cors_tenant):
    tenant, client, _, user, origin = cors_tenant
    h = {"Origin": origin}
    _, url, _, _, _ = authorization_request(tenant, client)
    browser = Browser()
    browser.http.headers.update(h)
    resp = browser.get(url)
    assert resp.status_code in (302, 303), describe(resp)
    assert_no_cors(resp)
    login = browser.follow(resp)
    assert login.status_code == 200 and "html" in login.headers.get("Content-Type", ""), describe(login)
    assert_no_cors(login)
    assert_no_cors(browser.get(tenant.endpoint("authorization_endpoint") + "?client_id=unknown"))
    assert_no_cors(
        browser.http.post(
            tenant.endpoint("authorization_endpoint"),
            data={"client_id": "x"},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
    )
    assert_no_cors(preflight(tenant.endpoint("authorization_endpoint"), origin, "GET"))
    account = browser.get(f"{tenant.issuer}/account")
    assert_no_cors(account)
    assert_no_cors(browser.get(tenant.endpoint("end_session_endpoint")))
    assert_no_cors(preflight(f"{tenant.issuer}/login", origin))
    # A complete login through the pages never carries CORS headers either.
    result = browser.authorize(url, client.redirect_uri, user=user)
    assert result.code, result.trace()
    assert_no_cors(result.response)


# --------------------------------------------------------------------------- tenant-scoped admin


def test_tenant_scoped_admin_token_with_users_read(tenant, other_tenant, admin):
    backend = create_admin_client(tenant, scopes="users:read")
    user = tenant.create_user()
    other_user = other_tenant.create_user()
    token = admin_token(tenant, backend)
    _, claims = unverified(token)
    assert claims["scope"] == "users:read" and claims["sub"] == backend.client_id and "sid" not in claims, (
        claims
    )
    api = scoped_admin(tenant, token)

    users = expect(api.get(f"/tenants/{tenant.slug}/users"), 200).json()["users"]
    assert user.id in {u["id"] for u in users}
    assert expect(api.get(f"/tenants/{tenant.slug}/users/{user.id}"), 200).json()["email"] == user.email

    body = assert_problem(
        api.post(
            f"/tenants/{tenant.slug}/users",
            json={"email": f"new-{uuid.uuid4().hex[:6]}@example.test", "password": "x" * 12},
        ),
        403,
    )
    assert "users:write" in body["detail"], body
    assert_problem(api.get(f"/tenants/{tenant.slug}"), 403)  # needs tenant:read
    assert_problem(api.get(f"/tenants/{tenant.slug}/clients"), 403)  # needs clients:read
    assert_problem(api.post(f"/tenants/{tenant.slug}/keys/rotate"), 403)

    for resp in (
        api.get("/tenants"),
        api.post("/tenants", json={"slug": unique_slug(), "name": "Nope", "environment": "test"}),
        api.get(f"/tenants/{other_tenant.slug}"),
        api.get(f"/tenants/{other_tenant.slug}/users"),
        api.get(f"/tenants/{other_tenant.slug}/users/{other_user.id}"),
        api.delete(f"/tenants/{tenant.slug}"),  # deleting a tenant is for the instance admin
        api.get("/tenants/no-such-tenant/users"),
    ):
        body = assert_problem(resp, 404)
        assert other_tenant.slug not in resp.text and other_user.email not in resp.text, body

    # The instance admin token reaches every tenant.
    for t in (tenant, other_tenant):
        expect(admin.get(f"/tenants/{t.slug}/users"), 200)
        expect(admin.get(f"/tenants/{t.slug}"), 200)
    assert {tenant.slug, other_tenant.slug} <= {t["slug"] for t in admin.all_tenants()}


def test_tenant_scoped_admin_token_with_users_write(tenant):
    backend = create_admin_client(tenant, scopes="users:read users:write")
    api = scoped_admin(tenant, admin_token(tenant, backend))
    email = f"made-{uuid.uuid4().hex[:6]}@example.test"
    created = expect(
        api.post(f"/tenants/{tenant.slug}/users", json={"email": email, "password": "x" * 12}), 201
    ).json()
    assert created["id"].startswith("usr_")
    expect(api.delete(f"/tenants/{tenant.slug}/users/{created['id']}"), 204)


def test_admin_scopes_are_limited_to_the_clients_allowed_scopes(tenant):
    backend = create_admin_client(tenant, scopes="users:read")
    resp = client_credentials(tenant, backend, scope="users:read users:write")
    assert_oauth_error(resp, "invalid_scope", 400)
    # A client without admin scopes gets a token that the admin API does not accept.
    plain = tenant.create_client("confidential")
    token = expect(client_credentials(tenant, plain), 200).json()["access_token"]
    assert_problem(scoped_admin(tenant, token).get(f"/tenants/{tenant.slug}/users"), 403, 404)


def test_user_flows_never_carry_admin_scopes(tenant):
    client = tenant.create_client(
        "confidential", allowed_scopes="openid profile email users:read users:write"
    )
    user = tenant.create_user()
    _, url, state, _, _ = authorization_request(tenant, client, scope="openid users:read")
    result = Browser().authorize(url, client.redirect_uri, user=user)
    assert result.kind == "redirect" and result.error == "invalid_scope", result.trace()
    assert result.params.get("state") == state and result.params.get("iss") == tenant.issuer
    assert "code" not in result.params

    # A user's access token (with a session) is no admin token, whatever its scopes.
    flow = code_flow(tenant, client, user, scope="openid")
    resp = scoped_admin(tenant, flow.access_token).get(f"/tenants/{tenant.slug}/users")
    assert_problem(resp, 401)
    # The same client may use its admin scopes through client_credentials only.
    token = admin_token(tenant, client, scope="users:read")
    expect(scoped_admin(tenant, token).get(f"/tenants/{tenant.slug}/users"), 200)


def test_admin_token_stops_working_when_its_client_is_deleted(tenant, admin):
    backend = create_admin_client(tenant, scopes="users:read")
    api = scoped_admin(tenant, admin_token(tenant, backend))
    expect(api.get(f"/tenants/{tenant.slug}/users"), 200)
    expect(admin.delete(f"/tenants/{tenant.slug}/clients/{backend.client_id}"), 204)
    assert_problem(api.get(f"/tenants/{tenant.slug}/users"), 401)


# --------------------------------------------------------------------------- deleting a tenant


def tenant_files(server, tenant_id):
    """The tenant's database files (SQLite), or its schema (PostgreSQL)."""
    if server.database_url:
        from postgres_helpers import psql

        schema = f"gatehouse_t_{tenant_id.lower()}"
        return psql(server.database_url, f"SELECT nspname FROM pg_namespace WHERE nspname = '{schema}'").split()
    return sorted(p.name for p in (server.data_dir / "tenants").glob(f"{tenant_id}*"))


def test_deleting_a_tenant_removes_its_data_and_stops_its_tokens(admin, server, other_tenant):
    tenant = admin.create_tenant()
    client = tenant.create_client("confidential")
    app = tenant.create_client("public", first_party=True)
    backend = tenant.create_client(
        "confidential", first_party=True, grant_types=["client_credentials"], allowed_scopes="users:read"
    )
    user = tenant.create_user()
    flow = code_flow(tenant, client, user)
    hl = signed_in(tenant.public_url, app, user)
    admin_tok = admin_token(tenant, backend)
    expect(tenant.userinfo(flow.access_token), 200)
    assert tenant_files(server, tenant.id)
    other_client = other_tenant.create_client("confidential")
    discovery = tenant.discovery  # cached before deletion

    resp = admin.delete(f"/tenants/{tenant.slug}")
    assert resp.status_code == 204, describe(resp)

    assert tenant_files(server, tenant.id) == [], "the tenant's database files are still there"
    for url in (
        f"{tenant.issuer}/.well-known/openid-configuration",
        f"{tenant.public_url}/.well-known/oauth-authorization-server/t/{tenant.slug}",
        discovery["jwks_uri"],
    ):
        assert requests.get(url, timeout=HTTP_TIMEOUT).status_code == 404, url
    assert_problem(admin.get(f"/tenants/{tenant.slug}"), 404)
    assert tenant.slug not in expect(admin.get("/tenants"), 200).text

    # Its tokens stop verifying at once, at its own (gone) endpoints and everywhere else.
    for token in (flow.access_token, hl["access_token"]):
        gone = requests.get(
            discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT
        )
        assert gone.status_code in (401, 404), describe(gone)
        gone = requests.post(
            discovery["introspection_endpoint"],
            data={"token": token},
            headers=client.basic_auth(),
            timeout=HTTP_TIMEOUT,
        )
        assert gone.status_code in (401, 404), describe(gone)
        assert_invalid_token(other_tenant.userinfo(token))
        assert not is_active(other_tenant, other_client, token)
    assert not is_active(other_tenant, other_client, flow.refresh_token)

    # Its keys no longer resolve in the headless API nor the admin API.
    for resp in (
        headless(
            tenant.public_url,
            "POST",
            "auth/sign-in",
            client_id=app.client_id,
            body={"email": user.email, "password": user.password},
        ),
        headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"]),
        headless(
            tenant.public_url,
            "POST",
            "auth/refresh",
            client_id=app.client_id,
            body={"refresh_token": hl["refresh_token"]},
        ),
        headless(
            tenant.public_url,
            "POST",
            "auth/refresh",
            secret=backend.client_secret,
            body={"refresh_token": hl["refresh_token"]},
        ),
    ):
        assert_oauth_error(resp, "invalid_client", 401)
    assert_problem(scoped_admin(tenant, admin_tok).get(f"/tenants/{tenant.slug}/users"), 401, 404)

    # A new tenant with the same slug is a different issuer: nothing of the old one works there.
    again = admin.create_tenant(slug=tenant.slug)
    assert again.id != tenant.id and again.issuer == tenant.issuer
    assert not (jwks_kids(again) & {unverified(flow.access_token)[0]["kid"]})
    assert_invalid_token(again.userinfo(flow.access_token))
    fresh = again.create_client("confidential")
    assert not is_active(again, fresh, flow.access_token)
    assert not is_active(again, fresh, flow.refresh_token)
    assert_oauth_error(
        again.token_request({"grant_type": "client_credentials"}, client), "invalid_client", 401
    )
    assert_oauth_error(
        headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"]),
        "invalid_client",
        401,
    )
    expect(admin.delete(f"/tenants/{again.slug}"), 204)


# --------------------------------------------------------------------------- signing keys


@pytest.fixture(scope="module")
def fast_keys(tmp_path_factory, artifacts_dir):
    """A second server whose new signing keys are published 3 seconds before they sign."""
    srv = start_server(
        tmp_path_factory.mktemp("gatehouse-keys"),
        artifacts_dir / "gatehouse-keys-server.log",
        config="[keys]\npre_publication_seconds = 3\n",
    )
    yield srv
    srv.stop()


def test_jwks_max_age_is_below_the_pre_publication_window(tenant):
    for url in (tenant.endpoint("jwks_uri"), f"{tenant.issuer}/.well-known/openid-configuration"):
        resp = expect(requests.get(url, timeout=HTTP_TIMEOUT), 200)
        age = max_age(resp)
        assert age is not None and 0 <= age < 3600, resp.headers  # default pre-publication: 3600 s


def test_key_rotation_publishes_before_signing_and_keeps_the_retired_key(fast_keys):
    tenant = fast_keys.admin.create_tenant()
    client = tenant.create_client("confidential")
    jwks = expect(requests.get(tenant.endpoint("jwks_uri"), timeout=HTTP_TIMEOUT), 200)
    assert max_age(jwks) is not None and max_age(jwks) < 3, jwks.headers

    def token():
        resp = expect(client_credentials(tenant, client), 200)
        value = resp.json()["access_token"]
        return value, unverified(value)[0]["kid"]

    first, old_kid = token()
    assert jwks_kids(tenant) == {old_kid}

    rotated_at = time.monotonic()
    resp = expect(fast_keys.admin.post(f"/tenants/{tenant.slug}/keys/rotate"), 200)
    keys = resp.json()["keys"]
    assert len(keys) == 1 and keys[0]["status"] == "next" and keys[0]["algorithm"] == "EdDSA", keys
    new_kid = keys[0]["kid"]
    assert new_kid != old_kid
    assert 2 <= (iso(keys[0]["activates_at"]) - iso(keys[0]["created_at"])).total_seconds() <= 4, keys

    # Published at once, but not yet signing.
    assert jwks_kids(tenant) == {old_kid, new_kid}
    before, kid = token()
    assert kid == old_kid, "the new key signed before its pre-publication window ended"
    assert time.monotonic() - rotated_at < 2.5, "too slow to observe the pre-publication window"
    # Rotating again while a key is pending keeps the pending key.
    again = expect(fast_keys.admin.post(f"/tenants/{tenant.slug}/keys/rotate"), 200).json()["keys"]
    assert [k["kid"] for k in again] == [new_kid], again
    listed = {
        k["kid"]: k for k in expect(fast_keys.admin.get(f"/tenants/{tenant.slug}/keys"), 200).json()["keys"]
    }
    assert listed[old_kid]["status"] == "active" and listed[old_kid]["retires_at"], listed
    assert listed[new_kid]["status"] == "next", listed

    # Watch the activation.
    seen_old_after = 0.0
    switched_at = None
    while time.monotonic() - rotated_at < 8:
        value, kid = token()
        elapsed = time.monotonic() - rotated_at
        if kid == new_kid:
            switched_at = elapsed
            latest = value
            break
        assert kid == old_kid, kid
        seen_old_after = elapsed
        time.sleep(0.2)
    assert switched_at is not None, "the new key never started signing"
    assert switched_at >= 2.5, f"the new key signed after {switched_at:.2f}s (pre-publication 3 s)"
    assert seen_old_after >= 2.0, seen_old_after

    # New tokens verify with the new key, old ones still with the retired key, which stays published.
    assert jwks_kids(tenant) == {old_kid, new_kid}
    for value in (first, before, latest):
        claims = verify_jwt(tenant, value, "EdDSA", audience=client.client_id)
        assert claims["client_id"] == client.client_id
        assert is_active(tenant, client, value)
    listed = {
        k["kid"]: k for k in expect(fast_keys.admin.get(f"/tenants/{tenant.slug}/keys"), 200).json()["keys"]
    }
    assert listed[new_kid]["status"] == "active", listed
    assert listed[old_kid]["status"] != "active" and listed[old_kid]["expires_at"], listed
    # The retired key stays published at least as long as the longest token it may have signed (one day).
    assert (iso(listed[old_kid]["expires_at"]) - iso(listed[old_kid]["retires_at"])).total_seconds() >= 86400
    # A tenant-scoped admin token with keys:write may rotate its own tenant's keys.
    backend = create_admin_client(tenant, scopes="keys:read keys:write")
    api = scoped_admin(tenant, admin_token(tenant, backend))
    pending = expect(api.post(f"/tenants/{tenant.slug}/keys/rotate"), 200).json()["keys"]
    assert pending[0]["status"] == "next" and pending[0]["kid"] in jwks_kids(tenant)


def test_per_client_signing_algorithms(tenant, other_tenant):
    settings = tenant.patch({"settings": {"signing_algorithms": ["EdDSA", "ES256", "RS256"]}})["settings"]
    assert settings["signing_algorithms"] == ["EdDSA", "ES256", "RS256"]
    jwks = tenant.jwks["keys"]
    by_alg = {k["alg"]: k for k in jwks}
    assert set(by_alg) == {"EdDSA", "ES256", "RS256"}, jwks
    assert (
        by_alg["EdDSA"]["kty"] == "OKP" and by_alg["ES256"]["kty"] == "EC" and by_alg["RS256"]["kty"] == "RSA"
    )
    assert by_alg["ES256"]["crv"] == "P-256"
    assert not any(k.get("d") or k.get("p") for k in jwks), "private key material in the JWKS"
    discovery = requests.get(f"{tenant.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).json()
    assert {"EdDSA", "ES256", "RS256"} <= set(discovery["id_token_signing_alg_values_supported"]), discovery

    client = tenant.create_client(
        "confidential", id_token_signed_response_alg="RS256", access_token_signing_alg="ES256"
    )
    assert (
        client.raw["id_token_signed_response_alg"] == "RS256"
        and client.raw["access_token_signing_alg"] == "ES256"
    )
    user = tenant.create_user()
    flow = code_flow(tenant, client, user)

    id_header, _ = unverified(flow.id_token)
    assert id_header["alg"] == "RS256" and id_header["kid"] == by_alg["RS256"]["kid"], id_header
    id_claims = verify_jwt(tenant, flow.id_token, "RS256", audience=client.client_id)
    assert id_claims["sub"] == user.id and id_claims["nonce"] == flow.nonce
    # OIDC Core §3.1.3.6: at_hash uses the hash of the ID token's alg (SHA-256 for RS256).
    assert id_claims["at_hash"] == at_hash(flow.access_token, "sha256"), id_claims

    at_header, _ = unverified(flow.access_token)
    assert at_header["alg"] == "ES256" and at_header["kid"] == by_alg["ES256"]["kid"], at_header
    assert at_header["typ"].lower() in ("at+jwt", "application/at+jwt")
    at_claims = verify_jwt(tenant, flow.access_token, "ES256", audience=client.client_id)
    assert at_claims["tid"] == tenant.id
    # joserfc agrees.
    keys = KeySet.import_key_set(tenant.jwks)
    assert jose_jwt.decode(flow.access_token, keys, algorithms=["ES256"]).claims["sub"] == user.id
    assert jose_jwt.decode(flow.id_token, keys, algorithms=["RS256"]).claims["sub"] == user.id

    expect(tenant.userinfo(flow.access_token), 200)
    assert is_active(tenant, client, flow.access_token)
    refreshed = expect(tenant.refresh(client, flow.refresh_token), 200).json()
    assert unverified(refreshed["access_token"])[0]["alg"] == "ES256"
    assert unverified(refreshed["id_token"])[0]["alg"] == "RS256"
    cc = expect(client_credentials(tenant, client), 200).json()["access_token"]
    assert unverified(cc)[0]["alg"] == "ES256"
    verify_jwt(tenant, cc, "ES256", audience=client.client_id)

    # A client without a choice keeps the default EdDSA.
    plain = tenant.create_client("confidential")
    token = expect(client_credentials(tenant, plain), 200).json()["access_token"]
    assert unverified(token)[0]["alg"] == "EdDSA"

    # Algorithms outside the tenant's set are refused.
    for field, alg in (
        ("id_token_signed_response_alg", "HS256"),
        ("access_token_signing_alg", "PS256"),
        ("id_token_signed_response_alg", "none"),
    ):
        resp = tenant.admin.post(
            f"/tenants/{tenant.slug}/clients",
            json={
                "name": "bad",
                "type": "confidential",
                "redirect_uris": ["https://rp.example/cb"],
                field: alg,
            },
        )
        body = assert_problem(resp, 422)
        assert field in {e["field"] for e in body["errors"]}, body
    # RS256 ID tokens need no settings change (OIDC Core §15.1); other algorithms for access
    # tokens stay within the tenant's set.
    for field, status in (("id_token_signed_response_alg", 201), ("access_token_signing_alg", 422)):
        resp = other_tenant.admin.post(
            f"/tenants/{other_tenant.slug}/clients",
            json={"name": "rs", "type": "confidential", "redirect_uris": ["https://rp.example/cb"], field: "RS256"},
        )
        if status == 201:
            assert expect(resp, 201).json()[field] == "RS256"
        else:
            assert_problem(resp, 422)

    # An algorithm still used by a client cannot be removed.
    for algorithms in (["EdDSA"], ["EdDSA", "ES256"], ["EdDSA", "RS256"]):
        resp = tenant.admin.patch(
            f"/tenants/{tenant.slug}", json={"settings": {"signing_algorithms": algorithms}}
        )
        body = assert_problem(resp, 422)
        assert client.client_id in body["detail"] or any(
            client.client_id in e["message"] for e in body["errors"]
        ), body
    assert expect(tenant.admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"][
        "signing_algorithms"
    ] == ["EdDSA", "ES256", "RS256"]

    # Once no client uses RS256 it can be removed; its key stays published for tokens it signed.
    expect(tenant.admin.delete(f"/tenants/{tenant.slug}/clients/{client.client_id}"), 204)
    tenant.patch({"settings": {"signing_algorithms": ["EdDSA"]}})
    assert by_alg["RS256"]["kid"] in jwks_kids(tenant)
    verify_jwt(tenant, flow.id_token, "RS256", audience=client.client_id)
    resp = tenant.admin.post(
        f"/tenants/{tenant.slug}/clients",
        json={
            "name": "late",
            "type": "confidential",
            "redirect_uris": ["https://rp.example/cb"],
            "access_token_signing_alg": "RS256",
        },
    )
    assert_problem(resp, 422)
