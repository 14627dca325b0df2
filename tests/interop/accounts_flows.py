"""Steps shared by the accounts test modules (test_accounts_*.py): a user, TOTP enrolment through the
headless API, a magic-link sign-in, turning on codes by email in the console, an MFA challenge and
its verification.
"""

from __future__ import annotations

import requests

from accounts_headless import hpost, hsign_in
from accounts_helpers import set_settings, totp_at
from accounts_mail import CODE, MAGIC, MFA_CHANGE, Inbox, mail_code, mail_link
from accounts_pages import Console, Login, follow_on, heading, recovery_codes
from gatehouse_client import Browser, Client, Tenant, describe, unique_email
from tenancy_helpers import ExtraServer

PASSWORD = "correct horse battery staple 42"


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


def headless_challenge(gh, client, user) -> str:
    resp = hsign_in(gh, client, user.email, user.password)
    body = resp.json()
    assert resp.status_code == 200 and body["status"] == "mfa_required", describe(resp)
    return body["challenge_id"]


def mfa_verify(gh, client, challenge_id: str, code: str, factor: str = "totp") -> requests.Response:
    return hpost(
        gh, client, "auth/mfa/verify", {"challenge_id": challenge_id, "factor": factor, "code": code}
    )
