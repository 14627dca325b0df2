"""Organization invitations from the account console and the headless API (docs/contract.md A8):
an owner or admin invites an address with a role on the members page (CSRF-checked forms, no
script), sees the pending invitations, resends and revokes them; the invitee sees the pending
invitations to their verified address on ``{issuer}/account/organizations`` and accepts (joins at
once) or declines. The same through ``/v1/organizations/{org}/invitations…`` and ``/v1/invitations…``
with the user's access token. The rules are the admin API's: one pending invitation per address,
a role of the tenant, no invitation to a member's address, only an owner invites an owner.
Refusals: a plain member (403), another organization or another address (404), an unverified
address (403), one's own expired, revoked or used invitation (409).

Runs on this module's private Gatehouse whose mail goes to aiosmtpd, on SQLite or PostgreSQL
(``GATEHOUSE_INTEROP_BACKEND``). Screenshot (Chromium): $ARTIFACTS_DIR/console-organization-invitations.png."""

from __future__ import annotations

import os

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from accounts_helpers import accounts_config
from accounts_mail import smtp_server
from accounts_pages import Console, alert, form_by_action, heading, page_text, soup
from gatehouse_client import assert_oauth_error, describe, expect, unique_email
from tenancy_helpers import start_server
from test_browser import driver, fill_login, screenshot, wait  # noqa: F401 (fixtures)
from test_organizations_console import Headless, console_for, forge, page, post
from test_organizations_flow import Orgs
from test_organizations_invitations import (
    SUBJECT,
    expire,
    invitation_link,
    invitation_status,
    invitations_path,
    invite,
    members,
    smtp_port,  # noqa: F401 (fixture)
    unusable,
)


@pytest.fixture(scope="module")
def inbox(smtp_port):  # noqa: F811
    with smtp_server(smtp_port) as box:
        yield box


@pytest.fixture(scope="module")
def gh(tmp_path_factory, artifacts_dir, smtp_port, inbox):  # noqa: F811
    """A private Gatehouse delivering to ``inbox``; on PostgreSQL with a database it knows."""
    workdir = tmp_path_factory.mktemp("org-invitations-console")
    env = {"GATEHOUSE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
    database_url = None
    if os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres":
        from postgres_helpers import fresh_database, postgres_env

        database_url = fresh_database("invitations_console")
        env.update(postgres_env(workdir, database_url))
    log = artifacts_dir / "gatehouse-org-invitations-console.log"
    server = start_server(workdir, log, accounts_config(), env=env)
    server.database_url = database_url
    yield server
    server.stop()


@pytest.fixture
def tenant(gh):
    return gh.admin.create_tenant()


@pytest.fixture
def acme(tenant):
    """Acme: an owner, an admin and a member; Other: an organization none of them belongs to."""
    orgs = Orgs(tenant)
    people = {name: tenant.create_user(name=name.title()) for name in ("owner", "admin", "member", "outsider")}
    org = orgs.create("Acme", people["owner"])
    orgs.add(org, people["admin"], "admin")
    orgs.add(org, people["member"], "member")
    other = orgs.create("Other", people["outsider"])
    return orgs, org, other, people


def pending_on(resp: requests.Response) -> dict[str, tuple[str, str]]:
    """invitation id → (email, role) of the members page's pending invitations."""
    rows = soup(resp).select("li.invitation")
    return {li["data-invitation"]: (li.select_one(".session-device").get_text(strip=True),
                                    li.select_one(".role").get_text(strip=True)) for li in rows}


def invite_on(console: Console, resp: requests.Response, email: str, role: str = "member") -> requests.Response:
    return post(console, resp, "/invitations", {"email": email, "role": role})


def console_csrf(console: Console) -> str:
    """The console's CSRF token, from its main page (a user without organizations has no form on theirs)."""
    main = expect(console.browser.get(f"{console.tenant.issuer}/account"), 200)
    return soup(main).select_one("input[name=csrf_token]")["value"]


def mails_to(inbox, to: str) -> int:
    return len(inbox.matching(to, SUBJECT, 0))


# --------------------------------------------------------------------------- console: the inviting side


def test_console_owner_invites_resends_and_revokes(tenant, acme, inbox):
    orgs, org, _, people = acme
    console = console_for(tenant, people["owner"])
    members_page = expect(page(console, f"/{org['id']}"), 200)
    assert "<script" not in members_page.text
    options = [o["value"] for o in soup(members_page).select("select#invite-role option")]
    assert {"owner", "admin", "member"} <= set(options), options

    address = unique_email()
    done = invite_on(console, members_page, address, "admin")
    assert "invitation was sent" in alert(done), describe(done)
    pending = pending_on(done)
    assert list(pending.values()) == [(address, "admin")], pending
    (invitation_id,) = pending
    first_link = invitation_link(inbox, address)
    listed = expect(tenant.admin.get(invitations_path(tenant, org)), 200).json()["invitations"]
    assert [(i["id"], i["invited_by"], i["status"]) for i in listed] == [(invitation_id, people["owner"].id, "pending")]

    # The admin API's rules: one pending invitation per address, a role of the tenant, no member's address.
    for email, role, message in (
        (address, "member", "already pending"),
        (people["member"].email, "member", "member of the organization already"),
        (unique_email(), "ghost", "no such role"),
        ("not an address", "member", "cannot receive an invitation"),
    ):
        refused = invite_on(console, done, email, role)
        assert message in alert(refused), (email, describe(refused))
    assert len(expect(tenant.admin.get(invitations_path(tenant, org)), 200).json()["invitations"]) == 1

    sent = mails_to(inbox, address)
    resent = post(console, done, f"/invitations/{invitation_id}/resend")
    assert "sent again" in alert(resent), describe(resent)
    inbox.wait(address, SUBJECT, sent)
    assert invitation_link(inbox, address, sent) != first_link
    unusable(console.browser.get(first_link))

    revoked = post(console, resent, f"/invitations/{invitation_id}/revoke")
    assert "was revoked" in alert(revoked) and pending_on(revoked) == {}, describe(revoked)
    assert invitation_status(tenant, org, {"id": invitation_id}) == "revoked"
    again = post(console, resent, f"/invitations/{invitation_id}/revoke")
    assert "no longer pending" in alert(again), describe(again)


def test_console_admins_do_not_invite_owners_and_members_are_refused(tenant, acme):
    orgs, org, _, people = acme
    admin = console_for(tenant, people["admin"])
    members_page = expect(page(admin, f"/{org['id']}"), 200)
    assert "owner" not in [o["value"] for o in soup(members_page).select("select#invite-role option")]
    refused = invite_on(admin, members_page, unique_email(), "owner")
    assert "Only an owner" in alert(refused), describe(refused)
    owner_invitation = invite(tenant, org, unique_email(), "owner")
    members_page = page(admin, f"/{org['id']}")
    refused = post(admin, members_page, f"/invitations/{owner_invitation['id']}/resend")
    assert "Only an owner" in alert(refused), describe(refused)
    done = invite_on(admin, members_page, unique_email(), "admin")
    assert "invitation was sent" in alert(done), describe(done)
    mine = next(i for i, (_, role) in pending_on(done).items() if role == "admin")

    # A plain member has no members page, and each forged post is a 403 that changes nothing.
    member = console_for(tenant, people["member"])
    assert page(member, f"/{org['id']}").status_code == 403
    listing = page(member)
    assert not soup(listing).select("form[action$='/invitations']")
    csrf = soup(listing).select_one("input[name=csrf_token]")["value"]
    base = f"{tenant.issuer}/account/organizations/{org['id']}/invitations"
    for url, data in (
        (base, {"email": unique_email(), "role": "member", "csrf_token": csrf}),
        (f"{base}/{mine}/revoke", {"csrf_token": csrf}),
        (f"{base}/{mine}/resend", {"csrf_token": csrf}),
    ):
        resp = forge(member, url, data)
        assert resp.status_code == 403, (url, describe(resp))
    assert invitation_status(tenant, org, {"id": mine}) == "pending"
    assert len(expect(tenant.admin.get(invitations_path(tenant, org)), 200).json()["invitations"]) == 2
    # Without the CSRF token: 400.
    form = form_by_action(members_page, "/invitations")
    assert admin.browser.submit(members_page, form, {"email": unique_email()}, drop=["csrf_token"]).status_code == 400


def test_another_organizations_invitations_are_404_in_the_console(tenant, acme):
    orgs, org, other, people = acme
    theirs = invite(tenant, other, unique_email())
    console = console_for(tenant, people["owner"])
    members_page = page(console, f"/{org['id']}")
    csrf = soup(members_page).select_one("input[name=csrf_token]")["value"]
    for base in (f"/account/organizations/{org['id']}", f"/account/organizations/{other['id']}"):
        for action in ("revoke", "resend"):
            resp = forge(console, f"{tenant.issuer}{base}/invitations/{theirs['id']}/{action}", {"csrf_token": csrf})
            assert resp.status_code == 404, (base, action, describe(resp))
    resp = forge(console, f"{tenant.issuer}/account/organizations/{other['id']}/invitations",
                 {"email": unique_email(), "role": "member", "csrf_token": csrf})
    assert resp.status_code == 404, describe(resp)
    # Accepting someone else's invitation by id: as unknown.
    resp = forge(console, f"{tenant.issuer}/account/invitations/{theirs['id']}/accept", {"csrf_token": csrf})
    assert resp.status_code == 404 and heading(resp) == "Invitation not found", describe(resp)
    assert invitation_status(tenant, other, theirs) == "pending"


# --------------------------------------------------------------------------- console: the invitee


def test_console_invitee_accepts_and_declines(gh, tenant, acme):
    orgs, org, other, people = acme
    invitee = tenant.create_user(name="Invitee")
    joining = invite(tenant, org, invitee.email, "admin")
    declining = invite(tenant, other, invitee.email)
    console = console_for(tenant, invitee)
    listing = expect(page(console), 200)
    offered = {li["data-invitation"]: li.get_text(" ", strip=True) for li in soup(listing).select("li.invitation")}
    assert set(offered) == {joining["id"], declining["id"]} and "Acme" in offered[joining["id"]], offered

    joined = post(console, listing, f"/invitations/{joining['id']}/accept")
    assert "You joined" in alert(joined), describe(joined)
    row = soup(joined).select_one(f"li.membership[data-organization='{org['slug']}']")
    assert row is not None and row.select_one(".role").get_text(strip=True) == "admin", describe(joined)
    assert members(tenant, org)[invitee.id] == "admin"
    assert invitation_status(tenant, org, joining) == "accepted"

    declined = post(console, joined, f"/invitations/{declining['id']}/decline")
    assert "declined" in alert(declined) and not soup(declined).select("li.invitation"), describe(declined)
    assert invitation_status(tenant, other, declining) == "revoked"
    assert invitee.id not in members(tenant, other)
    csrf = soup(declined).select_one("input[name=csrf_token]")["value"]
    for used in (joining, declining):  # one's own used invitation: 409, no longer pending
        resp = forge(console, f"{tenant.issuer}/account/invitations/{used['id']}/accept", {"csrf_token": csrf})
        assert resp.status_code == 409 and "no longer pending" in page_text(resp), describe(resp)


def test_console_refuses_other_addresses_unverified_expired_and_revoked(gh, tenant, acme):
    orgs, org, _, people = acme
    invitee = tenant.create_user()
    meant = invite(tenant, org, invitee.email)
    stranger = console_for(tenant, tenant.create_user())
    assert not soup(page(stranger)).select("li.invitation")
    csrf = console_csrf(stranger)
    resp = forge(stranger, f"{tenant.issuer}/account/invitations/{meant['id']}/accept", {"csrf_token": csrf})
    assert resp.status_code == 404, describe(resp)
    resp = forge(stranger, f"{tenant.issuer}/account/invitations/{meant['id']}/decline", {"csrf_token": csrf})
    assert resp.status_code == 404, describe(resp)
    assert invitation_status(tenant, org, meant) == "pending"

    unverified = tenant.create_user(email_verified=False)
    waiting = invite(tenant, org, unverified.email)
    console = console_for(tenant, unverified)
    listing = page(console)
    assert not soup(listing).select("li.invitation"), "an unverified address is offered nothing"
    csrf = console_csrf(console)
    resp = forge(console, f"{tenant.issuer}/account/invitations/{waiting['id']}/accept", {"csrf_token": csrf})
    assert resp.status_code == 403 and "Verify your email" in page_text(resp), describe(resp)
    assert unverified.id not in members(tenant, org)

    console = console_for(tenant, invitee)
    listing = page(console)
    assert soup(listing).select(f"li.invitation[data-invitation='{meant['id']}']")
    expire(gh, tenant, meant)
    revoked = invite(tenant, orgs.create("Third", people["owner"]), invitee.email)
    expect(tenant.admin.post(f"/tenants/{tenant.slug}/organizations/{revoked['organization_id']}/invitations/{revoked['id']}/revoke"), 200)
    assert not soup(page(console)).select("li.invitation")
    csrf = soup(listing).select_one("input[name=csrf_token]")["value"]
    for gone, status in ((meant, "expired"), (revoked, "revoked")):
        resp = forge(console, f"{tenant.issuer}/account/invitations/{gone['id']}/accept", {"csrf_token": csrf})
        assert resp.status_code == 409 and f"is {status}" in page_text(resp), describe(resp)
    assert invitee.id not in members(tenant, org)


# --------------------------------------------------------------------------- headless


class Me(Headless):
    def mine(self, method: str, path: str = "", **kw) -> requests.Response:
        return requests.request(method, f"{self.base}/invitations{path}", headers=self.headers, timeout=10, **kw)


def test_headless_invitations(gh, tenant, acme, inbox):
    orgs, org, other, people = acme
    app = tenant.create_client("public", first_party=True)
    owner, admin, member = (Me(tenant, app, people[k]) for k in ("owner", "admin", "member"))
    invitee = tenant.create_user(name="Invitee")
    created = owner.call("POST", f"/{org['slug']}/invitations", json={"email": invitee.email, "role": "admin"})
    invitation = expect(created, 201).json()
    assert (invitation["email"], invitation["role"], invitation["status"], invitation["invited_by"]) == (
        invitee.email, "admin", "pending", people["owner"].id)
    assert "token" not in str(invitation)
    invitation_link(inbox, invitee.email)

    # The rules, in the headless error shape.
    body = {"email": invitee.email}
    assert_oauth_error(owner.call("POST", f"/{org['id']}/invitations", json=body), "conflict", 409)
    body = {"email": people["member"].email}
    assert_oauth_error(owner.call("POST", f"/{org['id']}/invitations", json=body), "conflict", 409)
    body = {"email": unique_email(), "role": "ghost"}
    assert_oauth_error(owner.call("POST", f"/{org['id']}/invitations", json=body), "invalid_request", 400)
    body = {"email": "nope"}
    assert_oauth_error(owner.call("POST", f"/{org['id']}/invitations", json=body), "invalid_request", 400)
    body = {"email": unique_email(), "x": 1}
    assert_oauth_error(owner.call("POST", f"/{org['id']}/invitations", json=body), "invalid_request", 400)
    body = {"email": unique_email(), "role": "owner"}
    assert_oauth_error(admin.call("POST", f"/{org['id']}/invitations", json=body), "access_denied", 403)
    assert_oauth_error(member.call("POST", f"/{org['id']}/invitations", json={"email": unique_email()}), "access_denied", 403)
    assert_oauth_error(member.call("GET", f"/{org['id']}/invitations"), "access_denied", 403)
    assert_oauth_error(member.call("DELETE", f"/{org['id']}/invitations/{invitation['id']}"), "access_denied", 403)
    theirs = invite(tenant, other, unique_email())
    for key in (other["id"], other["slug"]):
        assert_oauth_error(owner.call("GET", f"/{key}/invitations"), "not_found", 404)
        assert_oauth_error(owner.call("POST", f"/{key}/invitations", json={"email": unique_email()}), "not_found", 404)
    assert_oauth_error(owner.call("DELETE", f"/{org['id']}/invitations/{theirs['id']}"), "not_found", 404)
    assert_oauth_error(owner.call("POST", f"/{org['id']}/invitations/{theirs['id']}/resend"), "not_found", 404)
    assert invitation_status(tenant, other, theirs) == "pending"

    second = expect(admin.call("POST", f"/{org['id']}/invitations", json={"email": unique_email()}), 201).json()
    listed = expect(admin.call("GET", f"/{org['id']}/invitations", params={"limit": 1}), 200).json()
    assert [i["id"] for i in listed["invitations"]] == [second["id"]] and listed["next_cursor"], listed
    older = expect(admin.call("GET", f"/{org['id']}/invitations", params={"limit": 1, "after": listed["next_cursor"]}), 200)
    assert [i["id"] for i in older.json()["invitations"]] == [invitation["id"]]
    sent = len(inbox.matching(invitee.email, SUBJECT, 0))
    resent = expect(admin.call("POST", f"/{org['id']}/invitations/{invitation['id']}/resend"), 200).json()
    assert resent["status"] == "pending"
    inbox.wait(invitee.email, SUBJECT, sent)
    expect(admin.call("DELETE", f"/{org['id']}/invitations/{second['id']}"), 204)
    assert_oauth_error(admin.call("DELETE", f"/{org['id']}/invitations/{second['id']}"), "conflict", 409)

    # The invitee: list, a stranger cannot accept, accept, then it is gone.
    me = Me(tenant, app, invitee)
    stranger = Me(tenant, app, people["outsider"])
    mine = expect(me.mine("GET"), 200).json()["invitations"]
    assert [(i["id"], i["organization_name"], i["role"]) for i in mine] == [(invitation["id"], "Acme", "admin")], mine
    assert expect(stranger.mine("GET"), 200).json()["invitations"] == []
    assert_oauth_error(stranger.mine("POST", f"/{invitation['id']}/accept"), "not_found", 404)
    assert_oauth_error(stranger.mine("POST", f"/{invitation['id']}/decline"), "not_found", 404)
    assert_oauth_error(owner.mine("POST", f"/{invitation['id']}/accept"), "not_found", 404)
    joined = expect(me.mine("POST", f"/{invitation['id']}/accept"), 200).json()["organization"]
    assert (joined["id"], joined["role"]) == (org["id"], "admin"), joined
    assert members(tenant, org)[invitee.id] == "admin"
    assert_oauth_error(me.mine("POST", f"/{invitation['id']}/accept"), "conflict", 409)
    assert expect(me.mine("GET"), 200).json()["invitations"] == []

    # Decline, expired and revoked.
    declining = invite(tenant, other, invitee.email)
    expect(me.mine("POST", f"/{declining['id']}/decline"), 204)
    assert invitation_status(tenant, other, declining) == "revoked"
    third = orgs.create("Third", people["owner"])
    expired = invite(tenant, third, invitee.email)
    expire(gh, tenant, expired)
    assert_oauth_error(me.mine("POST", f"/{expired['id']}/accept"), "conflict", 409)
    assert_oauth_error(me.mine("POST", f"/{declining['id']}/accept"), "conflict", 409)
    assert_oauth_error(me.mine("POST", f"/{declining['id']}/decline"), "conflict", 409)
    assert invitee.id not in members(tenant, other) and invitee.id not in members(tenant, third)

    unverified = tenant.create_user(email_verified=False)
    waiting = invite(tenant, org, unverified.email)
    late = Me(tenant, app, unverified)
    assert expect(late.mine("GET"), 200).json()["invitations"] == []
    assert_oauth_error(late.mine("POST", f"/{waiting['id']}/accept"), "access_denied", 403)

    anonymous = requests.get(f"{me.base}/invitations", headers={"X-Client-Id": app.client_id}, timeout=10)
    assert_oauth_error(anonymous, "invalid_token", 401)
    preflight = requests.options(
        f"{me.base}/invitations/{invitation['id']}/accept", timeout=10,
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204, describe(preflight)


def test_invitation_mail_from_console_and_headless_is_limited_per_address(tenant, acme):
    """20 invitation mails at once per client address (creating and resending, console and headless
    together), then 429 with Retry-After; refusals cost nothing; the admin API is not limited."""
    orgs, org, _, people = acme
    app = tenant.create_client("public", first_party=True)
    owner = Me(tenant, app, people["owner"])
    for _ in range(3):  # refused before any mail: not counted
        assert_oauth_error(owner.call("POST", f"/{org['id']}/invitations", json={"email": people["admin"].email}), "conflict", 409)
    first = expect(owner.call("POST", f"/{org['id']}/invitations", json={"email": unique_email()}), 201).json()
    for _ in range(9):
        expect(owner.call("POST", f"/{org['id']}/invitations/{first['id']}/resend"), 200)
    console = console_for(tenant, people["owner"])
    members_page = page(console, f"/{org['id']}")
    for _ in range(10):
        members_page = invite_on(console, members_page, unique_email())
        assert "invitation was sent" in alert(members_page), describe(members_page)
    limited = owner.call("POST", f"/{org['id']}/invitations", json={"email": unique_email()})
    assert limited.status_code == 429 and int(limited.headers.get("Retry-After", "0")) >= 1, describe(limited)
    form = form_by_action(members_page, "/invitations")
    limited = console.browser.submit(members_page, form, {"email": unique_email(), "role": "member"})
    assert limited.status_code == 429, describe(limited)
    assert owner.call("POST", f"/{org['id']}/invitations/{first['id']}/resend").status_code == 429
    assert len(expect(tenant.admin.get(invitations_path(tenant, org), params={"limit": 100}), 200).json()["invitations"]) == 11
    invite(tenant, org, unique_email())  # the admin API: not limited


# --------------------------------------------------------------------------- Chromium


@pytest.mark.browser
def test_chromium_members_page_invites_without_javascript(driver, tenant, acme, artifacts_dir):  # noqa: F811
    orgs, org, _, people = acme
    invite(tenant, org, unique_email(), "admin")
    driver.get(f"{tenant.issuer}/account/organizations")
    fill_login(driver, people["owner"].email, people["owner"].password)
    wait(driver).until(lambda d: d.current_url.split("?")[0].endswith("/account"))
    driver.get(f"{tenant.issuer}/account/organizations/{org['id']}")
    field = wait(driver).until(EC.presence_of_element_located((By.ID, "invite-email")))
    address = unique_email()
    field.send_keys(address)
    field.find_element(By.XPATH, "ancestor::form").find_element(By.CSS_SELECTOR, "button").click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert-success")))
    assert address in driver.page_source
    driver.get(driver.current_url.split("#")[0] + "#invite-title")  # the form and the pending invitations in view
    wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "li.invitation")))
    screenshot(driver, artifacts_dir, "console-organization-invitations.png")
    pending = expect(tenant.admin.get(invitations_path(tenant, org)), 200).json()["invitations"]
    assert address in [i["email"] for i in pending]
