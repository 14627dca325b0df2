"""Passwords (issue 4): a plain password sign-in (``amr`` pwd), reset by mail, change in the console, the password policy at sign-up, and the
upgrade of older Argon2id parameters at the next sign-in.

Runs on this module's private Gatehouse whose mail goes to aiosmtpd (``gh`` of ``accounts_helpers``).
Expiry is tested by moving a row's expiry into the past in the tenant's SQLite file, not by waiting.
"""

from __future__ import annotations

import sqlite3

import pytest

from accounts_flows import admin_user, new_user
from accounts_headless import hpost, hsign_in, json_status
from accounts_helpers import PAST, accounts_config, age, set_settings, start_accounts_server, tenant_db
from accounts_mail import RESET, mail_link, mail_text
from accounts_pages import Console, Login, alert, form_by_action, heading, page_text, signed_in_with
from gatehouse_client import Browser, Tenant, describe, unique_email
from tenancy_helpers import ExtraServer, headless

# isort: split
# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: F401

# --------------------------------------------------------------------------- smoke


def test_password_sign_in_without_mfa_has_amr_pwd(gh, acme, client):
    user = new_user(acme)
    tokens = signed_in_with(acme, client, user).tokens()
    assert tokens.amr == ["pwd"]


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


# --------------------------------------------------------------------------- password policy


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


# --------------------------------------------------------------------------- hash upgrade


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
