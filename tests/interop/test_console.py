"""The admin console's foundation (docs/contract.md A10): operators made with ``gatehouse operator
create`` are users of the hidden operators' directory, sign in at ``{public_url}/admin`` through
that directory's own login page (authorization code + PKCE, MFA required, TOTP enrolled at the
first sign-in), and manage tenants: list with search and counts, create, edit settings, delete
with the slug typed. Forms are CSRF-checked, refused input is shown next to its field and changes
nothing, the console cookie is ``Path=/admin; HttpOnly; SameSite=Strict`` with a 30-minute idle
``Max-Age``, and neither an anonymous browser nor a tenant user's session reaches a console page.

Screenshots (Chromium): $ARTIFACTS_DIR/console-*.png."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from accounts_chromium import chromium_driver, click_css, fill, save, wait_heading
from accounts_pages import Console
from cli_helpers import cli, record  # noqa: F401 (fixture)
from console_helpers import DIRECTORY, PASSWORD, session_with, sign_in_http, sign_in_with_enrolment, soup
from gatehouse_browser import find_form, form_fields, is_login_form
from gatehouse_client import Browser, describe


@pytest.fixture
def operator(cli):  # noqa: F811
    email = f"ops-{secrets.token_hex(4)}@example.com"
    created = cli.json("operator", "create", "--email", email, "--password", PASSWORD, "--name", "Ops")
    assert created["id"].startswith("usr_") and created["email"] == email, created
    return created


def sends_to_sign_in(public_url: str, resp: requests.Response) -> None:
    assert resp.status_code == 303, describe(resp)
    location = resp.headers["Location"]
    assert location.startswith(f"/t/{DIRECTORY}/authorize?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["redirect_uri"] == [f"{public_url}/admin/callback"], query
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"], query


# --------------------------------------------------------------------------- CLI and directory


def test_operator_cli_and_the_directory_stays_hidden(cli, admin, operator):  # noqa: F811
    listed = cli.json("operator", "list", "--all")["operators"]
    assert operator["id"] in [o["id"] for o in listed], listed
    table = cli.ok("operator", "list")
    assert operator["email"] in table
    short = cli.fails("operator", "create", "--email", "x@example.com", "--password", "short", status=422)
    assert "at least 8 characters" in short
    cli.fails("operator", "create", "--email", operator["email"], "--password", PASSWORD, status=409)
    cli.fails("operator", "reset-mfa", "usr_01HZZZZZZZZZZZZZZZZZZZZZZZ", status=404)
    assert "reset" in cli.ok("operator", "reset-mfa", operator["id"])

    # The directory is no tenant of the admin API.
    assert DIRECTORY not in [t["slug"] for t in admin.all_tenants()]
    for path in ("", "/users", "/clients", "/templates"):
        resp = admin.get(f"/tenants/{DIRECTORY}{path}")
        assert resp.status_code == 404, describe(resp)
    resp = admin.patch(f"/tenants/{DIRECTORY}", json={"settings": {"mfa_policy": "none"}})
    assert resp.status_code == 404, describe(resp)
    resp = admin.post("/tenants", json={"slug": DIRECTORY, "name": "Mine", "environment": "live"})
    assert resp.status_code == 422 and "reserved" in resp.text, describe(resp)
    resp = admin.post("/tenants/default/clone", json={"to": DIRECTORY})
    assert resp.status_code == 422 and "reserved" in resp.text, describe(resp)
    passphrase = {"Gatehouse-Archive-Passphrase": "p"}
    resp = admin.post(f"/tenant-imports?slug={DIRECTORY}", data=b"x", headers=passphrase)
    assert resp.status_code == 422 and "reserved" in resp.text, describe(resp)
    # The template API neither lists nor takes the console's pages.
    names = [t["name"] for t in admin.get("/tenants/default/templates").json()["templates"]]
    assert not [n for n in names if n.startswith("page/admin_")], names
    resp = admin.request(
        "PUT", "/tenants/default/templates/page/admin_tenants", json={"body": "<p>x</p>"}
    )
    assert resp.status_code == 404, describe(resp)

    email = f"gone-{secrets.token_hex(3)}@example.com"
    other = cli.json("operator", "create", "--email", email, "--password", PASSWORD)
    cli.ok("operator", "remove", other["id"], "--yes")
    assert other["id"] not in [o["id"] for o in cli.json("operator", "list", "--all")["operators"]]


# --------------------------------------------------------------------------- who gets in


def test_anonymous_browsers_are_sent_to_the_operators_sign_in(public_url, admin, operator):
    for path in ("/admin", "/admin/tenants", "/admin/tenants/new", "/admin/tenants/default"):
        resp = requests.get(public_url + path, allow_redirects=False, timeout=10)
        sends_to_sign_in(public_url, resp)
    flow = resp.headers["Set-Cookie"]
    assert "gh_admin_flow=" in flow and "Path=/admin" in flow and "HttpOnly" in flow, flow
    # Forms without a console session are refused and change nothing.
    before = len(admin.all_tenants())
    made = {"slug": "anon-made", "name": "X", "environment": "dev"}
    resp = requests.post(public_url + "/admin/tenants", data=made, timeout=10)
    assert resp.status_code == 400, describe(resp)
    resp = requests.post(
        public_url + "/admin/tenants/default/delete", data={"confirm": "default"}, timeout=10
    )
    assert resp.status_code == 400, describe(resp)
    assert len(admin.all_tenants()) == before and admin.get("/tenants/default").status_code == 200
    # A forged or altered cookie counts for nothing.
    for value in ("x", "ses_1.usr_1.1.abc", "a.b.c.d"):
        resp = session_with(public_url, value).get(public_url + "/admin/tenants", allow_redirects=False)
        sends_to_sign_in(public_url, resp)


def test_a_tenant_users_session_does_not_open_the_console(public_url, tenant, operator):
    user = tenant.create_user()
    console = Console(tenant, Browser())
    console.sign_in(user.email, user.password)
    http = console.browser.http
    sends_to_sign_in(public_url, http.get(public_url + "/admin/tenants", allow_redirects=False, timeout=10))
    # The user's own console and SSO cookies, presented as the admin console's, are refused too.
    for name in ("gh_console", "gh_session"):
        value = next((c.value for c in http.cookies if c.name == name), None)
        assert value, f"{name} missing after the tenant sign-in"
        resp = session_with(public_url, value).get(public_url + "/admin/tenants", allow_redirects=False)
        sends_to_sign_in(public_url, resp)
    # The tenant user is no operator: the directory's login page refuses the password.
    login = Browser()
    page = login.follow(login.get(public_url + "/admin"))
    form = find_form(page.text, is_login_form)
    assert form is not None and f"/t/{DIRECTORY}/" in page.url, describe(page)
    resp = login.follow(login.submit(page, form, {"email": user.email, "password": user.password}))
    assert "/admin/" not in resp.url and "Set up two-step verification" not in resp.text, describe(resp)
    assert not [c for c in login.http.cookies if c.name == "gh_admin"]


# --------------------------------------------------------------------------- the journey


def test_operator_manages_a_tenant_in_chromium(public_url, admin, operator, artifacts_dir):
    slug = f"console-{secrets.token_hex(3)}"
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, public_url, operator, artifacts_dir)
        assert drv.find_element(By.ID, "operator").text == operator["email"]
        save(drv, artifacts_dir, "console-tenants.png")
        rows = drv.find_elements(By.CSS_SELECTOR, "#tenants tr[data-slug]")
        slugs = [r.get_attribute("data-slug") for r in rows]
        assert "default" in slugs and DIRECTORY not in slugs, slugs

        cookie = next(c for c in drv.get_cookies() if c["name"] == "gh_admin")
        assert cookie["path"] == "/admin" and cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
        assert not cookie["secure"], "http public URL: no Secure attribute"

        # Create: bad input first, shown next to the fields, nothing created.
        before = len(admin.all_tenants())
        click_css(drv, "#new-tenant")
        wait_heading(drv, "New tenant")
        save(drv, artifacts_dir, "console-tenant-new.png")
        fill(drv, slug="Not A Slug!", name="   ")
        click_css(drv, "#create")
        wait_heading(drv, "New tenant")
        assert "a-z, 0-9" in drv.find_element(By.ID, "slug-error").text
        assert drv.find_element(By.ID, "name-error").text
        save(drv, artifacts_dir, "console-tenant-new-errors.png")
        assert len(admin.all_tenants()) == before
        fill(drv, slug=slug, name="Console Co")
        Select(drv.find_element(By.ID, "environment")).select_by_value("test")
        click_css(drv, "#create")
        wait_heading(drv, f"Tenant {slug}")
        created = admin.get(f"/tenants/{slug}").json()
        assert created["name"] == "Console Co" and created["environment"] == "test", created
        save(drv, artifacts_dir, "console-tenant.png")

        # Edit settings.
        Select(drv.find_element(By.ID, "mfa_policy")).select_by_value("required")
        click_css(drv, "#self_signup")
        click_css(drv, "#save")
        wait_heading(drv, f"Tenant {slug}")
        assert "saved" in drv.find_element(By.CSS_SELECTOR, ".notice").text
        settings = admin.get(f"/tenants/{slug}").json()["settings"]
        assert settings["mfa_policy"] == "required" and settings["self_signup"] is True, settings
        save(drv, artifacts_dir, "console-tenant-saved.png")

        # Delete: a wrong confirmation keeps the tenant, the slug deletes it.
        fill(drv, confirm="not-the-slug")
        click_css(drv, "#delete-tenant")
        wait_heading(drv, f"Tenant {slug}")
        assert slug in drv.find_element(By.ID, "confirm-error").text
        assert admin.get(f"/tenants/{slug}").status_code == 200
        fill(drv, confirm=slug)
        click_css(drv, "#delete-tenant")
        wait_heading(drv, "Tenants")
        assert "deleted" in drv.find_element(By.CSS_SELECTOR, ".notice").text
        assert admin.get(f"/tenants/{slug}").status_code == 404
        save(drv, artifacts_dir, "console-tenant-deleted.png")
        value = cookie["value"]

        # The same session over HTTP: the renewed cookie's attributes, CSRF, bad input, search.
        http = session_with(public_url, value)
        listing = http.get(public_url + "/admin/tenants?q=default", allow_redirects=False)
        assert listing.status_code == 200, describe(listing)
        set_cookie = listing.headers["Set-Cookie"]
        for part in ("gh_admin=", "Path=/admin", "HttpOnly", "SameSite=Strict", "Max-Age=1800"):
            assert part in set_cookie, set_cookie
        assert "Secure" not in set_cookie
        assert [r["data-slug"] for r in soup(listing).select("#tenants tr[data-slug]")] == ["default"]
        counts = soup(listing).select_one("#tenants tr[data-slug=default]")
        assert counts.select_one(".count-users").get_text(strip=True).isdigit(), counts
        assert "default-src 'none'" in listing.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in listing.headers["Content-Security-Policy"]
        csrf = soup(listing).select_one("input[name=csrf_token]")["value"]
        # Pages by slug: limit=1 shows one tenant and a link to the next.
        first = http.get(public_url + "/admin/tenants?limit=1", allow_redirects=False)
        link = soup(first).select_one("#next-page")
        assert len(soup(first).select("#tenants tr[data-slug]")) == 1 and link is not None, describe(first)
        second = http.get(public_url + link["href"], allow_redirects=False)
        rows = soup(first).select("#tenants tr[data-slug]") + soup(second).select("#tenants tr[data-slug]")
        shown = [r["data-slug"] for r in rows]
        assert len(shown) == 2 and shown[0] < shown[1], shown

        target = admin.create_tenant()
        for token in (None, "wrong", csrf[:-2] + "xx"):
            data = {"name": "Hijacked", "mfa_policy": "none"}
            if token is not None:
                data["csrf_token"] = token
            resp = http.post(f"{public_url}/admin/tenants/{target.slug}", data=data, allow_redirects=False)
            assert resp.status_code == 400, describe(resp)
            resp = http.post(
                f"{public_url}/admin/tenants/{target.slug}/delete",
                data={**data, "confirm": target.slug}, allow_redirects=False)
            assert resp.status_code == 400, describe(resp)
        assert admin.get(f"/tenants/{target.slug}").json()["name"] != "Hijacked"

        resp = http.post(
            f"{public_url}/admin/tenants/{target.slug}",
            data={"csrf_token": csrf, "name": "Renamed", "mfa_policy": "sometimes"}, allow_redirects=False)
        assert resp.status_code == 422, describe(resp)
        assert "none, optional or required" in soup(resp).select_one("#mfa_policy-error").get_text()
        shown = admin.get(f"/tenants/{target.slug}").json()
        assert shown["name"] != "Renamed" and shown["settings"]["mfa_policy"] == "none", shown
        # Lifetimes and origins: refused input next to its fields, then saved.
        page = http.get(f"{public_url}/admin/tenants/{target.slug}", allow_redirects=False)
        form = dict(form_fields(soup(page).select_one("form#settings")))
        origins = "https://ok.example\nnot an origin"
        bad = {**form, "session_ttl": "a day", "access_token_ttl": "0", "allowed_origins": origins}
        resp = http.post(f"{public_url}/admin/tenants/{target.slug}", data=bad, allow_redirects=False)
        assert resp.status_code == 422, describe(resp)
        assert "integer" in soup(resp).select_one("#session_ttl-error").get_text()
        assert soup(resp).select_one("#access_token_ttl-error"), describe(resp)
        assert soup(resp).select_one("#allowed_origins-error"), describe(resp)
        assert soup(resp).select_one("#session_ttl")["value"] == "a day", "shown as submitted"
        assert admin.get(f"/tenants/{target.slug}").json()["settings"]["allowed_origins"] == []
        origins = "https://app.example.com\n"
        good = {**form, "session_ttl": "3600", "allowed_origins": origins, "magic_link": "on"}
        resp = http.post(f"{public_url}/admin/tenants/{target.slug}", data=good, allow_redirects=False)
        assert resp.status_code == 303, describe(resp)
        saved = admin.get(f"/tenants/{target.slug}").json()["settings"]
        assert saved["session_ttl"] == 3600 and saved["allowed_origins"] == ["https://app.example.com"], saved
        assert saved["magic_link"] is True and saved["self_signup"] is False, saved
        # The operator's change is an audit entry of the tenant (docs/contract.md A9).
        updates = admin.get(f"/tenants/{target.slug}/audit", params={"type": "tenant.updated"}).json()["events"]
        assert updates and updates[0]["actor"] == {"type": "operator", "id": operator["id"]}, updates
        assert "settings.session_ttl" in updates[0]["changes"] and updates[0]["data"]["slug"] == target.slug, updates

        resp = http.post(
            f"{public_url}/admin/tenants",
            data={"csrf_token": csrf, "slug": "default", "name": "Dup", "environment": "dev"},
            allow_redirects=False)
        assert resp.status_code == 422 and soup(resp).select_one("#slug-error"), describe(resp)
        resp = http.post(
            f"{public_url}/admin/tenants",
            data={"csrf_token": csrf, "slug": DIRECTORY, "name": "Dir", "environment": "dev"},
            allow_redirects=False)
        assert resp.status_code == 422, describe(resp)
        assert "reserved" in soup(resp).select_one("#slug-error").get_text(), describe(resp)
        assert http.get(f"{public_url}/admin/tenants/{DIRECTORY}", allow_redirects=False).status_code == 404

        # Sign-out ends the directory's session: the old cookie no longer works.
        resp = http.post(f"{public_url}/admin/logout", data={"csrf_token": csrf}, allow_redirects=False)
        assert resp.status_code == 200 and "Max-Age=0" in resp.headers["Set-Cookie"], describe(resp)
        again = session_with(public_url, value).get(public_url + "/admin/tenants", allow_redirects=False)
        sends_to_sign_in(public_url, again)


# --------------------------------------------------------------------------- operator lifecycle


def console_status(browser: Browser, public_url: str) -> int:
    return browser.http.get(public_url + "/admin/tenants", allow_redirects=False, timeout=10).status_code


def test_removal_and_mfa_reset_end_the_console_session(public_url, cli):  # noqa: F811
    email = f"life-{secrets.token_hex(3)}@example.com"
    made = cli.json("operator", "create", "--email", email, "--password", PASSWORD)
    browser, page = sign_in_http(public_url, email)
    # Arrived without Fetch Metadata: a page whose link starts a navigation here (SameSite=Strict).
    assert page.status_code == 200, describe(page)
    assert soup(page).select_one("a#continue")["href"] == "/admin/tenants", describe(page)
    assert console_status(browser, public_url) == 200

    cli.ok("operator", "reset-mfa", made["id"])
    assert console_status(browser, public_url) == 303, "reset-mfa ends the console session"
    browser, _ = sign_in_http(public_url, email)  # asks for a new authenticator app
    assert console_status(browser, public_url) == 200

    cli.ok("operator", "remove", made["id"], "--yes")
    assert console_status(browser, public_url) == 303, "a removed operator's session ends"
