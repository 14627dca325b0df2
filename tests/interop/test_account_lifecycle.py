"""Account lifecycle (issue 8 items 5 and 6): a first proof of the address ends everything a
pre-registered squatter made, and a password change spends every other reset and magic link.
One Gatehouse for the module delivering mail to aiosmtpd, as in test_accounts_*.py.
"""

from __future__ import annotations

import sqlite3

import pytest

from accounts_headless import hpost, hsign_in
from accounts_helpers import free_port, set_settings, tenant_db, start_accounts_server
from accounts_mail import MAGIC, RESET, VERIFY, mail_code, mail_link, mail_text, smtp_server
from accounts_pages import Console, Login, form_by_action, heading
from gatehouse_client import Browser, Client, Tenant, describe, unique_email
from tenancy_helpers import ExtraServer, headless

SQUATTER_PASSWORD = "squatter passphrase 4242"


# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: E402, F401


def squat(gh, inbox, acme, client):
    """The squatter signs up first with the victim's address and keeps an API session (refresh
    token) and a browser session. Returns (victim email, API tokens, browser, verification mail)."""
    set_settings(acme, self_signup=True, magic_link=True)
    victim = unique_email("victim")
    mark = inbox.mark()
    api = hpost(gh, client, "auth/sign-up", {"email": victim, "password": SQUATTER_PASSWORD})
    assert api.status_code == 200 and api.json().get("refresh_token"), describe(api)
    browser = Login.begin(acme, client).expect("login").login(victim, SQUATTER_PASSWORD).expect("done").browser
    return victim, api.json(), browser, inbox.wait(victim, VERIFY, mark)


def assert_squatter_out(gh, acme, client, victim, api, browser, password_dropped: bool = True) -> None:
    refresh = hpost(gh, client, "auth/refresh", {"refresh_token": api["refresh_token"]})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant", describe(refresh)
    me = headless(gh.public_url, "GET", "me", client_id=client.client_id, bearer=api["access_token"])
    assert me.status_code == 401, describe(me)
    assert Login.begin(acme, client, browser).kind == "login", "the squatter's browser session ended"
    if password_dropped:
        assert Login.begin(acme, client).login(victim, SQUATTER_PASSWORD).kind == "login", "the password was dropped"
        assert hsign_in(gh, client, victim, SQUATTER_PASSWORD).status_code >= 400


def test_verification_link_ends_a_squatters_sessions_tokens_and_password(gh, inbox, acme, client):
    victim, api, browser, mail = squat(gh, inbox, acme, client)
    # The owner opens the link in their own browser, not the one that chose the password.
    proved = Login.begin(acme, client).open_link(mail_link(mail, "/verify-email"), "/verify-email/link")
    assert proved.status_code == 200 and heading(proved) == "Email verified", describe(proved)
    assert_squatter_out(gh, acme, client, victim, api, browser)


def test_verification_link_in_the_signup_browser_keeps_the_password(gh, inbox, acme, client):
    set_settings(acme, self_signup=True)
    email, password = unique_email("legit"), "my own passphrase 2026"
    mark = inbox.mark()
    signup = Login.begin(acme, client).expect("login").open_signup().signup(email, password).expect("done")
    proved = signup.open_link(mail_link(inbox.wait(email, VERIFY, mark), "/verify-email"), "/verify-email/link")
    assert proved.status_code == 200 and heading(proved) == "Email verified", describe(proved)
    assert Login.begin(acme, client).login(email, password).kind == "done", "the password chosen in this browser stays"


def test_a_squatters_pending_verification_ends_when_the_owner_proves_the_address(gh, inbox, acme, client):
    """With require_verified_email, the squatter's sign-up waits at the verification step; the
    owner's proof (link in another browser) deletes that pending sign-in and the password."""
    set_settings(acme, self_signup=True, require_verified_email=True)
    victim = unique_email("pending")
    mark = inbox.mark()
    api = hpost(gh, client, "auth/sign-up", {"email": victim, "password": SQUATTER_PASSWORD})
    assert api.status_code == 200 and api.json()["status"] == "email_verification_required", describe(api)
    challenge = api.json()["challenge_id"]
    mail = inbox.wait(victim, VERIFY, mark)
    proved = Login.begin(acme, client).open_link(mail_link(mail, "/verify-email"), "/verify-email/link")
    assert proved.status_code == 200, describe(proved)
    with sqlite3.connect(tenant_db(gh, acme)) as db:
        assert db.execute("SELECT COUNT(*) FROM pending_sign_ins").fetchone()[0] == 0, "the squatter's pending sign-in is gone"
    late = hpost(gh, client, "auth/verify-email", {"challenge_id": challenge, "code": mail_code(mail)})
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant", describe(late)
    assert hsign_in(gh, client, victim, SQUATTER_PASSWORD).status_code >= 400, "the squatter's password was dropped"
    set_settings(acme, require_verified_email=False)


def test_magic_link_ends_a_squatters_sessions_tokens_and_password(gh, inbox, acme, client):
    victim, api, browser, _ = squat(gh, inbox, acme, client)
    owner = Login.begin(acme, client).expect("login")
    mark = inbox.mark()
    owner.magic_link(victim)
    owner.open_link(mail_link(inbox.wait(victim, MAGIC, mark), "/magic"), "/magic")
    assert owner.tokens().amr == ["email"], owner.trace()
    assert_squatter_out(gh, acme, client, victim, api, browser)


def request_reset(acme, inbox, email: str) -> str:
    other = Browser()
    page = other.get(f"{acme.issuer}/forgot")
    mark = inbox.mark()
    sent = other.submit(page, form_by_action(page, "/forgot"), {"email": email})
    assert sent.status_code == 200, describe(sent)
    return mail_link(inbox.wait(email, RESET, mark), "/reset")


def test_a_password_reset_spends_the_other_reset_and_magic_links(gh, inbox, acme, client):
    set_settings(acme, magic_link=True)
    user = acme.create_user(email=unique_email("reset"))
    first, second = request_reset(acme, inbox, user.email), request_reset(acme, inbox, user.email)
    asker = Login.begin(acme, client).expect("login")
    mark = inbox.mark()
    asker.magic_link(user.email)
    magic = mail_link(inbox.wait(user.email, MAGIC, mark), "/magic")

    browser = Browser()
    later = browser.get(second)  # its form is open while the first link is used
    assert later.status_code == 200, describe(later)
    form = browser.get(first)
    done = browser.submit(form, form_by_action(form, "/reset"), {"password": "a brand new passphrase 2026"})
    assert done.status_code == 200 and heading(done) == "Password changed", describe(done)

    late = browser.submit(later, form_by_action(later, "/reset"), {"password": "yet another passphrase 2026"})
    assert late.status_code == 400 and heading(late) == "Link expired", describe(late)
    assert browser.get(second).status_code == 400
    used = asker.open_link(magic, "/magic")
    assert used.status_code == 400 and heading(used) == "Link expired", describe(used)
    assert not asker.done


def test_a_console_password_change_spends_reset_and_magic_links(gh, inbox, acme, client):
    set_settings(acme, magic_link=True)
    user = acme.create_user(email=unique_email("change"))
    reset = request_reset(acme, inbox, user.email)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    asker = Login.begin(acme, client).expect("login")
    mark = inbox.mark()
    asker.magic_link(user.email)
    magic = mail_link(inbox.wait(user.email, MAGIC, mark), "/magic")
    browser = Browser()
    form = browser.get(reset)
    assert form.status_code == 200, describe(form)
    changed = console.act("/account/password", {"current_password": user.password, "new_password": "fresh passphrase 99"})
    assert heading(changed) == "Your account", describe(changed)

    late = browser.submit(form, form_by_action(form, "/reset"), {"password": "yet another passphrase 2026"})
    assert late.status_code == 400 and heading(late) == "Link expired", describe(late)
    used = asker.open_link(magic, "/magic")
    assert used.status_code == 400 and heading(used) == "Link expired", describe(used)


# --------------------------------------------------------------------------- sign-up enumeration

SIGNUP_ATTEMPT = "tried to create"


def test_headless_sign_up_does_not_reveal_accounts(gh, inbox, acme, client):
    """With require_verified_email, a sign-up with a taken address answers exactly like one with a
    new address; the owner is told by email; no code completes the decoy."""
    set_settings(acme, self_signup=True, require_verified_email=True)
    owner = acme.create_user(email=unique_email("owner"))
    fresh = unique_email("fresh")
    mark = inbox.mark()
    taken = hpost(gh, client, "auth/sign-up", {"email": owner.email, "password": SQUATTER_PASSWORD})
    new = hpost(gh, client, "auth/sign-up", {"email": fresh, "password": SQUATTER_PASSWORD})
    assert taken.status_code == new.status_code == 200, (describe(taken), describe(new))

    def shape(resp, email):
        body = dict(resp.json())
        assert body.pop("challenge_id") and body.pop("email") == email
        body.pop("expires_in")
        return body, sorted(resp.json())

    assert shape(taken, owner.email) == shape(new, fresh)
    assert "signup_attempt" not in taken.text
    notice = inbox.wait(owner.email, SIGNUP_ATTEMPT, mark)
    assert "nothing was created" in mail_text(notice)
    assert inbox.count(owner.email, VERIFY, mark) == 0, "the owner gets no verification code to hand out"
    inbox.wait(fresh, VERIFY, mark)
    # Codes: the decoy answers like a real challenge given a wrong code, attempt after attempt.
    for _ in range(2):
        a = hpost(gh, client, "auth/verify-email", {"challenge_id": taken.json()["challenge_id"], "code": "123456"})
        b = hpost(gh, client, "auth/verify-email", {"challenge_id": new.json()["challenge_id"], "code": "123456"})
        assert (a.status_code, a.json()) == (b.status_code, b.json()), (describe(a), describe(b))
    # The owner's account is untouched: their password still works and is not the squatter's.
    assert hsign_in(gh, client, owner.email, owner.password).status_code == 200
    assert hsign_in(gh, client, owner.email, SQUATTER_PASSWORD).status_code >= 400


def test_browser_sign_up_does_not_reveal_accounts(gh, inbox, acme, client):
    set_settings(acme, self_signup=True, require_verified_email=True)
    owner = acme.create_user(email=unique_email("owner"))
    fresh = unique_email("fresh")
    mark = inbox.mark()
    taken = Login.begin(acme, client).expect("login").open_signup().signup(owner.email, SQUATTER_PASSWORD)
    new = Login.begin(acme, client).expect("login").open_signup().signup(fresh, SQUATTER_PASSWORD)
    assert taken.kind == new.kind == "verify", (taken.trace(), new.trace())
    assert taken.resp.status_code == new.resp.status_code

    def page(login, email):
        text = login.resp.text.replace(email, "ADDRESS")
        for value in login.hidden.values():
            text = text.replace(value, "X")
        return text

    assert page(taken, owner.email) == page(new, fresh)
    inbox.wait(owner.email, SIGNUP_ATTEMPT, mark)
    wrong_a, wrong_b = taken.verify("123456"), new.verify("123456")
    assert wrong_a.resp.status_code == wrong_b.resp.status_code == 400
    assert page(wrong_a, owner.email) == page(wrong_b, fresh)
    assert not taken.done
