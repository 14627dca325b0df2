"""Second factors (issue 4): the MFA policy matrix, TOTP, codes by email, recovery codes and the
console's two-step section.

Runs on this module's private Gatehouse whose mail goes to aiosmtpd (``gh`` of ``accounts_helpers``).
"""

from __future__ import annotations

import pytest

from accounts_flows import (
    enable_email_factor,
    enrol_headless,
    headless_challenge,
    magic_sign_in,
    mfa_verify,
    new_user,
)
from accounts_headless import assert_no_tokens, headless_tokens, hpost, hsign_in, json_status
from accounts_helpers import PAST, age, set_settings, steady_totp_window, totp_at
from accounts_mail import CODE, MFA_CHANGE, RECOVERY_USED, mail_code, mail_text
from accounts_pages import Console, Login, alert, form_by_action, heading, page_text, recovery_codes
from gatehouse_client import Browser, describe

# isort: split
# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: F401

# --------------------------------------------------------------------------- policy matrix


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


# --------------------------------------------------------------------------- TOTP


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
    assert "notice=kept-last-factor" in refused.url, describe(refused)
    assert "Two-step verification is required" in alert(refused), describe(refused)
    console.open()
    assert console.mfa_status()["Authenticator app"] == "On"

    # With a second factor, one may go; then the other is the last one again.
    enable_email_factor(console, inbox, user.email)
    console.open()
    assert console.mfa_status()["Codes by email"] == "On"
    assert "removed" in page_text(console.act("/account/mfa/totp/remove"))
    refused = console.act("/account/mfa/email/remove")
    assert "notice=kept-last-factor" in refused.url, describe(refused)
    assert "Two-step verification is required" in alert(refused), describe(refused)
