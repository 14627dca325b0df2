"""Organization invitations, the invitee's side (docs/contract.md A8): the ``email/invitation``
mail received by aiosmtpd, its link ``{issuer}/invitations/{token}``, accepting by signing up
(even with ``self_signup`` off) or signing in, joining, and a token with the organization's
``org_id`` (Authlib as the relying party, PyJWT and joserfc against the JWKS); refusals: another
account, expired, revoked, reused, resent (old link), unknown links.

Runs on this module's private Gatehouse whose mail goes to aiosmtpd, on SQLite or PostgreSQL
(``GATEHOUSE_INTEROP_BACKEND``). Screenshots (Chromium): $ARTIFACTS_DIR/invitation-accept.png,
$ARTIFACTS_DIR/organization-picker-after-invitation.png."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from accounts_helpers import PAST, accounts_config, age, free_port
from accounts_mail import mail_text, smtp_server
from accounts_pages import alert, follow_on, form_by_action, heading, page_text, soup
from gatehouse_client import (
    Browser,
    authorization_request,
    check_access_token,
    check_id_token,
    code_flow,
    describe,
    expect,
    query_params,
    unique_email,
)
from tenancy_helpers import start_server
from test_browser import callback, driver, fill_login, screenshot, wait  # noqa: F401 (fixtures)
from test_organizations_flow import Orgs, org_claims

SUBJECT = "to join"  # both subjects of templates/email/invitation.subject.mustache
PASSWORD = "correct horse battery staple 7"
SCOPE = "openid organization"


# --------------------------------------------------------------------------- server and mail


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def inbox(smtp_port):
    with smtp_server(smtp_port) as box:
        yield box


@pytest.fixture(scope="module")
def gh(tmp_path_factory, artifacts_dir, smtp_port, inbox):
    """A private Gatehouse delivering to ``inbox``; on PostgreSQL with a database it knows."""
    workdir = tmp_path_factory.mktemp("org-invitations")
    env = {"GATEHOUSE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
    database_url = None
    if os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres":
        from postgres_helpers import fresh_database, postgres_env

        database_url = fresh_database("invitations")
        env.update(postgres_env(workdir, database_url))
    log = artifacts_dir / "gatehouse-org-invitations.log"
    server = start_server(workdir, log, accounts_config(), env=env)
    server.database_url = database_url
    yield server
    server.stop()


@pytest.fixture
def tenant(gh):
    return gh.admin.create_tenant()


@pytest.fixture
def setup(tenant):
    """An organization ``Customer A`` with its owner, and a first-party client."""
    orgs = Orgs(tenant)
    owner = tenant.create_user(name="Owner")
    org = orgs.create("Customer A", owner)
    client = tenant.create_client("confidential", first_party=True)
    return orgs, owner, org, client


def invitations_path(tenant, org) -> str:
    return f"/tenants/{tenant.slug}/organizations/{org['id']}/invitations"


def invite(tenant, org, email: str, role: str = "member") -> dict:
    body = {"email": email, "role": role}
    return expect(tenant.admin.post(invitations_path(tenant, org), json=body), 201).json()


def invitation_status(tenant, org, invitation: dict) -> str:
    path = f"{invitations_path(tenant, org)}/{invitation['id']}"
    return expect(tenant.admin.get(path), 200).json()["status"]


def invitation_link(inbox, to: str, since: int = 0) -> str:
    """The accept link of the newest invitation mail to ``to`` that arrived after ``since``."""
    inbox.wait(to, SUBJECT, since)
    text = mail_text(inbox.matching(to, SUBJECT, since)[-1])
    links = [u for u in re.findall(r"https?://\S+", text) if "/invitations/" in urlsplit(u).path]
    assert links, text
    return links[0]


def members(tenant, org) -> dict[str, str]:
    path = f"/tenants/{tenant.slug}/organizations/{org['id']}/members"
    return {m["user_id"]: m["role"] for m in expect(tenant.admin.get(path), 200).json()["members"]}


def find_user(tenant, address: str) -> dict | None:
    listed = tenant.admin.get(f"/tenants/{tenant.slug}/users", params={"q": address})
    found = expect(listed, 200).json()["users"]
    return next((u for u in found if u["email"] == address), None)


def expire(gh, tenant, invitation: dict) -> None:
    """Moves the invitation's expiry into the past in the tenant's database (no waiting)."""
    if gh.database_url:
        from postgres_helpers import psql

        pattern = f"%_t_{tenant.id.lower()}"
        schema = psql(gh.database_url, f"SELECT nspname FROM pg_namespace WHERE nspname LIKE '{pattern}'")
        sql = (
            f'UPDATE "{schema}".organization_invitations '
            f"SET expires_at = now() - interval '1 day' WHERE id = '{invitation['id']}'"
        )
        psql(gh.database_url, sql)
    else:
        sql = "UPDATE organization_invitations SET expires_at = ? WHERE id = ?"
        assert age(gh, tenant, sql, PAST, invitation["id"]) == 1


def accept(browser: Browser, link: str) -> requests.Response:
    """Opens the invitation link, presses Accept and follows the redirects to the next page."""
    page = browser.get(link)
    assert page.status_code == 200, describe(page)
    resp = browser.submit(page, form_by_action(page, urlsplit(link).path))
    return follow_on(browser, resp)


def sign_up(browser: Browser, login: requests.Response, email: str) -> requests.Response:
    link = soup(login).find("a", href=re.compile(r"/signup\?interaction="))
    assert link is not None, "no Create account link: " + describe(login)
    page = browser.get(urljoin(login.url, link["href"]))
    form = form_by_action(page, "/signup")
    values = {"email": email, "password": PASSWORD, "name": "Invitee"}
    return follow_on(browser, browser.submit(page, form, values))


def sign_in(browser: Browser, login: requests.Response, email: str, password: str) -> requests.Response:
    form = form_by_action(login, "/login")
    return follow_on(browser, browser.submit(login, form, {"email": email, "password": password}))


def unusable(resp: requests.Response) -> None:
    assert resp.status_code == 404 and heading(resp) == "Invitation not valid", describe(resp)


# --------------------------------------------------------------------------- tests


def test_invitation_mail_sign_up_with_self_signup_off_join_and_org_id(gh, inbox, tenant, setup):
    orgs, _, org, client = setup
    assert tenant.raw["settings"]["self_signup"] is False
    address = unique_email("invitee")
    mark = inbox.mark()
    created = invite(tenant, org, address, "admin")
    assert not [k for k in created if "token" in k], created
    message = inbox.wait(address, SUBJECT, mark)
    text = mail_text(message)
    assert "Customer A" in str(message["Subject"]) and "as admin" in text and "7 days" in text, text
    link = invitation_link(inbox, address, mark)
    token = urlsplit(link).path.rsplit("/", 1)[1]
    assert link == f"{tenant.issuer}/invitations/{token}" and re.fullmatch(r"[A-Za-z0-9_-]{43}", token), link
    assert message.get_body(preferencelist=("html",)) is not None

    browser = Browser()
    page = browser.get(link)
    assert page.status_code == 200, describe(page)
    assert "Customer A" in page_text(page) and "admin" in page_text(page), page_text(page)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"] and "<script" not in page.text
    form = form_by_action(page, urlsplit(link).path)
    refused = browser.submit(page, form, drop=["csrf_token"])
    assert refused.status_code == 400, describe(refused)

    login = accept(browser, link)
    assert "/login" in login.url, describe(login)
    assert soup(login).find("input", {"name": "email"})["value"] == address
    # Sign-up through the invitation is for the invited address only.
    other = unique_email("someone-else")
    wrong = sign_up(browser, login, other)
    assert wrong.status_code == 400 and address in alert(wrong), describe(wrong)
    done = sign_up(browser, login, address)
    assert done.status_code == 200 and urlsplit(done.url).path.endswith("/account"), describe(done)
    assert "joined the organization" in page_text(done), page_text(done)
    assert not inbox.matching(address, "confirm your email", mark), "the link proved the address"

    user = find_user(tenant, address)
    assert user is not None and user["email_verified"] is True, user
    assert members(tenant, org).get(user["id"]) == "admin"
    assert invitation_status(tenant, org, created) == "accepted"
    assert find_user(tenant, other) is None

    # An authorization request within an organization: the one membership is chosen.
    flow = code_flow(tenant, client, None, browser=browser, scope=SCOPE)
    tokens = flow.token
    id_claims = check_id_token(tenant, client, tokens["id_token"], access_token=tokens["access_token"])
    at_claims = check_access_token(tenant, client, flow.token["access_token"])
    assert org_claims(id_claims)[:2] == org_claims(at_claims)[:2] == (org["id"], "admin"), at_claims
    assert at_claims["sub"] == user["id"]

    # The link works once.
    unusable(browser.get(link))
    unusable(Browser().get(link))


def test_another_account_is_refused_and_the_invitation_stays_pending(gh, inbox, tenant, setup):
    orgs, _, org, _ = setup
    intruder = tenant.create_user(name="Intruder")
    address = unique_email("invited")
    mark = inbox.mark()
    created = invite(tenant, org, address)
    link = invitation_link(inbox, address, mark)

    browser = Browser()
    refused = sign_in(browser, accept(browser, link), intruder.email, intruder.password)
    assert refused.status_code == 403, describe(refused)
    assert heading(refused) == "Invitation for another address", describe(refused)
    assert address in alert(refused) and intruder.email in alert(refused) and "stays open" in alert(refused)
    assert invitation_status(tenant, org, created) == "pending" and intruder.id not in members(tenant, org)

    # The invited address's account, in the same browser (signed in as the intruder): signs in again.
    invited = tenant.create_user(email=address, name="Invited")
    login = accept(browser, link)
    assert "/login" in login.url, describe(login)
    done = sign_in(browser, login, invited.email, invited.password)
    assert done.status_code == 200 and "joined the organization" in page_text(done), describe(done)
    assert members(tenant, org).get(invited.id) == "member" and intruder.id not in members(tenant, org)


def test_an_unverified_account_with_the_address_is_refused(gh, inbox, tenant, setup):
    _, _, org, _ = setup
    address = unique_email("unverified")
    user = tenant.create_user(email=address, email_verified=False)
    mark = inbox.mark()
    created = invite(tenant, org, address)
    browser = Browser()
    refused = sign_in(browser, accept(browser, invitation_link(inbox, address, mark)), address, user.password)
    assert refused.status_code == 403 and "not verified" in alert(refused), describe(refused)
    assert invitation_status(tenant, org, created) == "pending"


def test_expired_revoked_resent_and_unknown_links_are_refused(gh, inbox, tenant, setup):
    _, _, org, _ = setup
    expired, revoked, resent = (unique_email(n) for n in ("expired", "revoked", "resent"))
    mark = inbox.mark()
    to_expire, to_revoke, to_resend = (invite(tenant, org, a) for a in (expired, revoked, resent))
    expire(gh, tenant, to_expire)
    unusable(Browser().get(invitation_link(inbox, expired, mark)))

    revoked_link = invitation_link(inbox, revoked, mark)
    browser = Browser()
    login = accept(browser, revoked_link)  # pressed Accept, then revoked before the sign-up
    expect(tenant.admin.post(f"{invitations_path(tenant, org)}/{to_revoke['id']}/revoke"), 200)
    unusable(Browser().get(revoked_link))
    signup_link = soup(login).find("a", href=re.compile(r"/signup\?interaction="))
    closed = browser.get(urljoin(login.url, signup_link["href"]))
    assert closed.status_code == 400 and "Sign-up is not available" in page_text(closed), describe(closed)
    assert find_user(tenant, revoked) is None

    old = invitation_link(inbox, resent, mark)
    again = inbox.mark()
    expect(tenant.admin.post(f"{invitations_path(tenant, org)}/{to_resend['id']}/resend"), 200)
    new = invitation_link(inbox, resent, again)
    assert new != old
    unusable(Browser().get(old))
    assert Browser().get(new).status_code == 200

    for token in ("x", "A" * 43, "A" * 500):
        unusable(Browser().get(f"{tenant.issuer}/invitations/{token}"))
    for token in ("%00", "%C3%A9", "a%2Fb"):
        odd = Browser().get(f"{tenant.issuer}/invitations/{token}")
        assert odd.status_code in (400, 404), describe(odd)
    forged = Browser().http.post(f"{tenant.issuer}/invitations/{'A' * 43}", data={}, timeout=10)
    assert forged.status_code == 400, describe(forged)


def test_two_accepting_browsers_join_once(gh, inbox, tenant, setup):
    _, _, org, _ = setup
    address = unique_email("twice")
    invited = tenant.create_user(email=address)
    mark = inbox.mark()
    invite(tenant, org, address)
    link = invitation_link(inbox, address, mark)
    first, second = Browser(), Browser()
    first_login, second_login = accept(first, link), accept(second, link)
    done = sign_in(first, first_login, address, invited.password)
    assert "joined the organization" in page_text(done), describe(done)
    unusable(sign_in(second, second_login, address, invited.password))
    assert members(tenant, org).get(invited.id) == "member"


@pytest.mark.browser
def test_chromium_mail_accept_sign_up_picker_and_org_id(  # noqa: F811
    driver, gh, inbox, tenant, setup, callback, artifacts_dir  # noqa: F811
):
    orgs, owner, org, _ = setup
    bank = orgs.create("Bank", owner)
    address = unique_email("chromium")
    mark = inbox.mark()
    invite(tenant, org, address, "admin")
    link = invitation_link(inbox, address, mark)

    driver.get(link)
    button = wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "form button[type=submit]")))
    assert "Customer A" in driver.find_element(By.TAG_NAME, "body").text
    screenshot(driver, artifacts_dir, "invitation-accept.png")
    button.click()
    wait(driver).until(EC.element_to_be_clickable((By.LINK_TEXT, "Create account"))).click()
    wait(driver).until(EC.visibility_of_element_located((By.NAME, "password")))
    assert driver.find_element(By.NAME, "email").get_attribute("value") == address
    driver.find_element(By.NAME, "name").send_keys("Chromium Invitee")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver).until(lambda d: "joined the organization" in d.find_element(By.TAG_NAME, "body").text)

    # The new member also belongs to a second organization: the picker asks.
    user = find_user(tenant, address)
    orgs.add(bank, SimpleNamespace(id=user["id"]))
    client = tenant.create_client("confidential", redirect_uris=[callback.url], first_party=True)
    rp, url, state, nonce, verifier = authorization_request(tenant, client, scope=SCOPE)
    driver.get(url)
    picked = f"[name=organization][value='{org['id']}']"
    choice = wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, picked)))
    assert driver.find_elements(By.CSS_SELECTOR, f"[name=organization][value='{bank['id']}']")
    screenshot(driver, artifacts_dir, "organization-picker-after-invitation.png")
    choice.click()
    params = query_params(callback.next_hit())
    assert params.get("state") == state and params.get("code"), params
    token = rp.fetch_token(code=params["code"], code_verifier=verifier, redirect_uri=callback.url)
    id_claims = check_id_token(
        tenant, client, token["id_token"], access_token=token["access_token"], nonce=nonce
    )
    at_claims = check_access_token(tenant, client, token["access_token"])
    assert org_claims(id_claims)[:2] == org_claims(at_claims)[:2] == (org["id"], "admin")
    assert at_claims["sub"] == user["id"]
