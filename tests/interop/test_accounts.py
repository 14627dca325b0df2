"""Accounts, MFA and email (issue 4), against a private Gatehouse that delivers mail to aiosmtpd.

One Gatehouse for the module (``start_accounts_server``: SMTP URL of a module aiosmtpd, Argon2id
8 MiB × 1 iteration); every test makes its own tenant (all counters are keyed by tenant, so the
per-IP limits of one test never touch another). Links and codes are read from delivered mail.
Expiry is tested by moving a row's expiry into the past in the tenant's SQLite file, not by waiting.
"""

from __future__ import annotations

import concurrent.futures
import sqlite3
import statistics
import threading
import time
import unicodedata
from collections import Counter

import pytest
import requests

from accounts_helpers import (
    CODE,
    EC,
    MAGIC,
    MFA_CHANGE,
    PAST,
    RECOVERY_USED,
    RESET,
    VERIFY,
    By,
    CallbackServer,
    Console,
    Inbox,
    Login,
    SourceAddressAdapter,
    Tokens,
    accounts_config,
    age,
    alert,
    assert_no_tokens,
    assert_throttled_json,
    chromium_driver,
    click_button,
    click_css,
    fill,
    fill_login,
    follow_on,
    form_by_action,
    free_port,
    heading,
    headless_tokens,
    hpost,
    hsign_in,
    json_status,
    mail_code,
    mail_link,
    mail_text,
    mfa_row,
    page_text,
    recovery_codes,
    save,
    session_from,
    set_settings,
    signed_in_with,
    smtp_server,
    start_accounts_server,
    steady_totp_window,
    tenant_db,
    token_claims,
    totp_at,
    wait,
    wait_heading,
)
from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    Client,
    Tenant,
    authorization_request,
    describe,
    find_form,
    form_fields,
    is_login_form,
    query_params,
    unique_email,
)
from tenancy_helpers import ExtraServer, headless

PASSWORD = "correct horse battery staple 42"


# --------------------------------------------------------------------------- fixtures


# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: E402, F401


@pytest.fixture
def chromium():
    with chromium_driver() as drv:
        yield drv


@pytest.fixture
def callback():
    server = CallbackServer()
    yield server
    server.close()


def new_user(tenant: Tenant, verified: bool = True, prefix: str = "user"):
    return tenant.create_user(email=unique_email(prefix), email_verified=verified)


def enrol_headless(
    gh: ExtraServer, tenant: Tenant, client: Client, user, offset_steps: int = -1
) -> tuple[str, list[str]]:
    """Enrols TOTP through the headless API (policy temporarily `required`); the enrolment code is
    the one of ``offset_steps`` (default: the previous step, so that the current and next steps
    stay usable). Returns (secret, recovery codes)."""
    before = tenant.admin.get(f"/tenants/{tenant.slug}").json()["settings"]["mfa_policy"]
    set_settings(tenant, mfa_policy="required")
    try:
        resp = hsign_in(gh, client, user.email, user.password)
        body = resp.json()
        assert body["status"] == "mfa_enrollment_required", body
        secret = body["totp"]["secret"]
        done = hpost(
            gh,
            client,
            "auth/mfa/verify",
            {"challenge_id": body["challenge_id"], "factor": "totp", "code": totp_at(secret, offset_steps)},
        )
        assert done.status_code == 200, describe(done)
        return secret, done.json()["recovery_codes"]
    finally:
        set_settings(tenant, mfa_policy=before)


# --------------------------------------------------------------------------- smoke


def test_password_sign_in_without_mfa_has_amr_pwd(gh, acme, client):
    user = new_user(acme)
    tokens = signed_in_with(acme, client, user).tokens()
    assert tokens.amr == ["pwd"]


# --------------------------------------------------------------------------- policy matrix


def magic_sign_in(
    gh, inbox: Inbox, tenant: Tenant, client: Client, user, browser: Browser | None = None
) -> Login:
    """Asks for a magic link on the login page and opens it in the same browser."""
    login = Login.begin(tenant, client, browser).expect("login")
    mark = inbox.mark()
    sent = login.magic_link(user.email)
    assert sent.status_code == 200 and heading(sent) == "Check your email", describe(sent)
    link = mail_link(inbox.wait(user.email, MAGIC, mark), "/magic")
    login.open_link(link, "/magic")
    return login


@pytest.mark.parametrize("path", ["login-page", "headless", "magic-link"])
@pytest.mark.parametrize("enrolled", [False, True], ids=["not-enrolled", "enrolled"])
@pytest.mark.parametrize("policy", ["none", "optional", "required"])
def test_policy_matrix(gh, inbox, acme, client, policy, enrolled, path):
    """The right prompt, the right amr, and no way around the second step."""
    set_settings(acme, magic_link=True)
    user = new_user(acme)
    secret = enrol_headless(gh, acme, client, user)[0] if enrolled else None
    set_settings(acme, mfa_policy=policy)
    challenged = enrolled and policy != "none"
    enrols = policy == "required" and not enrolled
    first = ["email"] if path == "magic-link" else ["pwd"]
    expected = first + ["otp", "mfa"] if (challenged or enrols) else first

    if path == "headless":
        resp = hsign_in(gh, client, user.email, user.password)
        if challenged:
            body = resp.json()
            assert body["status"] == "mfa_required", body
            assert body["factors"] == ["totp", "recovery_code"], body
            assert body["challenge_id"] and 0 < body["expires_in"] <= 600, body
            assert_no_tokens(resp)
            # The challenge is not an email verification, and a wrong factor does not finish it.
            wrong = hpost(
                gh, client, "auth/verify-email", {"challenge_id": body["challenge_id"], "code": "000000"}
            )
            assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant", describe(wrong)
            resp = hpost(
                gh,
                client,
                "auth/mfa/verify",
                {"challenge_id": body["challenge_id"], "factor": "totp", "code": totp_at(secret)},
            )
        elif enrols:
            body = resp.json()
            assert body["status"] == "mfa_enrollment_required" and body["factors"] == ["totp"], body
            assert body["totp"]["otpauth_uri"].startswith("otpauth://totp/"), body
            assert body["totp"]["qr_data_url"].startswith("data:image/"), body
            assert_no_tokens(resp)
            resp = hpost(
                gh,
                client,
                "auth/mfa/verify",
                {
                    "challenge_id": body["challenge_id"],
                    "factor": "totp",
                    "code": totp_at(body["totp"]["secret"]),
                },
            )
            assert len(resp.json()["recovery_codes"]) == 10, resp.json()
        tokens = headless_tokens(acme, client, resp)
    else:
        if path == "login-page":
            login = Login.begin(acme, client).expect("login").login(user.email, user.password)
        else:
            login = magic_sign_in(gh, inbox, acme, client, user)
        if challenged:
            login.expect("mfa")
            # No session yet: the same browser starting again lands on the login page.
            assert Login.begin(acme, client, login.browser).kind == "login"
            bypass = login.post_as_page("/mfa/enrol/done")
            assert bypass.status_code == 400 and heading(bypass) == "This request can’t continue", describe(
                bypass
            )
            login.mfa(totp_at(secret))
        elif enrols:
            login.expect("enrol")
            assert Login.begin(acme, client, login.browser).kind == "login"
            bypass = login.post_as_page("/mfa/enrol/done")
            assert bypass.status_code == 400, describe(bypass)
            bypass = login.post_as_page("/mfa", {"method": "recovery", "code": "aaaa-bbbb"})
            assert bypass.status_code == 400, describe(bypass)
            login.enrol()
        tokens = login.expect("done").tokens()
    assert tokens.amr == expected, tokens.id_claims
    assert tokens.id_claims["sub"] == user.id


def admin_user(tenant: Tenant, user_id: str) -> dict:
    resp = tenant.admin.get(f"/tenants/{tenant.slug}/users/{user_id}")
    assert resp.status_code == 200, describe(resp)
    return resp.json()


def enable_email_factor(console: Console, inbox: Inbox, email: str) -> list[str] | None:
    """Turns on codes by email from the console; returns the recovery codes when it was the first factor."""
    mark = inbox.mark()
    page = console.act("/account/mfa/email")
    assert heading(page) == "Turn on codes by email", describe(page)
    code = mail_code(inbox.wait(email, CODE, mark))
    done = follow_on(console.browser, console.post("/account/mfa/email/confirm", {"code": code}, page=page))
    inbox.wait(email, MFA_CHANGE, mark)
    if 'id="recovery-codes"' in done.text:
        return recovery_codes(done)
    assert heading(done) == "Your account", describe(done)
    console.resp = done
    return None


# --------------------------------------------------------------------------- TOTP


def headless_challenge(gh, client, user) -> str:
    resp = hsign_in(gh, client, user.email, user.password)
    body = resp.json()
    assert resp.status_code == 200 and body["status"] == "mfa_required", describe(resp)
    return body["challenge_id"]


def mfa_verify(gh, client, challenge_id: str, code: str, factor: str = "totp") -> requests.Response:
    return hpost(
        gh, client, "auth/mfa/verify", {"challenge_id": challenge_id, "factor": factor, "code": code}
    )


def test_totp_window_and_no_code_accepted_twice(gh, acme, client):
    ref = steady_totp_window(8)
    user = new_user(acme)
    secret, _ = enrol_headless(gh, acme, client, user, offset_steps=-1)  # −1 step accepted at enrolment
    set_settings(acme, mfa_policy="optional")

    first = headless_challenge(gh, client, user)
    for offset in (-1, -2, 2):  # the enrolment code again; outside the ±1 window
        refused = mfa_verify(gh, client, first, totp_at(secret, offset, ref))
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", (
            offset,
            describe(refused),
        )
    assert headless_tokens(acme, client, mfa_verify(gh, client, first, totp_at(secret, 0, ref))).amr == [
        "pwd",
        "otp",
        "mfa",
    ]

    second = headless_challenge(gh, client, user)
    assert mfa_verify(gh, client, second, totp_at(secret, 0, ref)).status_code == 400, (
        "the current code was used"
    )
    assert headless_tokens(acme, client, mfa_verify(gh, client, second, totp_at(secret, 1, ref))).amr == [
        "pwd",
        "otp",
        "mfa",
    ]

    # On the login page as well: the +1 code was just used, the current one before it.
    login = Login.begin(acme, client).login(user.email, user.password).expect("mfa")
    for offset in (1, 0):
        login.mfa(totp_at(secret, offset, ref)).expect("mfa", 401)
        assert "That code is not right" in alert(login.resp), login.trace()


@pytest.mark.parametrize("path", ["login-page", "headless"])
def test_five_wrong_codes_end_the_challenge(gh, acme, client, path):
    user = new_user(acme)
    secret, _ = enrol_headless(gh, acme, client, user)
    set_settings(acme, mfa_policy="required")
    if path == "headless":
        challenge = headless_challenge(gh, client, user)
        for _ in range(5):
            resp = mfa_verify(gh, client, challenge, "000000" if totp_at(secret) != "000000" else "111111")
            assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant", describe(resp)
        assert "too many" in resp.json()["error_description"], resp.json()
        late = mfa_verify(gh, client, challenge, totp_at(secret))
        assert late.status_code == 400 and "unknown or expired" in late.json()["error_description"], describe(
            late
        )
    else:
        login = Login.begin(acme, client).login(user.email, user.password).expect("mfa")
        wrong = "000000" if totp_at(secret) != "000000" else "111111"
        for left in (4, 3, 2, 1):
            login.mfa(wrong).expect("mfa", 401)
            assert f"{left} attempts left" in alert(login.resp), login.trace()
        login.mfa(wrong)
        assert login.resp.status_code == 400 and "Too many incorrect codes" in alert(login.resp), (
            login.trace()
        )
        late = login.post_as_page("/mfa", {"method": "totp", "code": totp_at(secret)})
        assert late.status_code == 400 and heading(late) == "This request can’t continue", describe(late)
        assert Login.begin(acme, client, login.browser).kind == "login", "no session came out of it"


# --------------------------------------------------------------------------- email codes


def test_email_code_factor_lifetime_and_attempts(gh, inbox, acme, client):
    set_settings(acme, mfa_policy="optional")
    user = new_user(acme)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    assert enable_email_factor(console, inbox, user.email) is not None, "first factor: recovery codes shown"

    def challenge_with_code() -> tuple[str, str, str]:
        cid = headless_challenge(gh, client, user)
        mark = inbox.mark()
        sent = hpost(gh, client, "auth/mfa/email", {"challenge_id": cid})
        assert sent.status_code == 204, describe(sent)
        message = inbox.wait(user.email, CODE, mark)
        assert "expires in 10 minutes" in mail_text(message), mail_text(message)
        return cid, mail_code(message), mail_text(message)

    body = hsign_in(gh, client, user.email, user.password).json()
    assert body["factors"] == ["email", "recovery_code"] and body["email"].endswith(
        user.email.split("@")[1]
    ), body
    assert user.email not in str(body), "the address is masked"

    # 4 wrong codes, then the right one: 5 attempts per challenge.
    cid, code, _ = challenge_with_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert mfa_verify(gh, client, cid, wrong, "email").status_code == 400
    tokens = headless_tokens(acme, client, mfa_verify(gh, client, cid, code, "email"))
    assert tokens.amr == ["pwd", "email", "mfa"]

    # Single use, and bound to its challenge.
    other, _, _ = challenge_with_code()
    assert mfa_verify(gh, client, other, code, "email").status_code == 400

    # Five wrong codes (that one and four more) end the challenge; the right code is then refused.
    for _ in range(4):
        resp = mfa_verify(gh, client, other, wrong, "email")
    assert "too many" in resp.json()["error_description"], resp.json()

    # Expired (10 minutes, moved into the past here): refused.
    cid, code, _ = challenge_with_code()
    assert (
        age(
            gh,
            acme,
            "UPDATE pending_sign_ins SET email_code_expires_at = ? "
            "WHERE user_id = ? AND email_code_hash IS NOT NULL",
            PAST,
            user.id,
        )
        == 1
    )
    expired = mfa_verify(gh, client, cid, code, "email")
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant", describe(expired)


def test_email_code_on_the_login_page(gh, inbox, acme, client):
    set_settings(acme, mfa_policy="required")
    user = new_user(acme)
    secret, _ = enrol_headless(gh, acme, client, user)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password, totp_secret=secret)
    assert enable_email_factor(console, inbox, user.email) is None, (
        "not the first factor: no new recovery codes"
    )

    login = Login.begin(acme, client).login(user.email, user.password).expect("mfa")
    assert "Code sent to" in page_text(login.resp) and "Authenticator app" in page_text(login.resp)
    mark = inbox.mark()
    login.send_email_code()
    assert "We emailed you a code" in page_text(login.resp), login.trace()
    code = mail_code(inbox.wait(user.email, CODE, mark))
    assert login.mfa(code, "email").tokens().amr == ["pwd", "email", "mfa"]


# --------------------------------------------------------------------------- recovery codes


def test_recovery_codes_single_use_regenerable_and_announced(gh, inbox, acme, client):
    user = new_user(acme)
    secret, codes = enrol_headless(gh, acme, client, user)
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    set_settings(acme, mfa_policy="optional")

    mark = inbox.mark()
    used = codes[0]
    tokens = headless_tokens(
        acme,
        client,
        mfa_verify(gh, client, headless_challenge(gh, client, user), used.upper(), "recovery_code"),
    )
    assert tokens.amr == ["pwd", "otp", "mfa"]
    notice = mail_text(inbox.wait(user.email, RECOVERY_USED, mark))
    assert "Recovery codes left: 9" in notice, notice

    again = mfa_verify(gh, client, headless_challenge(gh, client, user), used, "recovery_code")
    assert again.status_code == 400, "a recovery code works once"

    # On the login page, as typed by a person (spaces instead of dashes).
    login = Login.begin(acme, client).login(user.email, user.password).expect("mfa")
    assert login.mfa(codes[1].replace("-", " "), "recovery").tokens().amr == ["pwd", "otp", "mfa"]

    # Regenerated from the console: the old codes stop working, the new ones work.
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password, totp_secret=secret)
    assert console.mfa_status()["Recovery codes"].startswith("8 unused"), console.mfa_status()
    page = console.post("/account/recovery-codes")
    fresh = recovery_codes(page)
    assert not set(fresh) & set(codes)
    console.open()
    assert console.mfa_status()["Recovery codes"].startswith("10 unused"), console.mfa_status()
    assert (
        mfa_verify(gh, client, headless_challenge(gh, client, user), codes[2], "recovery_code").status_code
        == 400
    )
    headless_tokens(
        acme, client, mfa_verify(gh, client, headless_challenge(gh, client, user), fresh[0], "recovery_code")
    )


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


# --------------------------------------------------------------------------- reset and password change


def test_password_reset_by_mail_revokes_sessions_and_refresh_tokens(gh, inbox, acme, client):
    user = new_user(acme, verified=False)
    api = hsign_in(gh, client, user.email, user.password).json()
    browser_login = signed_in_with(acme, client, user)
    assert Login.begin(acme, client, browser_login.browser).done, "SSO session before the reset"

    other = Browser()
    page = other.get(f"{acme.issuer}/forgot")
    assert page.status_code == 200 and heading(page) == "Reset your password", describe(page)
    mark = inbox.mark()
    sent = other.submit(page, form_by_action(page, "/forgot"), {"email": user.email.upper()})
    assert sent.status_code == 200 and heading(sent) == "Check your email", describe(sent)
    message = inbox.wait(user.email, RESET, mark)
    assert "expires in 30 minutes" in mail_text(message)
    link = mail_link(message, "/reset")

    form = other.get(link)
    assert form.status_code == 200 and heading(form) == "Choose a new password", describe(form)
    weak = other.submit(form, form_by_action(form, "/reset"), {"password": "short"})
    assert weak.status_code == 400 and "at least 8 characters" in alert(weak), describe(weak)
    new_password = "a brand new passphrase 2026"
    done = other.submit(form, form_by_action(form, "/reset"), {"password": new_password})
    assert done.status_code == 200 and heading(done) == "Password changed", describe(done)
    again = other.submit(form, form_by_action(form, "/reset"), {"password": "yet another passphrase"})
    assert again.status_code == 400 and heading(again) == "Link expired", "a reset link works once"

    refresh = hpost(gh, client, "auth/refresh", {"refresh_token": api["refresh_token"]})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant", describe(refresh)
    me = headless(gh.public_url, "GET", "me", client_id=client.client_id, bearer=api["access_token"])
    assert me.status_code == 401, describe(me)
    assert Login.begin(acme, client, browser_login.browser).kind == "login", "the browser session was revoked"
    assert admin_user(acme, user.id)["email_verified"] is True, "the reset link proved the address"

    old = Login.begin(acme, client).login(user.email, user.password)
    assert old.expect("login", 401) and "Incorrect email or password" in alert(old.resp)
    user.password = new_password
    signed_in_with(acme, client, user)

    # An expired link (30 minutes, moved into the past here) shows the refusal at once.
    mark = inbox.mark()
    page = other.get(f"{acme.issuer}/forgot")
    other.submit(page, form_by_action(page, "/forgot"), {"email": user.email})
    link = mail_link(inbox.wait(user.email, RESET, mark), "/reset")
    assert (
        age(
            gh,
            acme,
            "UPDATE one_time_tokens SET expires_at = ? WHERE user_id = ? AND consumed_at IS NULL",
            PAST,
            user.id,
        )
        == 1
    )
    expired = other.get(link)
    assert expired.status_code == 400 and heading(expired) == "Link expired", describe(expired)


def test_console_password_change_asks_current_password_and_revokes_others(gh, acme, client):
    user = new_user(acme)
    api = hsign_in(gh, client, user.email, user.password).json()
    elsewhere = signed_in_with(acme, client, user)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)

    wrong = console.post(
        "/account/password", {"current_password": "not my password", "new_password": "fresh passphrase 99"}
    )
    assert wrong.status_code == 401 and "current password is not right" in alert(wrong), describe(wrong)
    common = console.post(
        "/account/password", {"current_password": user.password, "new_password": "Password123"}
    )
    assert common.status_code == 400 and "too common" in alert(common), describe(common)
    refreshed = hpost(gh, client, "auth/refresh", {"refresh_token": api["refresh_token"]})
    assert refreshed.status_code == 200, "nothing revoked by the refused changes"
    api = refreshed.json()

    changed = console.act(
        "/account/password", {"current_password": user.password, "new_password": "fresh passphrase 99"}
    )
    assert heading(changed) == "Your account" and "Your other devices were signed out" in page_text(
        changed
    ), describe(changed)
    # This browser stays signed in; the others are signed out and their refresh tokens revoked.
    assert heading(console.open()) == "Your account"
    assert Login.begin(acme, client, elsewhere.browser).kind == "login"
    refresh = hpost(gh, client, "auth/refresh", {"refresh_token": api["refresh_token"]})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant", describe(refresh)
    old = Login.begin(acme, client).login(user.email, user.password)
    old.expect("login", 401)
    user.password = "fresh passphrase 99"
    signed_in_with(acme, client, user)


# --------------------------------------------------------------------------- sign-up, emails, password policy


def test_sign_up_is_off_by_default(gh, acme, client):
    login = Login.begin(acme, client).expect("login")
    assert "/signup" not in login.resp.text, "no Create account link"
    page = login.browser.get(f"{acme.issuer}/signup?interaction=x")
    assert page.status_code == 400 and "Sign-up is not available here" in page_text(page), describe(page)
    forged = login.post_as_page("/signup", {"email": unique_email(), "password": PASSWORD})
    assert forged.status_code == 400 and "Sign-up is not available here" in page_text(forged), describe(
        forged
    )
    api = hpost(gh, client, "auth/sign-up", {"email": unique_email(), "password": PASSWORD})
    assert api.status_code == 400 and api.json()["error"] == "access_denied", describe(api)
    assert gh.admin.get(f"/tenants/{acme.slug}/users").json()["users"] == []


def test_emails_normalized_and_duplicates_refused(gh, inbox, acme, client):
    set_settings(acme, self_signup=True)
    local = f"Ada.Lovelace-{acme.slug}"
    mixed = f"  {local}@Example.COM "
    login = Login.begin(acme, client).expect("login").open_signup().expect("signup")
    login.signup(mixed, PASSWORD, "Ada")
    tokens = login.tokens()
    normalized = f"{local.lower()}@example.com"
    assert tokens.id_claims["email"] == normalized
    inbox.wait(normalized, VERIFY)

    again = Login.begin(acme, client).open_signup().signup(normalized.upper(), PASSWORD + "x")
    again.expect("signup", 409)
    assert "already exists" in alert(again.resp), again.trace()
    api = hpost(gh, client, "auth/sign-up", {"email": f"{local.upper()}@example.com", "password": PASSWORD})
    assert api.status_code == 400 and "already exists" in api.json()["error_description"], describe(api)
    # Sign-in in any case.
    ok = hsign_in(gh, client, normalized.upper(), PASSWORD)
    assert ok.status_code == 200 and ok.json()["user"]["email"] == normalized, describe(ok)

    # Unicode: decomposed and composed forms are one address (NFC), also in the local part.
    decomposed = f"jose\u0301-{acme.slug}@Exa\u0301mple.org"
    composed = unicodedata.normalize("NFC", decomposed)
    assert decomposed != composed
    created = hpost(gh, client, "auth/sign-up", {"email": decomposed, "password": PASSWORD, "name": "José"})
    assert created.status_code == 200, describe(created)
    assert created.json()["user"]["email"] == composed.lower()
    dup = hpost(gh, client, "auth/sign-up", {"email": composed.upper(), "password": PASSWORD})
    assert dup.status_code == 400 and "already exists" in dup.json()["error_description"], describe(dup)
    assert hsign_in(gh, client, composed, PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("seven77", "at least 8 characters"),
        ("x" * 256, None),
        ("x" * 257, "at most 256 characters"),
        ("password123", "too common"),
        ("PASSWORD123", "too common"),
        ("vq7-lamp", None),
    ],
    ids=["7-chars", "256-chars", "257-chars", "common", "common-other-case", "8-chars"],
)
def test_password_policy_on_sign_up(gh, acme, client, password, problem):
    set_settings(acme, self_signup=True)
    page = Login.begin(acme, client).open_signup().signup(unique_email("policy"), password)
    api = hpost(gh, client, "auth/sign-up", {"email": unique_email("policy"), "password": password})
    if problem is None:
        assert page.done, page.trace()
        assert api.status_code == 200 and api.json()["status"] == "signed_in", describe(api)
    else:
        page.expect("signup", 400)
        assert problem in alert(page.resp), page.trace()
        assert api.status_code == 400 and problem in api.json()["error_description"], describe(api)


# --------------------------------------------------------------------------- console MFA


def test_console_mfa_enrolment_and_removal_with_notices(gh, inbox, acme, client):
    set_settings(acme, mfa_policy="optional")
    user = new_user(acme)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    assert console.mfa_status()["Authenticator app"] == "Off"
    assert "Recovery codes" not in console.mfa_status()

    # A wrong code does not turn it on.
    page = console.act("/account/mfa/totp")
    refused = console.browser.submit(
        page, form_by_action(page, "/account/mfa/totp/confirm"), {"code": "12345"}
    )
    assert refused.status_code == 401 and "not right" in alert(refused), describe(refused)

    mark = inbox.mark()
    console.enrol_totp()
    assert console.mfa_status()["Authenticator app"] == "On"
    assert console.mfa_status()["Recovery codes"].startswith("10 unused")
    assert "An authenticator app was added" in mail_text(inbox.wait(user.email, MFA_CHANGE, mark))
    # Enrolled: the next sign-in asks for it.
    assert json_status(hsign_in(gh, client, user.email, user.password)) == "mfa_required"

    mark = inbox.mark()
    removed = console.act("/account/mfa/totp/remove")
    assert "The authenticator app was removed" in page_text(removed), describe(removed)
    assert console.mfa_status()["Authenticator app"] == "Off"
    assert "An authenticator app was removed" in mail_text(inbox.wait(user.email, MFA_CHANGE, mark))
    assert json_status(hsign_in(gh, client, user.email, user.password)) == "signed_in"


def test_console_refuses_removing_the_last_factor_when_required(gh, inbox, acme, client):
    user = new_user(acme)
    secret, _ = enrol_headless(gh, acme, client, user)
    set_settings(acme, mfa_policy="required")
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password, totp_secret=secret)
    refused = console.act("/account/mfa/totp/remove")
    assert refused.status_code == 400 and "requires two-step verification" in page_text(refused), describe(
        refused
    )
    console.open()
    assert console.mfa_status()["Authenticator app"] == "On"

    # With a second factor, one may go; then the other is the last one again.
    enable_email_factor(console, inbox, user.email)
    console.open()
    assert console.mfa_status()["Codes by email"] == "On"
    assert "removed" in page_text(console.act("/account/mfa/totp/remove"))
    refused = console.act("/account/mfa/email/remove")
    assert refused.status_code == 400 and "requires two-step verification" in page_text(refused), describe(
        refused
    )


# --------------------------------------------------------------------------- abuse controls


def at_once(count: int, fn) -> list:
    """Runs ``fn(i)`` for ``count`` values of i in parallel threads released together."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        started = time.monotonic()
        resp = fn(i)
        return resp, time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def login_form_poster(login: Login):
    """A thread-safe poster of the login form of ``login``'s page (its cookies, fields and Origin)."""
    form = find_form(login.resp.text, is_login_form)
    fields = dict(form_fields(form))
    cookies = login.browser.http.cookies.get_dict()
    url = f"{login.tenant.issuer}/login"

    def post(email: str, password: str, session: requests.Session | None = None) -> requests.Response:
        data = dict(fields, email=email, password=password)
        return (session or requests).post(
            url,
            data=data,
            cookies=cookies,
            headers={"Origin": login.tenant.public_url},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )

    return post


def retry_after(resp: requests.Response) -> int:
    value = int(resp.headers["Retry-After"])
    assert value >= 1, resp.headers
    return value


def test_fifty_parallel_wrong_passwords_on_the_login_page(gh, acme, client):
    user = new_user(acme)
    login = Login.begin(acme, client).expect("login")
    post = login_form_poster(login)
    results = at_once(50, lambda i: post(user.email, f"wrong password {i}"))
    statuses = Counter(resp.status_code for resp, _ in results)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] <= 10 and statuses[429] >= 40, statuses
    for resp, _ in results:
        if resp.status_code == 429:
            retry_after(resp)
            assert "Too many attempts" in alert(resp), describe(resp)

    # Even the right password waits until the wait passes; then it signs in, which resets the count.
    login.login(user.email, user.password).expect("login", 429)
    time.sleep(retry_after(login.resp))
    login.login(user.email, user.password).expect("done")
    post = login_form_poster(Login.begin(acme, client).expect("login"))
    for _ in range(3):
        assert post(user.email, "wrong again").status_code == 401, "the success reset the count"


def test_fifty_parallel_wrong_passwords_on_the_headless_api(gh, acme, client):
    user = new_user(acme)
    results = at_once(50, lambda i: hsign_in(gh, client, user.email, f"wrong password {i}"))
    statuses = Counter(resp.status_code for resp, _ in results)
    assert set(statuses) <= {400, 429}, statuses
    assert statuses[400] <= 10 and statuses[429] >= 40, statuses
    for resp, _ in results:
        if resp.status_code == 400:
            assert resp.json()["error"] == "invalid_grant"
        else:
            assert_throttled_json(resp)
    refused = hsign_in(gh, client, user.email, user.password)
    time.sleep(assert_throttled_json(refused))
    assert json_status(hsign_in(gh, client, user.email, user.password)) == "signed_in"
    assert hsign_in(gh, client, user.email, "wrong").status_code == 400


def test_unknown_accounts_answer_like_known_ones(gh, acme, client):
    user = new_user(acme)
    ghost = unique_email("ghost")

    def attempts(email: str):
        outcomes = [hsign_in(gh, client, email, "wrong password") for _ in range(11)]
        return (
            [r.status_code for r in outcomes],
            [r.json() for r in outcomes],
            [r.elapsed.total_seconds() for r in outcomes[:10]],
        )

    known, unknown = attempts(user.email), attempts(ghost)
    assert known[0] == unknown[0] == [400] * 10 + [429], (known[0], unknown[0])
    assert known[1] == unknown[1]
    # An unknown account is hashed against a decoy: it costs about the same. (Without the decoy
    # it would cost a tenth or less; 0.25 leaves room for a loaded machine, where 0.4 flaked.)
    assert statistics.median(unknown[2]) > 0.25 * statistics.median(known[2]), (known[2], unknown[2])

    # The login page: the same answer apart from the typed address.
    login = Login.begin(acme, client).expect("login")
    post = login_form_poster(login)
    other, nobody = new_user(acme), unique_email("nobody")
    a, b = post(other.email, "wrong password"), post(nobody, "wrong password")
    assert a.status_code == b.status_code == 401
    assert a.text.replace(other.email, "ADDRESS") == b.text.replace(nobody, "ADDRESS")


def test_reset_and_magic_link_requests_do_not_reveal_accounts(gh, inbox, acme, client):
    set_settings(acme, magic_link=True)
    user, ghost = new_user(acme), unique_email("ghost")
    browser = Browser()
    page = browser.get(f"{acme.issuer}/forgot")
    form = form_by_action(page, "/forgot")
    mark = inbox.mark()
    known = browser.submit(page, form, {"email": user.email})
    unknown = browser.submit(page, form, {"email": ghost})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text and heading(known) == "Check your email"

    login = Login.begin(acme, client).expect("login")
    known = login.post_as_page("/magic-link", {"email": user.email})
    unknown = login.post_as_page("/magic-link", {"email": ghost})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text

    inbox.wait(user.email, RESET, mark)
    inbox.wait(user.email, MAGIC, mark)
    assert inbox.count(ghost, since=mark) == 0


def test_a_locked_account_signs_in_from_another_ip_and_the_account_wide_cap(gh, acme, client):
    user = new_user(acme)
    for _ in range(10):
        assert hsign_in(gh, client, user.email, "wrong password").status_code == 400
    assert_throttled_json(hsign_in(gh, client, user.email, user.password))
    # Another client IP is not held back by this one's failures.
    elsewhere = session_from("127.0.0.2")
    assert json_status(hsign_in(gh, client, user.email, user.password, session=elsewhere)) == "signed_in"

    # Across IPs: 50 failures make every IP wait, even a new one with the right password, until the
    # wait passes.
    target = new_user(acme)
    for ip in range(3, 8):
        session = session_from(f"127.0.0.{ip}")
        for _ in range(10):
            assert hsign_in(gh, client, target.email, "wrong password", session=session).status_code == 400
    fresh = session_from("127.0.0.9")
    time.sleep(assert_throttled_json(hsign_in(gh, client, target.email, target.password, session=fresh)))
    assert json_status(hsign_in(gh, client, target.email, target.password, session=fresh)) == "signed_in"


def sign_up_in_new_browser(tenant: Tenant, client: Client, session_source: str | None = None) -> Login:
    browser = Browser()
    if session_source:
        browser.http.mount("http://", SourceAddressAdapter(session_source))
    return Login.begin(tenant, client, browser).open_signup().signup(unique_email("limit"), PASSWORD)


@pytest.mark.parametrize("action", ["signup", "reset", "magic-link", "email-code"])
def test_per_ip_limits_on_actions_that_send_mail(gh, inbox, acme, client, action):
    """Burst of 5 per IP and tenant, then 429 with Retry-After (one more per minute)."""
    set_settings(acme, self_signup=True, magic_link=True)
    if action == "signup":
        for _ in range(5):
            assert sign_up_in_new_browser(acme, client).done
        refused = sign_up_in_new_browser(acme, client)
        assert refused.resp.status_code == 429 and heading(refused.resp) == "Too many requests", (
            refused.trace()
        )
        assert 1 <= retry_after(refused.resp) <= 60
        assert_throttled_json(
            hpost(gh, client, "auth/sign-up", {"email": unique_email(), "password": PASSWORD})
        )
        assert sign_up_in_new_browser(acme, client, "127.0.0.2").done, "another IP has its own budget"
    elif action == "reset":
        browser = Browser()
        page = browser.get(f"{acme.issuer}/forgot")
        send = lambda: browser.submit(page, form_by_action(page, "/forgot"), {"email": unique_email()})  # noqa: E731
        assert [send().status_code for _ in range(5)] == [200] * 5
        refused = send()
        assert refused.status_code == 429 and 1 <= retry_after(refused) <= 60, describe(refused)
    elif action == "magic-link":
        login = Login.begin(acme, client).expect("login")
        send = lambda: login.post_as_page("/magic-link", {"email": unique_email()})  # noqa: E731
        assert [send().status_code for _ in range(5)] == [200] * 5
        refused = send()
        assert refused.status_code == 429 and 1 <= retry_after(refused) <= 60, describe(refused)
    else:
        set_settings(acme, mfa_policy="optional")
        user = new_user(acme)
        console = Console(acme, Browser())
        console.browser.http.mount("http://", SourceAddressAdapter("127.0.0.2"))
        console.sign_in(user.email, user.password)
        enable_email_factor(console, inbox, user.email)
        challenge = headless_challenge(gh, client, user)

        def send(session=None):
            return hpost(gh, client, "auth/mfa/email", {"challenge_id": challenge}, session=session)

        assert [send().status_code for _ in range(5)] == [204] * 5
        assert 1 <= assert_throttled_json(send()) <= 60
        page = Login.begin(acme, client).login(user.email, user.password).expect("mfa")
        page.send_email_code()
        assert page.resp.status_code == 429 and "Please wait" in alert(page.resp), page.trace()
        assert send(session_from("127.0.0.3")).status_code == 204, "another IP has its own budget"


def test_console_mail_limits_answer_429(gh, acme):
    user = new_user(acme, verified=False)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    for _ in range(5):
        sent = console.act("/account/email/verify")
        assert "We sent you a verification email" in page_text(sent), describe(sent)
    refused = console.post("/account/email/verify")
    assert refused.status_code == 429 and 1 <= retry_after(refused) <= 60, describe(refused)
    assert "Too many attempts" in alert(refused), describe(refused)


def test_argon2_pool_full_answers_503_quickly(tmp_path, smtp_port, inbox):
    """One hashing thread and no queue: concurrent password checks beyond it answer 503 with
    Retry-After at once; throttled attempts never reach the pool (no hash for them)."""
    server = start_accounts_server(
        tmp_path / "pool",
        tmp_path / "pool.log",
        smtp_port,
        accounts_config(memory_kib=65536, iterations=2, threads=1, queue=0),
    )
    try:
        tenant = server.admin.create_tenant()
        client = tenant.create_client("public", first_party=True)
        # While the pool is full, the node stays ready: a flood of wrong passwords must not pull it
        # (and every other node) out of the load balancer while tokens and keys are still served.
        ready: list[int] = []
        probe = threading.Thread(target=lambda: ready.extend(
            requests.get(f"{server.public_url}/readyz", timeout=5).status_code for _ in range(10)))
        probe.start()
        results = at_once(24, lambda i: hsign_in(server, client, unique_email(f"pool{i}"), "wrong password"))
        probe.join()
        assert set(ready) == {200}, ready
        busy = [(r, t) for r, t in results if r.status_code == 503]
        done = [(r, t) for r, t in results if r.status_code == 400]
        assert busy and done and len(busy) + len(done) == 24, Counter(r.status_code for r, _ in results)
        for resp, elapsed in busy:
            assert resp.json()["error"] == "temporarily_unavailable" and retry_after(resp) >= 1, describe(
                resp
            )
            assert elapsed < 2.0, elapsed

        login = Login.begin(tenant, client).expect("login")
        post = login_form_poster(login)
        pages = at_once(12, lambda i: post(unique_email(f"page{i}"), "wrong password"))
        busy_pages = [r for r, _ in pages if r.status_code == 503]
        assert busy_pages and all(retry_after(r) >= 1 for r in busy_pages), Counter(
            r.status_code for r, _ in pages
        )
        assert heading(busy_pages[0]) == "This request can’t continue"

        # 50 wrong passwords for one account against the full pool: at most 10 are processed (400);
        # every other one is refused at once without hashing — by the throttle (429) or the full pool
        # (503). A 503 is not counted as a failed sign-in, so load alone never locks an account out.
        victim = unique_email("victim")
        results = at_once(50, lambda i: hsign_in(server, client, victim, f"wrong {i}"))
        statuses = Counter(r.status_code for r, _ in results)
        assert statuses[400] <= 10 and statuses[400] + statuses[429] + statuses[503] == 50, statuses
        assert all(retry_after(r) >= 1 for r, _ in results if r.status_code in (429, 503)), statuses
    finally:
        server.stop()


# --------------------------------------------------------------------------- headless journey


def test_headless_sign_up_verification_enrolment_and_factors(gh, inbox, acme, client):
    set_settings(acme, self_signup=True, require_verified_email=True, mfa_policy="required")
    email = unique_email("api")
    mark = inbox.mark()
    created = hpost(gh, client, "auth/sign-up", {"email": email, "password": PASSWORD, "name": "Api User"})
    body = created.json()
    assert (
        created.status_code == 200
        and body["status"] == "email_verification_required"
        and body["email"] == email
    ), body
    assert_no_tokens(created)
    message = inbox.wait(email, VERIFY, mark)
    assert inbox.count(email, VERIFY, mark) == 1
    wrong = hpost(gh, client, "auth/verify-email", {"challenge_id": body["challenge_id"], "code": "12345x"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant", describe(wrong)
    # Another client cannot continue this client's challenge.
    stranger = acme.create_client("public", first_party=True)
    stolen = hpost(
        gh, stranger, "auth/verify-email", {"challenge_id": body["challenge_id"], "code": mail_code(message)}
    )
    assert stolen.status_code == 400 and "unknown or expired" in stolen.json()["error_description"], describe(
        stolen
    )

    verified = hpost(
        gh, client, "auth/verify-email", {"challenge_id": body["challenge_id"], "code": mail_code(message)}
    )
    enrol = verified.json()
    assert verified.status_code == 200 and enrol["status"] == "mfa_enrollment_required", enrol
    assert enrol["challenge_id"] != body["challenge_id"]
    assert_no_tokens(verified)
    mark = inbox.mark()
    finished = mfa_verify(gh, client, enrol["challenge_id"], totp_at(enrol["totp"]["secret"], -1))
    tokens = headless_tokens(acme, client, finished)
    assert tokens.amr == ["pwd", "otp", "mfa"]
    assert tokens.id_claims["email_verified"] is True and tokens.id_claims["email"] == email
    codes = finished.json()["recovery_codes"]
    assert len(codes) == 10 and finished.json()["user"]["email_verified"] is True
    assert "An authenticator app was added" in mail_text(inbox.wait(email, MFA_CHANGE, mark))

    # Sign-in: an MFA challenge; each factor completes it with the right amr.
    challenge = headless_challenge(gh, client, type("U", (), {"email": email, "password": PASSWORD})())
    bad = mfa_verify(gh, client, challenge, "123456", "sms")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request", describe(bad)
    no_email = hpost(gh, client, "auth/mfa/email", {"challenge_id": challenge})
    assert no_email.status_code == 400, "email codes are not set up for this account"
    assert headless_tokens(
        acme, client, mfa_verify(gh, client, challenge, totp_at(enrol["totp"]["secret"], 0))
    ).amr == ["pwd", "otp", "mfa"]
    challenge = headless_challenge(gh, client, type("U", (), {"email": email, "password": PASSWORD})())
    assert headless_tokens(
        acme, client, mfa_verify(gh, client, challenge, codes[0], "recovery_code")
    ).amr == ["pwd", "otp", "mfa"]
    unknown = mfa_verify(gh, client, "not-a-challenge", "123456")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"


# --------------------------------------------------------------------------- Chromium


@pytest.mark.browser
def test_chromium_journey(gh, inbox, acme, chromium, callback, artifacts_dir):
    """sign-up → verification mail → verified → sign-in → enrol TOTP → sign out → sign-in asks for
    TOTP → recovery-code sign-in → password reset by mail; screenshots of the pages on the way."""
    drv = chromium
    set_settings(acme, self_signup=True, require_verified_email=True, mfa_policy="optional")
    client = acme.create_client("public", first_party=True, redirect_uris=[callback.url])
    issuer = acme.issuer
    email, name = unique_email("journey"), "Journey User"
    password = PASSWORD

    def authorize() -> tuple:
        rp, url, state, nonce, verifier = authorization_request(acme, client)
        drv.get(url)
        return rp, state, nonce, verifier

    def finish(rp, state, nonce, verifier) -> Tokens:
        params = query_params(callback.next_hit())
        assert params.get("state") == state and params.get("code"), params
        tokens = token_claims(
            acme,
            client,
            rp.fetch_token(code=params["code"], code_verifier=verifier, redirect_uri=callback.url),
        )
        assert tokens.id_claims["nonce"] == nonce
        return tokens

    def sign_out() -> None:
        drv.get(f"{issuer}/account")
        wait_heading(drv, "Your account")
        click_button(drv, "Sign out")
        wait_heading(drv, "You have signed out")

    # 1. Sign-up from the login page.
    flow = authorize()
    wait_heading(drv, "Sign in")
    drv.find_element(By.LINK_TEXT, "Create account").click()
    wait_heading(drv, "Create your account")
    save(drv, artifacts_dir, "signup-page.png")
    mark = inbox.mark()
    fill(drv, name=name, email=email, password=password)
    click_button(drv, "Create account")

    # 2. The verification mail; its link verifies the address; the waiting sign-in continues.
    wait_heading(drv, "Verify your email")
    waiting = drv.current_url
    message = inbox.wait(email, VERIFY, mark)
    drv.get(mail_link(message, "/verify-email"))
    click_button(drv, "Verify my email")
    wait_heading(drv, "Email verified")
    drv.get(waiting)
    tokens = finish(*flow)
    assert inbox.count(email, VERIFY, mark) == 1, "one verification mail for the sign-up"
    assert (
        tokens.amr == ["pwd"]
        and tokens.id_claims["email_verified"] is True
        and tokens.id_claims["email"] == email
    )

    # 3. Signed in: the account console; enrol an authenticator app.
    drv.get(f"{issuer}/account")
    wait_heading(drv, "Your account")
    mfa_row(drv, "Authenticator app").find_element(By.TAG_NAME, "button").click()
    wait_heading(drv, "Set up two-step verification")
    assert drv.find_element(By.CSS_SELECTOR, "img[src^='data:image/']").is_displayed()
    drv.find_element(By.TAG_NAME, "summary").click()
    secret = wait(drv).until(EC.visibility_of_element_located((By.ID, "totp-secret"))).text.strip()
    save(drv, artifacts_dir, "mfa-enrol-page.png")
    mark = inbox.mark()
    fill(drv, code=totp_at(secret))
    click_button(drv, "Turn on")
    wait_heading(drv, "Save your recovery codes")
    codes = [li.text.strip() for li in drv.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    assert len(codes) == 10, codes
    click_button(drv, "Back to your account")
    wait_heading(drv, "Your account")
    assert "On" in mfa_row(drv, "Authenticator app").text
    drv.set_window_size(1280, 2200)  # the whole console, two-step section included
    save(drv, artifacts_dir, "account-security.png")
    drv.set_window_size(1280, 1100)
    assert "An authenticator app was added" in mail_text(inbox.wait(email, MFA_CHANGE, mark))

    # 4. Sign out; 5. signing in asks for the authenticator code.
    sign_out()
    flow = authorize()
    fill_login(drv, email, password)
    wait_heading(drv, "Two-step verification")
    save(drv, artifacts_dir, "mfa-challenge-page.png")
    fill(drv, code=totp_at(secret, 1))  # the enrolment used the current step; the next one is in the window
    click_button(drv, "Verify")
    assert finish(*flow).amr == ["pwd", "otp", "mfa"]

    # 6. Sign out; sign in with a recovery code instead.
    sign_out()
    flow = authorize()
    fill_login(drv, email, password)
    wait_heading(drv, "Two-step verification")
    mark = inbox.mark()
    click_css(drv, "input[name=method][value=recovery]")
    fill(drv, code=codes[0])
    click_button(drv, "Verify")
    assert finish(*flow).amr == ["pwd", "otp", "mfa"]
    assert "Recovery codes left: 9" in mail_text(inbox.wait(email, RECOVERY_USED, mark))

    # 7. Sign out; forgot the password: reset by mail, then sign in with the new one.
    sign_out()
    flow = authorize()
    wait_heading(drv, "Sign in")
    drv.find_element(By.LINK_TEXT, "Forgot password?").click()
    wait_heading(drv, "Reset your password")
    mark = inbox.mark()
    fill(drv, email=email)
    click_button(drv, "Send reset link")
    wait_heading(drv, "Check your email")
    drv.get(mail_link(inbox.wait(email, RESET, mark), "/reset"))
    wait_heading(drv, "Choose a new password")
    new_password = "a new passphrase for the journey"
    fill(drv, password=new_password)
    click_button(drv, "Save password")
    wait_heading(drv, "Password changed")
    flow = authorize()
    fill_login(drv, email, password)
    wait(drv).until(lambda d: "Incorrect email or password" in d.find_element(By.TAG_NAME, "body").text)
    fill_login(drv, email, new_password)
    wait_heading(drv, "Two-step verification")
    click_css(drv, "input[name=method][value=recovery]")
    fill(drv, code=codes[1])
    click_button(drv, "Verify")
    assert finish(*flow).amr == ["pwd", "otp", "mfa"]


def test_older_argon2_parameters_are_upgraded_at_the_next_sign_in(tmp_path, smtp_port, inbox):
    workdir = tmp_path / "rehash"

    def stored_hash(server: ExtraServer, tenant: Tenant, user_id: str) -> str:
        with sqlite3.connect(tenant_db(server, tenant)) as db:
            return db.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()[0]

    server = start_accounts_server(
        workdir, tmp_path / "before.log", smtp_port, accounts_config(memory_kib=8192, iterations=1)
    )
    try:
        tenant = server.admin.create_tenant()
        client = tenant.create_client("public", first_party=True)
        user = new_user(tenant)
        before = stored_hash(server, tenant, user.id)
        assert before.startswith("$argon2id$") and "m=8192,t=1" in before, before
    finally:
        server.stop()
    server = start_accounts_server(
        workdir, tmp_path / "after.log", smtp_port, accounts_config(memory_kib=9216, iterations=2)
    )
    try:
        tenant = server.admin.tenant(tenant.slug)
        assert hsign_in(server, client, user.email, "wrong password").status_code == 400
        assert stored_hash(server, tenant, user.id) == before, "a failed sign-in changes nothing"
        assert json_status(hsign_in(server, client, user.email, user.password)) == "signed_in"
        after = stored_hash(server, tenant, user.id)
        assert "m=9216,t=2" in after and after != before, after
        assert json_status(hsign_in(server, client, user.email, user.password)) == "signed_in"
    finally:
        server.stop()
