"""Self-service organizations (docs/contract.md A8): the account console's pages
``{issuer}/account/organizations`` and ``…/organizations/{org}`` through the real console sign-in
(the suite's requests-based ``Browser``), and the headless routes ``/v1/organizations/…`` with the
user's access token. The rules: owners and admins manage members, an admin only between roles
other than ``owner``, only an owner grants or takes away ``owner``, an organization keeps one owner,
an organization the user is not a member of is 404, forms need the console's CSRF token.

Screenshots: $ARTIFACTS_DIR/console-organizations.png, console-organization-members.png (Chromium)."""

from __future__ import annotations

import time
from urllib.parse import urljoin

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from accounts_pages import Console, alert, follow_on, form_by_action, page_text, soup
from gatehouse_client import Browser, assert_oauth_error, describe, expect, query_params
from tenancy_helpers import start_server
from test_browser import driver, fill_login, screenshot, wait  # noqa: F401 (fixtures)
from test_organizations_flow import Orgs

STEP_UP_CONFIG = "[oauth]\nstep_up_max_age_seconds = 2\n"


@pytest.fixture
def acme(tenant):
    """Acme: an owner, an admin and a member; Other: an organization none of them belongs to."""
    orgs = Orgs(tenant)
    names = ("owner", "admin", "member", "outsider")
    people = {name: tenant.create_user(name=name.title()) for name in names}
    org = orgs.create("Acme", people["owner"])
    orgs.add(org, people["admin"], "admin")
    orgs.add(org, people["member"], "member")
    other = orgs.create("Other", people["outsider"])
    return orgs, org, other, people


def console_for(tenant, user) -> Console:
    console = Console(tenant, Browser())
    console.sign_in(user.email, user.password)
    return console


def page(console: Console, path: str = "") -> requests.Response:
    return console.browser.get(f"{console.tenant.issuer}/account/organizations{path}")


def members_on(resp: requests.Response) -> dict[str, str]:
    """user id → role badge of the members page."""
    rows = soup(resp).select("li.member")
    return {li["data-user"]: li.select_one(".role").get_text(strip=True) for li in rows}


def post(console: Console, resp: requests.Response, ending: str, values: dict | None = None):
    """Submits the page's form posting to …``ending`` and follows back to a page."""
    form = form_by_action(resp, ending)
    return follow_on(console.browser, console.browser.submit(resp, form, values or {}))


def forge(console: Console, url: str, data: dict) -> requests.Response:
    """A POST the page offers no form for, with the console's cookie."""
    return console.browser.http.post(url, data=data, allow_redirects=False, timeout=10)


def membership(orgs, org, user) -> requests.Response:
    return orgs.admin.get(f"{orgs.base}/organizations/{org['id']}/members/{user.id}")


def test_console_lists_the_users_organizations_with_roles_under_the_strict_csp(tenant, acme):
    _, org, _, people = acme
    console = console_for(tenant, people["owner"])
    assert "/account/organizations" in console.resp.text, "the console's main page links to its organizations"
    listing = page(console)
    assert listing.status_code == 200, describe(listing)
    assert "default-src 'none'" in listing.headers.get("Content-Security-Policy", ""), listing.headers
    assert "<script" not in listing.text
    row = soup(listing).select_one(f"li.membership[data-organization='{org['slug']}']")
    assert row is not None and "Acme" in row.get_text(), describe(listing)
    assert row.select_one(".role").get_text(strip=True) == "owner"
    assert row.select_one(f"a[href$='/account/organizations/{org['id']}']"), "owners get the members page"
    assert "Other" not in page_text(listing)

    member = page(console_for(tenant, people["member"]))
    row = soup(member).select_one(f"li.membership[data-organization='{org['slug']}']")
    assert row.select_one(".role").get_text(strip=True) == "member"
    assert not row.select("a[href*='/account/organizations/org_']"), "a plain member has no members page"
    assert page(console_for(tenant, tenant.create_user())).status_code == 200


def test_members_page_lists_and_paginates_by_id_or_slug(tenant, acme):
    _, org, _, people = acme
    console = console_for(tenant, people["owner"])
    everyone = members_on(expect(page(console, f"/{org['slug']}"), 200))
    assert everyone == {people[k].id: k for k in ("owner", "admin", "member")}, everyone
    first = expect(page(console, f"/{org['id']}?limit=2"), 200)
    assert len(members_on(first)) == 2, describe(first)
    link = soup(first).select_one("a[rel=next]")
    assert link is not None, describe(first)
    second = expect(console.browser.get(urljoin(first.url, link["href"])), 200)
    assert set(members_on(first)) | set(members_on(second)) == set(everyone)
    assert not set(members_on(first)) & set(members_on(second)) and not soup(second).select_one("a[rel=next]")
    assert page(console, f"/{org['id']}?limit=0").status_code == 400


def test_an_admin_changes_roles_between_non_owner_roles_only(tenant, acme):
    orgs, org, _, people = acme
    orgs.role("billing", ["invoices:read"])
    console = console_for(tenant, people["admin"])
    members = expect(page(console, f"/{org['id']}"), 200)
    owner, member = people["owner"].id, people["member"].id
    owner_forms = f"form[action$='/members/{owner}/role'], form[action$='/members/{owner}/remove']"
    assert not soup(members).select(owner_forms), "an admin gets no form for the owner"
    options = [o["value"] for o in soup(members).select(f"select#role-{member} option")]
    assert "owner" not in options and {"admin", "member", "billing"} <= set(options), options

    done = post(console, members, f"/members/{member}/role", {"role": "billing"})
    assert "role was changed" in alert(done) and members_on(done)[member] == "billing", describe(done)
    # Forged: granting owner, demoting or removing the owner.
    refused = post(console, done, f"/members/{member}/role", {"role": "owner"})
    assert "Only an owner" in alert(refused), describe(refused)
    csrf = soup(done).select_one("input[name=csrf_token]")["value"]
    base = f"{tenant.issuer}/account/organizations/{org['id']}/members/{owner}"
    for action, data in (("role", {"role": "member", "csrf_token": csrf}), ("remove", {"csrf_token": csrf})):
        refused = follow_on(console.browser, forge(console, f"{base}/{action}", data))
        assert "Only an owner" in alert(refused), describe(refused)
    assert expect(membership(orgs, org, people["owner"]), 200).json()["role"] == "owner"

    removed = post(console, done, f"/members/{member}/remove")
    assert "removed" in alert(removed) and member not in members_on(removed)
    assert membership(orgs, org, people["member"]).status_code == 404


def test_an_owner_grants_owner_and_the_last_owner_is_kept(tenant, acme):
    orgs, org, _, people = acme
    console = console_for(tenant, people["owner"])
    members = expect(page(console, f"/{org['id']}"), 200)
    me, admin = people["owner"].id, people["admin"].id
    kept = post(console, members, f"/members/{me}/role", {"role": "admin"})
    assert "always keeps one owner" in alert(kept), describe(kept)
    kept = post(console, kept, f"/members/{me}/remove")
    assert "always keeps one owner" in alert(kept), describe(kept)
    listing = page(console)
    left = post(console, listing, f"/organizations/{org['id']}/leave")
    assert "always keeps one owner" in alert(left) and "Acme" in page_text(left), describe(left)
    assert expect(membership(orgs, org, people["owner"]), 200).json()["role"] == "owner"

    promoted = post(console, kept, f"/members/{admin}/role", {"role": "owner"})
    assert members_on(promoted)[admin] == "owner", describe(promoted)
    # Now there are two owners: this one may step down, and then no longer manages the members.
    stepped = post(console, promoted, f"/members/{me}/role", {"role": "member"})
    assert "role was changed" in alert(stepped), describe(stepped)
    assert stepped.url.split("?")[0].endswith("/account/organizations"), stepped.url
    assert page(console, f"/{org['id']}").status_code == 403


def test_a_member_leaves_and_unknown_roles_are_refused(tenant, acme):
    orgs, org, _, people = acme
    console = console_for(tenant, people["member"])
    left = post(console, page(console), f"/organizations/{org['id']}/leave")
    assert "You left" in alert(left) and "Acme" not in page_text(left), describe(left)
    assert membership(orgs, org, people["member"]).status_code == 404

    owner = console_for(tenant, people["owner"])
    members = page(owner, f"/{org['id']}")
    refused = post(owner, members, f"/members/{people['admin'].id}/role", {"role": "no-such-role"})
    assert "no such role" in alert(refused), describe(refused)


def test_forms_without_the_console_csrf_token_are_refused(tenant, acme):
    orgs, org, _, people = acme
    console = console_for(tenant, people["owner"])
    members = page(console, f"/{org['id']}")
    target = people["member"].id
    for ending, values in ((f"/members/{target}/role", {"role": "admin"}), (f"/members/{target}/remove", {})):
        form = form_by_action(members, ending)
        assert console.browser.submit(members, form, values, drop=["csrf_token"]).status_code == 400
        assert console.browser.submit(members, form, {**values, "csrf_token": "forged"}).status_code == 400
    member = console_for(tenant, people["member"])
    listing = page(member)
    leave = form_by_action(listing, f"/organizations/{org['id']}/leave")
    assert member.browser.submit(listing, leave, drop=["csrf_token"]).status_code == 400
    # Another browser, without the console's cookie, holding the page's token.
    token = soup(listing).select_one("input[name=csrf_token]")["value"]
    stranger = Browser().http.post(
        f"{tenant.issuer}/account/organizations/{org['id']}/leave", data={"csrf_token": token},
        allow_redirects=False, timeout=10)
    assert stranger.status_code == 400, describe(stranger)
    assert expect(membership(orgs, org, people["member"]), 200).json()["role"] == "member"


def test_another_organization_is_404_everywhere(tenant, acme):
    orgs, org, other, people = acme
    console = console_for(tenant, people["owner"])
    for key in (other["id"], other["slug"], "no-such-org", "org_01JDQ7ZK3YH9W5M2C8E4T6R0BA"):
        assert page(console, f"/{key}").status_code == 404, key
    csrf = soup(page(console, f"/{org['id']}")).select_one("input[name=csrf_token]")["value"]
    base = f"{tenant.issuer}/account/organizations/{other['id']}"
    outsider = people["outsider"].id
    for path, data in (
        (f"/members/{outsider}/role", {"role": "member", "csrf_token": csrf}),
        (f"/members/{outsider}/remove", {"csrf_token": csrf}),
        ("/leave", {"csrf_token": csrf}),
    ):
        resp = forge(console, base + path, data)
        assert resp.status_code == 404, (path, describe(resp))
    # A member of Acme who is not in it: 404 as well; a plain member of Acme: 403.
    stranger = f"{tenant.issuer}/account/organizations/{org['id']}/members/{outsider}/role"
    resp = forge(console, stranger, {"role": "admin", "csrf_token": csrf})
    assert resp.status_code == 404, describe(resp)
    assert expect(membership(orgs, other, people["outsider"]), 200).json()["role"] == "owner"
    assert page(console_for(tenant, people["member"]), f"/{org['id']}").status_code == 403


def test_member_changes_need_a_recent_sign_in_and_leaving_does_not(tmp_path):
    server = start_server(tmp_path / "stepup", tmp_path / "stepup.log", config=STEP_UP_CONFIG)
    try:
        tenant = server.admin.create_tenant()
        orgs = Orgs(tenant)
        owner, member = tenant.create_user(), tenant.create_user()
        org = orgs.create("Acme", owner)
        orgs.add(org, member)
        console = console_for(tenant, owner)
        members = page(console, f"/{org['id']}")
        leaver = console_for(tenant, member)
        listing = page(leaver)
        time.sleep(2.5)
        form = form_by_action(members, f"/members/{member.id}/role")
        resp = console.browser.submit(members, form, {"role": "admin"})
        assert resp.status_code in (302, 303), describe(resp)
        params = query_params(urljoin(resp.url, resp.headers["Location"]))
        assert params.get("prompt") == "login" and params.get("max_age") == "2", params
        assert expect(membership(orgs, org, member), 200).json()["role"] == "member"
        resp = follow_on(console.browser, resp)
        form = form_by_action(resp, "/login")
        resp = console.browser.submit(resp, form, {"email": owner.email, "password": owner.password})
        resp = follow_on(console.browser, resp)
        assert "signed in again" in alert(resp) and "Acme" in page_text(resp), describe(resp)
        members = page(console, f"/{org['id']}")
        done = post(console, members, f"/members/{member.id}/role", {"role": "admin"})
        assert members_on(done)[member.id] == "admin", describe(done)
        # Leaving one's own membership is not a change to others: no step-up.
        left = post(leaver, listing, f"/organizations/{org['id']}/leave")
        assert "You left" in alert(left), describe(left)
    finally:
        server.stop()


# --------------------------------------------------------------------------- headless


class Headless:
    """One user's access token of a first-party public client, for ``/v1/organizations…``."""

    def __init__(self, tenant, client, user):
        self.base = tenant.issuer.split("/t/")[0] + "/v1"
        self.headers = {"X-Client-Id": client.client_id}
        body = {"email": user.email, "password": user.password}
        signed = requests.post(f"{self.base}/auth/sign-in", json=body, headers=self.headers, timeout=10)
        expect(signed, 200)
        self.headers["Authorization"] = f"Bearer {signed.json()['access_token']}"

    def call(self, method: str, path: str, **kw) -> requests.Response:
        url = f"{self.base}/organizations{path}"
        return requests.request(method, url, headers=self.headers, timeout=10, **kw)

    def role(self, org: dict, user_id: str, role: str, **extra) -> requests.Response:
        return self.call("PATCH", f"/{org['id']}/members/{user_id}", json={"role": role, **extra})


def test_headless_organizations_members_and_rules(tenant, acme):
    orgs, org, other, people = acme
    app = tenant.create_client("public", first_party=True)
    owner, admin, member = (Headless(tenant, app, people[k]) for k in ("owner", "admin", "member"))

    mine = expect(member.call("GET", ""), 200).json()["organizations"]
    assert [(o["id"], o["slug"], o["role"]) for o in mine] == [(org["id"], org["slug"], "member")], mine
    page1 = expect(owner.call("GET", f"/{org['slug']}/members", params={"limit": 2}), 200).json()
    after = {"limit": 2, "after": page1["next_cursor"]}
    page2 = expect(owner.call("GET", f"/{org['id']}/members", params=after), 200).json()
    assert page1["next_cursor"] and page2["next_cursor"] is None
    roles = {m["user_id"]: m["role"] for m in page1["members"] + page2["members"]}
    assert roles == {people["owner"].id: "owner", people["admin"].id: "admin", people["member"].id: "member"}
    emails = {m["email"] for m in page1["members"] + page2["members"]}
    assert emails == {p.email for k, p in people.items() if k != "outsider"}, emails

    assert_oauth_error(member.call("GET", f"/{org['id']}/members"), "access_denied", 403)
    for key in (other["id"], other["slug"], "nope"):
        assert_oauth_error(owner.call("GET", f"/{key}/members"), "not_found", 404)
        assert_oauth_error(owner.call("DELETE", f"/{key}/membership"), "not_found", 404)
        assert_oauth_error(owner.role({"id": key}, people["outsider"].id, "member"), "not_found", 404)
    outsider = people["outsider"].id
    assert_oauth_error(owner.call("DELETE", f"/{org['id']}/members/{outsider}"), "not_found", 404)

    m, o = people["member"].id, people["owner"].id
    assert_oauth_error(admin.role(org, m, "owner"), "access_denied", 403)
    assert_oauth_error(admin.role(org, o, "member"), "access_denied", 403)
    assert_oauth_error(admin.call("DELETE", f"/{org['id']}/members/{o}"), "access_denied", 403)
    assert_oauth_error(admin.role(org, m, "ghost"), "invalid_request", 400)
    assert_oauth_error(admin.role(org, m, "admin", x=1), "invalid_request", 400)
    changed = expect(admin.role(org, m, "admin"), 200).json()
    assert (changed["user_id"], changed["role"], changed["email"]) == (m, "admin", people["member"].email)
    assert_oauth_error(member.role(org, m, "owner"), "access_denied", 403)

    assert_oauth_error(owner.role(org, o, "admin"), "conflict", 409)
    assert_oauth_error(owner.call("DELETE", f"/{org['id']}/membership"), "conflict", 409)
    expect(owner.role(org, people["admin"].id, "owner"), 200)
    expect(owner.call("DELETE", f"/{org['id']}/membership"), 204)
    assert membership(orgs, org, people["owner"]).status_code == 404
    expect(admin.call("DELETE", f"/{org['id']}/members/{m}"), 204)
    assert expect(member.call("GET", ""), 200).json()["organizations"] == []

    headers = {"X-Client-Id": app.client_id}
    anonymous = requests.get(f"{owner.base}/organizations", headers=headers, timeout=10)
    assert_oauth_error(anonymous, "invalid_token", 401)
    preflight = requests.options(
        f"{owner.base}/organizations/{org['id']}/members/{m}", timeout=10,
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PATCH"})
    assert preflight.status_code == 204, describe(preflight)


# --------------------------------------------------------------------------- Chromium


@pytest.mark.browser
def test_chromium_console_organization_pages(driver, tenant, acme, artifacts_dir):  # noqa: F811
    orgs, org, _, people = acme
    orgs.create("Bank", people["owner"])
    driver.get(f"{tenant.issuer}/account/organizations")
    fill_login(driver, people["owner"].email, people["owner"].password)
    wait(driver).until(lambda d: d.current_url.split("?")[0].endswith("/account"))
    driver.get(f"{tenant.issuer}/account/organizations")
    members_link = wait(driver).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, f"a[href$='/account/organizations/{org['id']}']")))
    assert "Acme" in driver.page_source and "Bank" in driver.page_source
    screenshot(driver, artifacts_dir, "console-organizations.png")
    members_link.click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "li.member")))
    assert people["member"].email in driver.page_source
    screenshot(driver, artifacts_dir, "console-organization-members.png")
    # The role form works without JavaScript and lands back on the page with a notice.
    select = driver.find_element(By.CSS_SELECTOR, f"select#role-{people['member'].id}")
    Select(select).select_by_value("admin")
    select.find_element(By.XPATH, "ancestor::form").find_element(By.CSS_SELECTOR, "button").click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert-success")))
    assert expect(membership(orgs, org, people["member"]), 200).json()["role"] == "admin"
