"""What a hostile tenant administrator found and can no longer do (the review of 2026-12-05):
crash the server with deeply nested HTML in a template, stall it with sections that re-enter a
list (the "section bomb"), send unlimited mail from the console, lock the tenant's consoles out
with `require_pushed_authorization_requests`, or get a 500 from the console's callback.
"""

from __future__ import annotations

import time

import requests

from console_helpers import ops, operator, soup  # noqa: F401 - operator and ops are fixtures
from gatehouse_client import Browser, describe, find_form, is_login_form
from gatehouse_http import HTTP_TIMEOUT
from test_console_tenant_roles import console_of, grant


def authorize_url(tenant, client) -> str:
    return tenant.authorize_url(
        {
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "response_type": "code",
            "scope": "openid",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        }
    )


def test_deep_html_is_refused_and_the_server_lives(public_url, admin, tenant):
    user = tenant.create_user()
    grant(admin, tenant, user, "tenant_admin")
    console = console_of(public_url, tenant, user)
    base = f"/tenants/{tenant.slug}/templates"
    # (URL-encoded, 6,500 × "<q>" is just under the console's 64 KiB body limit.)
    for body in ("<q>" * 6_500, "<div>" * 300):
        preview = console.post(f"{base}/page/login/preview", {"body": body})
        assert preview.status_code == 422, describe(preview)
        assert soup(preview).select_one("#preview-problems li"), describe(preview)
    deep = {"subject": "s", "text": "t", "html": "<q>" * 20_000}
    api = admin.put(f"/tenants/{tenant.slug}/templates/email/verify", json=deep)
    assert api.status_code == 422, describe(api)
    assert requests.get(f"{public_url}/healthz", timeout=HTTP_TIMEOUT).status_code == 200


def test_a_section_bomb_renders_bounded_and_fast(public_url, admin, tenant):
    user = tenant.create_user()
    grant(admin, tenant, user, "tenant_admin")
    console = console_of(public_url, tenant, user)
    bomb = "<p>" + "{{#scopes}}" * 30 + "x" + "{{/scopes}}" * 30 + "</p>"
    started = time.monotonic()
    preview = console.post(f"/tenants/{tenant.slug}/templates/page/consent/preview", {"body": bomb})
    assert preview.status_code == 200, describe(preview)
    assert time.monotonic() - started < 10 and len(preview.content) < 8 * 1024 * 1024
    # Stored in the login page over the providers list, anonymous visitors get a bounded page too.
    stored = "<p>" + "{{#providers}}" * 30 + "y" + "{{/providers}}" * 30 + "</p>"
    saved = admin.put(f"/tenants/{tenant.slug}/templates/page/login", json={"body": stored})
    assert saved.status_code in (200, 201), describe(saved)
    client = tenant.create_client("public")
    browser = Browser()
    started = time.monotonic()
    page = browser.follow(browser.get(authorize_url(tenant, client)))
    assert page.status_code == 200 and time.monotonic() - started < 10, describe(page)


def test_console_mail_is_bounded_per_tenant(ops, tenant):  # noqa: F811
    victim = tenant.create_user()
    path = f"/tenants/{tenant.slug}/users/{victim.id}/reset-password"
    answers = [ops.post(path).status_code for _ in range(21)]
    assert answers[:20] == [303] * 20 and answers[20] == 429, answers
    refused = ops.post(path)
    assert refused.status_code == 429 and "at most 20 emails" in refused.text, describe(refused)


def test_requiring_pushed_requests_leaves_the_consoles_open(public_url, admin, tenant):
    user = tenant.create_user()
    grant(admin, tenant, user, "tenant_admin")
    tenant.patch({"settings": {"require_pushed_authorization_requests": True}})
    # The admin console's built-in client signs the tenant admin in without a push.
    console_of(public_url, tenant, user)
    # So does the account console's.
    browser = Browser()
    login = browser.follow(browser.get(f"{tenant.issuer}/account"))
    form = find_form(login.text, is_login_form)
    assert form is not None, describe(login)
    account = browser.follow(browser.submit(login, form, {"email": user.email, "password": user.password}))
    assert account.status_code == 200 and "/account" in account.url, describe(account)
    # Any other client's plain request is still refused.
    client = tenant.create_client("public")
    plain = Browser().get(authorize_url(tenant, client))
    assert plain.status_code == 400, describe(plain)


def test_an_error_at_the_console_callback_is_a_refusal(public_url, admin, tenant):
    user = tenant.create_user()
    grant(admin, tenant, user, "tenant_admin")
    browser = Browser()
    start = browser.get(f"{public_url}/admin/t/{tenant.slug}")
    location = start.headers.get("Location", "")
    assert "state=" in location, describe(start)
    state = location.split("state=")[1].split("&")[0]
    answer = browser.get(
        f"{public_url}/admin/callback",
        params={"state": state, "iss": tenant.issuer, "error": "server_error", "error_description": "boom"},
    )
    assert answer.status_code == 403, describe(answer)
