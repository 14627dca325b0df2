"""Emailed links and codes (issue 4): email verification (code and link, single use, expiry) and
magic links bound to the browser that asked.

Runs on this module's private Gatehouse whose mail goes to aiosmtpd (``gh`` of ``accounts_helpers``).
Expiry is tested by moving a row's expiry into the past in the tenant's SQLite file, not by waiting.
"""

from __future__ import annotations

from accounts_flows import admin_user, enable_email_factor, magic_sign_in, new_user
from accounts_headless import headless_tokens, hpost, hsign_in, json_status
from accounts_helpers import PAST, age, set_settings
from accounts_mail import CODE, MAGIC, VERIFY, mail_code, mail_link, mail_text
from accounts_pages import Console, Login, heading, page_text, signed_in_with
from gatehouse_client import Browser, describe, find_form

# isort: split
# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: F401

# --------------------------------------------------------------------------- email verification


def test_require_verified_email_blocks_until_the_code(gh, inbox, acme, client):
    set_settings(acme, require_verified_email=True)
    user = new_user(acme, verified=False)
    mark = inbox.mark()
    login = Login.begin(acme, client).login(user.email, user.password).expect("verify")
    message = inbox.wait(user.email, VERIFY, mark)
    code, link = mail_code(message), mail_link(message, "/verify-email")
    assert "expire in 24 hours" in mail_text(message), mail_text(message)
    # Not signed in meanwhile.
    assert Login.begin(acme, client, login.browser).kind == "login"
    wrong = "000000" if code != "000000" else "111111"
    login.verify(wrong).expect("verify", 400)
    tokens = login.verify(code).tokens()
    assert tokens.amr == ["pwd"] and tokens.id_claims["email_verified"] is True
    # The code and the link are one token: the code used it up.
    used = Login.begin(acme, client).open_link(link, "/verify-email/link")
    assert used.status_code == 400 and heading(used) == "Link expired", describe(used)
    # Verified now: the next sign-in is not asked again.
    signed_in_with(acme, client, user)


def test_verification_link_single_use_and_expiring(gh, inbox, acme, client):
    set_settings(acme, require_verified_email=True)
    user = new_user(acme, verified=False)
    mark = inbox.mark()
    login = Login.begin(acme, client).login(user.email, user.password).expect("verify")
    message = inbox.wait(user.email, VERIFY, mark)
    link = mail_link(message, "/verify-email")
    # Opened in the browser that is signing in, the link proves the address (it signs nobody in).
    same = Login.begin(acme, client, login.browser)
    ok = same.open_link(link, "/verify-email/link")
    assert ok.status_code == 200 and heading(ok) == "Email verified", describe(ok)
    again = same.open_link(link, "/verify-email/link")
    assert again.status_code == 400 and heading(again) == "Link expired", describe(again)
    assert same.kind == "message"
    # The waiting sign-in continues once the address is verified.
    login.resp = login.browser.get(
        f"{acme.issuer}/verify-email?interaction={login.resp.url.split('interaction=')[1]}"
    )
    login._follow()
    assert login.tokens().id_claims["email_verified"] is True
    assert admin_user(acme, user.id)["email_verified"] is True

    # Opened in another browser, the link still proves the address, but whoever typed the
    # password may not be the owner: the password and the waiting sign-in end with the proof.
    elsewhere = new_user(acme, verified=False)
    mark = inbox.mark()
    waiting = Login.begin(acme, client).login(elsewhere.email, elsewhere.password).expect("verify")
    link = mail_link(inbox.wait(elsewhere.email, VERIFY, mark), "/verify-email")
    ok = Login.begin(acme, client).open_link(link, "/verify-email/link")
    assert ok.status_code == 200 and heading(ok) == "Email verified", describe(ok)
    assert admin_user(acme, elsewhere.id)["email_verified"] is True
    waiting.resp = waiting.browser.get(f"{acme.issuer}/verify-email?interaction={waiting.resp.url.split('interaction=')[1]}")
    assert waiting.resp.status_code >= 400, describe(waiting.resp)
    assert Login.begin(acme, client).login(elsewhere.email, elsewhere.password).kind == "login"

    # Expiry (24 hours, moved into the past here): neither the link nor the code works.
    late = new_user(acme, verified=False)
    mark = inbox.mark()
    first = hsign_in(gh, client, late.email, late.password)
    assert json_status(first) == "email_verification_required"
    message = inbox.wait(late.email, VERIFY, mark)
    assert age(gh, acme, "UPDATE one_time_tokens SET expires_at = ? WHERE user_id = ?", PAST, late.id) == 1
    refused = hpost(
        gh,
        client,
        "auth/verify-email",
        {"challenge_id": first.json()["challenge_id"], "code": mail_code(message)},
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", describe(refused)
    expired = Login.begin(acme, client).open_link(mail_link(message, "/verify-email"), "/verify-email/link")
    assert expired.status_code == 400 and heading(expired) == "Link expired", describe(expired)
    # A new sign-in sends a new code, which works.
    mark = inbox.mark()
    second = hsign_in(gh, client, late.email, late.password)
    fresh = mail_code(inbox.wait(late.email, VERIFY, mark))
    done = hpost(
        gh, client, "auth/verify-email", {"challenge_id": second.json()["challenge_id"], "code": fresh}
    )
    assert headless_tokens(acme, client, done).amr == ["pwd"]


# --------------------------------------------------------------------------- magic links


def test_magic_link_only_in_the_browser_that_asked(gh, inbox, acme, client):
    set_settings(acme, magic_link=True)
    user = new_user(acme, verified=False)
    asker = Login.begin(acme, client).expect("login")
    assert find_form(asker.resp.text, lambda f: (f.get("action") or "").endswith("/magic-link")) is not None
    mark = inbox.mark()
    asker.magic_link(user.email)
    link = mail_link(inbox.wait(user.email, MAGIC, mark), "/magic")
    assert "expires in 15 minutes" in mail_text(inbox.wait(user.email, MAGIC, mark))

    stranger = Login.begin(acme, client)
    refused = stranger.open_link(link, "/magic")
    assert refused.status_code == 400 and heading(refused) == "Open the link where you asked for it", (
        describe(refused)
    )
    plain = Browser()  # no cookie at all
    refused = Login(acme, client, plain, None, "", "", None, plain.get(link)).submit("/magic")
    assert refused.status_code == 400, describe(refused)

    asker.open_link(link, "/magic")
    assert asker.tokens().amr == ["email"]
    assert admin_user(acme, user.id)["email_verified"] is True, "the link proved the address"
    reused = Login.begin(acme, client, asker.browser).open_link(link, "/magic")
    assert reused.status_code == 400 and heading(reused) == "Link expired", describe(reused)


def test_magic_link_off_by_default(gh, acme, client):
    login = Login.begin(acme, client).expect("login")
    assert "/magic-link" not in login.resp.text
    forged = login.post_as_page("/magic-link", {"email": "someone@example.com"})
    assert forged.status_code == 400 and "not available" in page_text(forged), describe(forged)


def test_magic_link_then_email_code_is_not_multi_factor(gh, inbox, acme, client):
    set_settings(acme, magic_link=True, mfa_policy="optional")
    user = new_user(acme)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    enable_email_factor(console, inbox, user.email)
    login = magic_sign_in(gh, inbox, acme, client, user)
    if login.kind == "mfa" and "Code sent to" in page_text(login.resp):
        mark = inbox.mark()
        login.send_email_code()
        login.mfa(mail_code(inbox.wait(user.email, CODE, mark)), "email")
    assert not (login.done and "mfa" in login.tokens().amr), "one mailbox is not two factors"
