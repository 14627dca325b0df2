"""Verified domains and per-organization SSO at sign-in (docs/contract.md A8): home-realm
discovery on the login page, ``enforced`` SSO refusing password sign-ins (page, magic link,
sign-up, headless), members by SSO arrival and by auto-join.

Customer A's identity provider is a second Gatehouse tenant on the same server (an upstream OIDC
provider of the product's tenant, ``federation_helpers.upstream_setup``); Customer A holds the
verified domain ``customera.com`` with its SSO set to that provider.

Screenshot: $ARTIFACTS_DIR/home-realm-discovery.png (Chromium)."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from accounts_headless import hpost, hsign_in
from accounts_helpers import set_settings
from federation_helpers import RP_REDIRECT, check_downstream_tokens, drive, redeem, upstream_setup
from gatehouse_client import (
    Browser,
    assert_oauth_error,
    authorization_request,
    describe,
    expect,
    find_form,
    is_login_form,
    query_params,
    submitters,
    unique_slug,
    url_base,
    verify_pyjwt,
)
from test_browser import driver, screenshot, wait  # noqa: F401 (fixtures)

# isort: split
from federation_helpers import fed_server  # noqa: F401

SCOPE = "openid profile email organization"
DOMAIN = "customera.com"
SSO_BUTTON = ("sso", "1")
PASSPHRASE = "a long enough passphrase 42"


class CustomerA:
    """The product's tenant (downstream) with organization Customer A, whose verified domain
    ``customera.com`` signs in at Customer A's own Gatehouse tenant (upstream)."""

    def __init__(self, server, *, enforced: bool = False, sso_role: str = "admin", verify: bool = True):
        self.server = server
        self.upstream, self.tenant, self.up_user, self.provider, self.rp = upstream_setup(
            server, slug="customer-a-idp")
        self.admin = server.admin
        self.base = f"/tenants/{self.tenant.slug}"
        self.org = self.create_org("Customer A")
        self.add_domain(self.org, DOMAIN, verify=verify)
        self.set_sso(self.org, enforced=enforced, default_role=sso_role)
        # Customer A's employee, at Customer A's identity provider.
        self.employee = self.upstream.create_user(email=f"x-{unique_slug('u')}@{DOMAIN}", name="Xavier")
        self.app = self.tenant.create_client("public", first_party=True, name="First-party app")

    def create_org(self, name: str) -> dict:
        body = {"name": name, "slug": unique_slug("org")}
        return expect(self.admin.post(f"{self.base}/organizations", json=body), 201).json()

    def add_domain(self, org: dict, domain: str, *, verify: bool = True, **body) -> None:
        path = f"{self.base}/organizations/{org['id']}/domains"
        expect(self.admin.post(path, json={"domain": domain, **body}), 201)
        if verify:
            expect(self.admin.post(f"{path}/{domain}/verify"), 200)

    def set_sso(self, org: dict, **body) -> None:
        path = f"{self.base}/organizations/{org['id']}/sso"
        expect(self.admin.request("PUT", path, json={"provider_id": self.provider["id"], **body}), 200)

    def members(self, org: dict) -> dict[str, str]:
        """user id → role."""
        body = expect(self.admin.get(f"{self.base}/organizations/{org['id']}/members"), 200).json()
        return {m["user_id"]: m["role"] for m in body["members"]}

    def login_page(self, browser: Browser, **extra):
        """Opens an authorization request of the relying party; returns its parts and the login page."""
        rp, url, state, nonce, verifier = authorization_request(self.tenant, self.rp, scope=SCOPE, **extra)
        resp = browser.get(url)
        assert resp.status_code in (302, 303), describe(resp)
        page = browser.get(urljoin(resp.url, resp.headers["Location"]))
        return (rp, state, nonce, verifier), page


def login(browser: Browser, page, email: str, password: str):
    """Submits the login page's form with its "Sign in" button."""
    return browser.submit(page, find_form(page.text, is_login_form), {"email": email, "password": password})


def signed_in(server, customer: CustomerA, user) -> bool:
    """A headless password sign-in of ``user`` answers tokens."""
    resp = hsign_in(server, customer.app, user.email, user.password)
    return expect(resp, 200).json()["status"] == "signed_in"


def upstream_authorize(resp, customer: CustomerA) -> dict[str, str]:
    """The redirect of ``resp`` goes to the upstream tenant's authorization endpoint: its query."""
    assert resp.status_code in (302, 303), describe(resp)
    location = resp.headers["Location"]
    assert url_base(location) == f"{customer.upstream.issuer}/authorize", location
    return query_params(location)


def test_sso_address_goes_upstream_and_joins(fed_server):
    c = CustomerA(fed_server)
    browser = Browser()
    (rp, state, nonce, verifier), page = c.login_page(browser)
    assert page.status_code == 200, describe(page)
    form = find_form(page.text, is_login_form)
    assert SSO_BUTTON in submitters(form), submitters(form)
    # The page may send its form to Customer A's provider (form-action covers the redirect).
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]

    # Typing the address (no password) and continuing: a redirect to Customer A's provider.
    resp = browser.submit(page, form, {"email": c.employee.email, "password": ""}, submitter=SSO_BUTTON)
    params = upstream_authorize(resp, c)
    assert params["login_hint"] == c.employee.email and params["client_id"], params

    # Completing upstream signs the user in, a member of Customer A with the SSO's role.
    out = drive(browser, urljoin(resp.url, resp.headers["Location"]), RP_REDIRECT,
                upstream_login=(c.employee.email, c.employee.password),
                upstream_login_path=f"/t/{c.upstream.slug}/")
    assert out.kind == "redirect" and out.params.get("state") == state, out.trace()
    token = redeem(rp, out, verifier)
    claims = check_downstream_tokens(c.tenant, c.rp, token, nonce)
    assert claims["amr"] == ["fed"] and claims["email"] == c.employee.email, claims
    assert claims["org_id"] == c.org["id"] and claims["org_role"] == "admin", claims
    access = verify_pyjwt(c.tenant, token["access_token"], c.rp.client_id)
    assert access["org_id"] == c.org["id"] and access["org_role"] == "admin", access
    assert c.members(c.org) == {claims["sub"]: "admin"}

    # The "Sign in" button with a password routes the same way: the password is never checked.
    browser2 = Browser()
    _, page2 = c.login_page(browser2)
    resp2 = login(browser2, page2, c.employee.email.upper(), "x")
    assert upstream_authorize(resp2, c)["login_hint"] == c.employee.email


def test_login_hint_goes_upstream(fed_server):
    c = CustomerA(fed_server)
    rp, url, *_ = authorization_request(c.tenant, c.rp, scope=SCOPE, login_hint=c.employee.email)
    browser = Browser()
    resp = browser.get(url)
    login = browser.get(urljoin(resp.url, resp.headers["Location"]))
    assert upstream_authorize(login, c)["login_hint"] == c.employee.email


def test_other_addresses_are_not_routed(fed_server):
    c = CustomerA(fed_server)
    # A domain of Customer A that is not verified routes nowhere.
    c.add_domain(c.org, "pending-a.example", verify=False)
    local = c.tenant.create_user(email=f"local-{unique_slug('u')}@pending-a.example")
    for email in (local.email, f"someone@{unique_slug('d')}.example"):
        browser = Browser()
        _, page = c.login_page(browser)
        form = find_form(page.text, is_login_form)
        resp = browser.submit(page, form, {"email": email, "password": ""}, submitter=SSO_BUTTON)
        assert resp.status_code == 400 and "Enter your password" in resp.text, describe(resp)
        assert "Location" not in resp.headers
    # The password signs the unrouted address in as before.
    browser = Browser()
    (rp, state, nonce, verifier), page = c.login_page(browser)
    resp = login(browser, page, local.email, local.password)
    assert resp.status_code in (302, 303), describe(resp)
    assert url_base(resp.headers["Location"]) != f"{c.upstream.issuer}/authorize"
    assert signed_in(fed_server, c, local)


def test_not_enforced_keeps_password_sign_in_elsewhere(fed_server):
    c = CustomerA(fed_server)
    local = c.tenant.create_user(email=f"pw-{unique_slug('u')}@{DOMAIN}")
    # Headless password sign-in still works: SSO is offered, not enforced.
    assert signed_in(fed_server, c, local)


def test_enforced_sso_refuses_password_sign_in(fed_server):
    c = CustomerA(fed_server, enforced=True)
    set_settings(c.tenant, self_signup=True, magic_link=True)
    local = c.tenant.create_user(email=f"pw-{unique_slug('u')}@{DOMAIN}")

    # Headless: refused with access_denied before any password check (right or wrong password alike).
    for password in (local.password, "wrong password"):
        body = assert_oauth_error(hsign_in(fed_server, c.app, local.email, password), "access_denied", 400)
        assert "single sign-on" in body["error_description"], body
    body = assert_oauth_error(
        hpost(fed_server, c.app, "auth/sign-up", {"email": f"new@{DOMAIN}", "password": PASSPHRASE}),
        "access_denied", 400)
    assert "single sign-on" in body["error_description"], body

    # The page: the right password does not sign in; the browser goes to Customer A's provider.
    browser = Browser()
    (rp, state, nonce, verifier), page = c.login_page(browser)
    resp = login(browser, page, local.email, local.password)
    upstream_authorize(resp, c)
    assert not any(cookie.name == "gh_session" for cookie in browser.http.cookies), browser.http.cookies
    # The existing account signs in there (linked by its verified email) and joins Customer A.
    at_idp = c.upstream.create_user(email=local.email)
    out = drive(browser, urljoin(resp.url, resp.headers["Location"]), RP_REDIRECT,
                upstream_login=(at_idp.email, at_idp.password), upstream_login_path=f"/t/{c.upstream.slug}/")
    claims = check_downstream_tokens(c.tenant, c.rp, redeem(rp, out, verifier), nonce)
    assert claims["sub"] == local.id and claims["org_id"] == c.org["id"] and claims["org_role"] == "admin", claims

    # The page's magic link and sign-up are refused with a message pointing to SSO.
    browser = Browser()
    _, page = c.login_page(browser)
    magic = find_form(page.text, lambda f: f.get("action", "").endswith("/magic-link"))
    resp = browser.submit(page, magic, {"email": local.email})
    assert resp.status_code == 403 and "single sign-on" in resp.text, describe(resp)
    signup_url = f"{c.tenant.issuer}/signup?interaction={query_params(page.url)['interaction']}"
    signup = browser.get(signup_url)
    form = find_form(signup.text, lambda f: f.get("action", "").endswith("/signup"))
    resp = browser.submit(signup, form, {"email": f"new@{DOMAIN}", "password": PASSPHRASE, "name": "N"})
    assert resp.status_code == 403 and "single sign-on" in resp.text, describe(resp)

    # Another domain still signs in with its password.
    other = c.tenant.create_user()
    assert signed_in(fed_server, c, other)

    # Enforced SSO whose provider is disabled: the page says it is unavailable, no password check.
    expect(c.admin.patch(f"{c.base}/providers/{c.provider['id']}", json={"enabled": False}), 200)
    browser = Browser()
    _, page = c.login_page(browser)
    resp = login(browser, page, local.email, local.password)
    assert resp.status_code == 503 and "not available" in resp.text, describe(resp)


def test_auto_join_verified_addresses_only(fed_server):
    c = CustomerA(fed_server)
    org_b = c.create_org("Customer B")
    domain_b = f"{unique_slug('b')}.example"
    c.add_domain(org_b, domain_b, auto_join=True, default_role="admin")
    verified = c.tenant.create_user(email=f"dave@{domain_b}")
    unverified = c.tenant.create_user(email=f"eve@{domain_b}", email_verified=False)

    # Headless sign-in with the organization scope: the verified address joined, and acts within it.
    resp = hpost(fed_server, c.app, "auth/sign-in",
                 {"email": verified.email, "password": verified.password, "scope": SCOPE})
    body = expect(resp, 200).json()
    access = verify_pyjwt(c.tenant, body["access_token"], c.app.client_id)
    assert access["org_id"] == org_b["id"] and access["org_role"] == "admin", access
    resp = hpost(fed_server, c.app, "auth/sign-in",
                 {"email": unverified.email, "password": unverified.password, "scope": SCOPE})
    access = verify_pyjwt(c.tenant, expect(resp, 200).json()["access_token"], c.app.client_id)
    assert "org_id" not in access, access
    assert c.members(org_b) == {verified.id: "admin"}

    # A changed role is kept at the next sign-in (the browser this time, through the login page).
    member = f"{c.base}/organizations/{org_b['id']}/members/{verified.id}"
    expect(c.admin.patch(member, json={"role": "member"}), 200)
    url = authorization_request(c.tenant, c.rp, scope=SCOPE)[1]
    result = Browser().authorize(url, RP_REDIRECT, user=verified)
    assert result.kind == "redirect" and result.code, result.trace()
    assert c.members(org_b) == {verified.id: "member"}


@pytest.mark.usefixtures("fed_server")
def test_chromium_home_realm_discovery(fed_server, driver, artifacts_dir):  # noqa: F811
    c = CustomerA(fed_server)
    _, url, *_ = authorization_request(c.tenant, c.rp, scope=SCOPE)
    driver.get(url)
    email = wait(driver).until(EC.visibility_of_element_located((By.NAME, "email")))
    email.send_keys(c.employee.email)
    driver.find_element(By.CSS_SELECTOR, "button[name=sso]").click()
    wait(driver).until(lambda d: f"/t/{c.upstream.slug}/login" in d.current_url)
    upstream_email = wait(driver).until(EC.visibility_of_element_located((By.NAME, "email")))
    assert upstream_email.get_attribute("value") == c.employee.email
    screenshot(driver, artifacts_dir, "home-realm-discovery.png")
