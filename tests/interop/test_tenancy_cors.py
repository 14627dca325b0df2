"""The tenancy model (issue 3): CORS per tenant — the allowed origins get CORS on every machine endpoint
and preflight, other origins and other tenants' origins get none, nor do the authorization
endpoint and the pages.
"""

from __future__ import annotations

import pytest
import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    assert_oauth_error,
    authorization_request,
    describe,
    expect,
)
from tenancy_helpers import assert_cors, assert_no_cors, client_credentials, headless, signed_in

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
