"""What Gatehouse must refuse on its pages: bad logins and forged login posts, missing security
headers, CORS on the authorization endpoint, unregistered logout redirects, NUL characters in admin
text.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from bs4 import BeautifulSoup

from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    assert_html_security_headers,
    code_flow,
    describe,
    find_form,
    is_login_form,
    url_base,
)
from negative_helpers import assert_error_page_without_redirect, authorize_params, get_authorize

# --------------------------------------------------------------------------- login page


def login_page(tenant, client, browser):
    resp = browser.follow(get_authorize(tenant, authorize_params(client), browser=browser))
    assert resp.status_code == 200, describe(resp)
    form = find_form(resp.text, is_login_form)
    assert form is not None, f"no login form: {describe(resp)}"
    return resp, form


@pytest.mark.parametrize("who", ["wrong_password", "unknown_email"])
def test_failed_login_shows_an_alert_and_does_not_redirect(tenant, who):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    browser = Browser()
    page, form = login_page(tenant, client, browser)
    email = user.email if who == "wrong_password" else f"nobody-{uuid.uuid4().hex[:6]}@example.test"
    resp = browser.submit(page, form, {"email": email, "password": "wrong password 000"})
    assert resp.status_code in (200, 400, 401), describe(resp)
    assert "Location" not in resp.headers, describe(resp)
    soup = BeautifulSoup(resp.text, "html.parser")
    alert = soup.find(attrs={"role": "alert"})
    assert alert is not None and alert.get_text(strip=True), resp.text
    assert find_form(resp.text, is_login_form) is not None, "login form should be shown again"
    assert_html_security_headers(resp)


def test_login_post_without_hidden_inputs_is_rejected(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    browser = Browser()
    page, form = login_page(tenant, client, browser)
    hidden = [i["name"] for i in form.find_all("input", attrs={"type": "hidden"}) if i.get("name")]
    assert hidden, "login form should carry hidden CSRF/interaction inputs"
    resp = browser.submit(page, form, {"email": user.email, "password": user.password}, drop=hidden)
    final = browser.follow(resp, stop=lambda loc: url_base(loc) == client.redirect_uri)
    assert "code=" not in final.headers.get("Location", ""), describe(final)


def test_login_form_replayed_from_another_browser_is_rejected(tenant):
    """Login CSRF: the hidden inputs are bound to the browser that loaded the page."""
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    victim_page, form = login_page(tenant, client, Browser())
    attacker = Browser()
    resp = attacker.submit(victim_page, form, {"email": user.email, "password": user.password})
    final = attacker.follow(resp, stop=lambda loc: url_base(loc) == client.redirect_uri)
    assert "code=" not in final.headers.get("Location", ""), describe(final)


# --------------------------------------------------------------------------- headers


def test_security_headers_on_login_consent_and_error_pages(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    browser = Browser()
    page, form = login_page(tenant, client, browser)
    assert_html_security_headers(page)
    consent = browser.follow(
        browser.submit(page, form, {"email": user.email, "password": user.password}),
        stop=lambda loc: url_base(loc) == client.redirect_uri,
    )
    assert consent.status_code == 200, describe(consent)
    assert_html_security_headers(consent)

    error = get_authorize(tenant, authorize_params(client, redirect_uri="https://evil.com/cb"))
    assert_error_page_without_redirect(error)


def test_account_console_login_page_has_security_headers(tenant):
    browser = Browser()
    page = browser.follow(browser.get(f"{tenant.issuer}/account"))
    assert page.status_code == 200, describe(page)
    assert find_form(page.text, is_login_form) is not None, describe(page)
    assert_html_security_headers(page)


def test_authorization_endpoint_never_sends_cors_headers(tenant):
    origin = "https://spa.example"
    tenant.patch({"settings": {"allowed_origins": [origin]}})
    client = tenant.create_client("public")
    params = authorize_params(client)
    resp = get_authorize(tenant, params, Origin=origin)
    assert resp.status_code in (200, 302, 303), describe(resp)
    assert "Access-Control-Allow-Origin" not in resp.headers, resp.headers
    preflight = requests.options(
        tenant.endpoint("authorization_endpoint"),
        headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers, preflight.headers
    bad = get_authorize(tenant, authorize_params(client, client_id="pk_test_nope"), Origin=origin)
    assert "Access-Control-Allow-Origin" not in bad.headers, bad.headers


# --------------------------------------------------------------------------- logout


def test_unregistered_post_logout_redirect_uri_is_not_followed(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user)
    evil = "https://evil.com/signed-out"
    resp = flow.browser.get(
        tenant.endpoint("end_session_endpoint"),
        params={"id_token_hint": flow.id_token, "post_logout_redirect_uri": evil, "state": "s"},
    )
    assert resp.status_code == 400, describe(resp)
    assert not resp.headers.get("Location", "").startswith("https://evil.com"), describe(resp)
    assert_html_security_headers(resp)


def test_a_nul_character_in_admin_text_is_a_field_error_on_every_backend(admin, tenant):
    """U+0000 means nothing in any field, and PostgreSQL's text cannot hold it: the admin API
    answers 422 naming the field (never a 500), whatever the storage backend."""
    cases = [
        ("PATCH", f"/tenants/{tenant.slug}", {"name": "a\x00b"}, "name"),
        ("POST", f"/tenants/{tenant.slug}/clients", {"name": "a\x00b", "type": "public", "redirect_uris": ["https://x.example/cb"]}, "name"),
        ("POST", f"/tenants/{tenant.slug}/clients", {"name": "ok", "type": "public", "redirect_uris": ["https://x.example/cb\x00"]}, "redirect_uris"),
        ("PATCH", f"/tenants/{tenant.slug}", {"settings": {"allowed_origins": ["https://a.example\x00"]}}, "settings"),
    ]
    for method, path, body, field in cases:
        resp = admin.request(method, path, json=body)
        assert resp.status_code == 422, (path, body, resp.status_code, resp.text)
        assert any(e["field"].startswith(field) for e in resp.json()["errors"]), resp.json()
