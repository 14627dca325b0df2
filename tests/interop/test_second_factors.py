"""Second factors limited per account, console enrolment apart from sign-in challenges, step-up
and session fixation, lockouts that survive a restart (issue 8 items 3, 4, 13; issue 18 item 7).

One private Gatehouse for the module (like test_accounts_*.py); the step-up and restart tests start
their own on a temp data folder (a 3-second step-up window; a restart of the same folder).
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import time
from collections import Counter
from urllib.parse import urljoin

import pytest
import requests

from accounts_headless import assert_no_tokens, assert_throttled_json, hpost, hsign_in, json_status
from accounts_helpers import (
    accounts_config,
    free_port,
    session_from,
    set_settings,
    start_accounts_server,
    totp_at,
)
from accounts_mail import CODE, mail_code, smtp_server
from accounts_pages import Console, Login, alert, follow_on, form_by_action, heading, soup
from gatehouse_client import Browser, Client, Tenant, describe, query_params, unique_email
from tenancy_helpers import ExtraServer


# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: E402, F401


def new_user(tenant: Tenant):
    return tenant.create_user(email=unique_email("mfa"), email_verified=True)


def enrol(gh, tenant: Tenant, client: Client, user) -> str:
    """Enrols TOTP through the headless API (policy `required` while enrolling, then optional)."""
    set_settings(tenant, mfa_policy="required")
    body = hsign_in(gh, client, user.email, user.password).json()
    assert body["status"] == "mfa_enrollment_required", body
    secret = body["totp"]["secret"]
    done = hpost(gh, client, "auth/mfa/verify", {"challenge_id": body["challenge_id"], "factor": "totp",
                                                  "code": totp_at(secret, -1)})
    assert done.status_code == 200, describe(done)
    set_settings(tenant, mfa_policy="optional")
    return secret


def wrong(secret: str) -> str:
    now = {totp_at(secret, k) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in now)


def challenge(gh, client, user, session=None) -> str:
    resp = hsign_in(gh, client, user.email, user.password, session=session)
    assert resp.status_code == 200 and resp.json()["status"] == "mfa_required", describe(resp)
    return resp.json()["challenge_id"]


def verify(gh, client, challenge_id, code, session=None) -> requests.Response:
    body = {"challenge_id": challenge_id, "factor": "totp", "code": code}
    return hpost(gh, client, "auth/mfa/verify", body, session=session)


def sessions_of(tenant: Tenant, user) -> list[str]:
    resp = tenant.admin.get(f"/tenants/{tenant.slug}/sessions", params={"user_id": user.id})
    assert resp.status_code == 200, describe(resp)
    return sorted(s["id"] for s in resp.json()["sessions"])


def challenge_status(gh, client, user) -> str:
    return json_status(hsign_in(gh, client, user.email, user.password))


def confirm_totp(console: Console, page: requests.Response, code: str) -> requests.Response:
    return console.browser.submit(page, form_by_action(page, "/account/mfa/totp/confirm"), {"code": code})


def assert_sent_to_login(resp: requests.Response) -> None:
    assert resp.status_code in (302, 303), describe(resp)
    assert "prompt=login" in resp.headers["Location"], describe(resp)


def cookie(browser: Browser, name: str) -> str | None:
    values = [c.value for c in browser.http.cookies if c.name == name]
    return values[-1] if values else None


# --------------------------------------------------------------------------- item 3


def test_headless_codes_limited_per_account_across_challenges(gh, acme, client):
    user = new_user(acme)
    secret = enrol(gh, acme, client, user)
    checked = 0
    refused = None
    for _ in range(8):  # fresh sign-ins, 3 wrong codes each: the per-challenge limit never ends them
        cid = challenge(gh, client, user)
        for _ in range(3):
            resp = verify(gh, client, cid, wrong(secret))
            if resp.status_code == 429:
                refused = cid
                break
            assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant", describe(resp)
            checked += 1
        if refused:
            break
    assert refused is not None and checked == 10, f"{checked} wrong codes were checked before a refusal"
    # Refused even with the right code, with Retry-After.
    resp = verify(gh, client, refused, totp_at(secret))
    assert_throttled_json(resp)
    assert_no_tokens(resp)

    # Account-wide: 20 failures from any IPs make every IP wait, even with the right code.
    elsewhere = session_from("127.0.0.2")
    cid = challenge(gh, client, user, session=elsewhere)
    for i in range(10):
        if i and i % 4 == 0:
            cid = challenge(gh, client, user, session=elsewhere)
        assert verify(gh, client, cid, wrong(secret), session=elsewhere).status_code == 400
    third = session_from("127.0.0.3")
    cid = challenge(gh, client, user, session=third)
    assert_throttled_json(verify(gh, client, cid, totp_at(secret), session=third))


def test_login_page_codes_limited_per_account_across_challenges(gh, acme, client):
    user = new_user(acme)
    secret = enrol(gh, acme, client, user)
    browser = Browser()
    checked = 0
    login = None
    while checked < 12:
        login = Login.begin(acme, client, browser).login(user.email, user.password).expect("mfa")
        for _ in range(3):
            login.mfa(wrong(secret))
            if login.resp.status_code == 429:
                break
            assert login.resp.status_code == 401, login.trace()
            checked += 1
        if login.resp.status_code == 429:
            break
    assert checked == 10 and login.resp.status_code == 429, login.trace()
    assert "Too many attempts" in login.resp.text, login.trace()
    assert int(login.resp.headers["Retry-After"]) >= 1, login.trace()
    again = Login.begin(acme, client, browser).login(user.email, user.password).expect("mfa")
    again.mfa(totp_at(secret))
    assert again.resp.status_code == 429 and not again.done, again.trace()


def test_parallel_wrong_codes_do_not_exceed_the_limit(gh, acme, client):
    user = new_user(acme)
    secret = enrol(gh, acme, client, user)
    challenges = [challenge(gh, client, user) for _ in range(8)]
    jobs = [challenges[i % len(challenges)] for i in range(40)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda cid: verify(gh, client, cid, wrong(secret)), jobs))
    statuses = Counter(r.status_code for r in results)
    assert statuses[400] <= 10 and statuses[400] + statuses[429] == 40, statuses
    assert_throttled_json(verify(gh, client, challenge(gh, client, user), totp_at(secret)))


def test_console_enrolment_codes_count_toward_the_limit(gh, acme, client):
    set_settings(acme, mfa_policy="optional")
    user = new_user(acme)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    checked = 0
    last = None
    page = None
    while checked < 12:
        if page is None:  # (re)start the set-up; five wrong codes end one
            page = console.act("/account/mfa/totp")
            assert 'id="totp-secret"' in page.text, describe(page)
            secret = soup(page).find(id="totp-secret").get_text(strip=True)
        last = confirm_totp(console, page, wrong(secret))
        if last.status_code == 429:
            break
        checked += 1
        if last.status_code == 400 and "Too many incorrect codes" in alert(last):
            page = None
            continue
        assert last.status_code == 401, describe(last)
        page = last
    assert checked == 10 and last.status_code == 429, describe(last)
    right = confirm_totp(console, page, totp_at(secret))
    assert right.status_code == 429 and 'id="recovery-codes"' not in right.text, describe(right)


# --------------------------------------------------------------------------- item 4


def test_console_enrolment_is_not_a_sign_in_challenge(gh, acme, client):
    set_settings(acme, mfa_policy="optional")
    user = new_user(acme)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    page = console.act("/account/mfa/totp")
    secret = soup(page).find(id="totp-secret").get_text(strip=True)
    token = cookie(console.browser, "gh_console")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    sessions_before = sessions_of(acme, user)
    headers = {"Accept": "application/json", "X-Client-Id": claims["client_id"]}
    resp = requests.post(f"{gh.public_url}/v1/auth/mfa/verify", headers=headers, timeout=10, json={
        "challenge_id": "console-enrol:" + claims["jti"], "factor": "totp", "code": totp_at(secret)})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant", describe(resp)
    assert_no_tokens(resp)
    assert "recovery_codes" not in resp.json()
    # Nothing was created: no session, no factor; the enrolment still completes in the console.
    assert sessions_of(acme, user) == sessions_before
    assert challenge_status(gh, client, user) == "signed_in", "a factor was enrolled by the exploit"
    done = confirm_totp(console, page, totp_at(secret))
    assert done.status_code == 200 and 'id="recovery-codes"' in done.text, describe(done)


# --------------------------------------------------------------------------- item 13


def step_up_server(tmp_path, smtp_port) -> ExtraServer:
    config = accounts_config() + "\n[oauth]\nstep_up_max_age_seconds = 3\n"
    return start_accounts_server(tmp_path / "stepup", tmp_path / "stepup.log", smtp_port, config)


def test_console_changes_need_a_recent_sign_in(tmp_path, smtp_port, inbox):
    server = step_up_server(tmp_path, smtp_port)
    try:
        tenant = server.admin.create_tenant()
        set_settings(tenant, mfa_policy="optional")
        user = tenant.create_user(email=unique_email("stepup"), email_verified=True)
        console = Console(tenant, Browser())
        console.sign_in(user.email, user.password)
        # Within the window: the change goes ahead.
        secret, _ = console.enrol_totp()
        time.sleep(3.5)
        # Outside it: new recovery codes and removing the authenticator send the user to sign in again.
        csrf = soup(console.resp).find("input", attrs={"name": "csrf_token"})["value"]
        unlink = console.browser.http.post(
            f"{tenant.issuer}/account/identities/idn_01M8XKZM4HDYXHVKDD3KVYCWPV/remove",
            data={"csrf_token": csrf},
            headers={"Origin": tenant.public_url},
            allow_redirects=False,
            timeout=10,
        )
        assert_sent_to_login(unlink)
        moved = console.post("/account/email/change", {"new_email": unique_email("late")})
        assert_sent_to_login(moved)
        for action in ("/account/mfa/totp/remove", "/account/recovery-codes"):
            resp = console.post(action)
            assert resp.status_code in (302, 303), describe(resp)
            params = query_params(urljoin(resp.url, resp.headers["Location"]))
            assert params.get("prompt") == "login" and params.get("max_age") == "3", params
        before = cookie(console.browser, "gh_session")
        resp = follow_on(console.browser, resp)
        form = form_by_action(resp, "/login")
        resp = console.browser.submit(resp, form, {"email": user.email, "password": user.password})
        resp = follow_on(console.browser, resp)
        assert heading(resp) == "Two-step verification", describe(resp)
        second = {"method": "totp", "code": totp_at(secret, 1)}
        resp = follow_on(console.browser, console.browser.submit(resp, form_by_action(resp, "/mfa"), second))
        # Back in the console, on a page that finishes the change asked for last.
        assert heading(resp) == "Finish your change", describe(resp)
        after = cookie(console.browser, "gh_session")
        assert before and after and before != after, "the session cookie was not replaced"
        done = console.browser.submit(resp, form_by_action(resp, "/account/recovery-codes"))
        assert done.status_code == 200 and 'id="recovery-codes"' in done.text, describe(done)
        # Within the window again: removing the authenticator goes ahead at once.
        console.open()
        removed = console.act("/account/mfa/totp/remove")
        assert heading(removed) == "Your account" and "was removed" in removed.text, describe(removed)
        # The old cookie value no longer identifies the session.
        stale = Browser()
        stale.http.cookies.set("gh_session", before, path=f"/t/{tenant.slug}")
        client = tenant.create_client("public", first_party=True)
        login = Login.begin(tenant, client, stale, prompt="none")
        params = query_params(urljoin(login.resp.url, login.resp.headers.get("Location", "")))
        assert params.get("error") == "login_required", login.trace()
    finally:
        server.stop()


def test_session_cookie_replaced_at_every_sign_in(gh, acme, client):
    user = new_user(acme)
    browser = Browser()
    Login.begin(acme, client, browser).login(user.email, user.password).expect("done")
    old = cookie(browser, "gh_session")
    again = Login.begin(acme, client, browser, prompt="login").expect("login")
    again.login(user.email, user.password)
    again.expect("done")
    new = cookie(browser, "gh_session")
    assert old and new and old != new, (old, new)
    stale = Browser()
    stale.http.cookies.set("gh_session", old, path=f"/t/{acme.slug}")
    probe = Login.begin(acme, client, stale, prompt="none")
    location = urljoin(probe.resp.url, probe.resp.headers.get("Location", ""))
    assert query_params(location).get("error") == "login_required", probe.trace()
    fresh = Browser()
    fresh.http.cookies.set("gh_session", new, path=f"/t/{acme.slug}")
    assert Login.begin(acme, client, fresh, prompt="none").done


def test_console_email_change_proves_the_new_address(gh, inbox, acme, client):
    user = new_user(acme)
    other = new_user(acme)
    console = Console(acme, Browser())
    console.sign_in(user.email, user.password)
    taken = console.post("/account/email/change", {"new_email": other.email.upper()})
    assert taken.status_code == 409 and "Another account uses" in alert(taken), describe(taken)
    new_email = unique_email("moved")
    mark = inbox.mark()
    page = console.post("/account/email/change", {"new_email": new_email})
    assert page.status_code == 200 and new_email in page.text, describe(page)
    code = mail_code(inbox.wait(new_email, CODE, mark))
    assert inbox.count(user.email, CODE, mark) == 0
    # Not changed until the code is entered.
    assert json_status(hsign_in(gh, client, user.email, user.password)) == "signed_in"
    bad = console.browser.submit(page, form_by_action(page, "/account/email/change/confirm"),
                                 {"code": "000000" if code != "000000" else "111111"})
    assert bad.status_code == 401, describe(bad)
    confirm = form_by_action(bad, "/account/email/change/confirm")
    done = follow_on(console.browser, console.browser.submit(bad, confirm, {"code": code}))
    assert heading(done) == "Your account" and new_email in done.text, describe(done)
    assert "was changed" in done.text, describe(done)
    assert json_status(hsign_in(gh, client, new_email, user.password)) == "signed_in"
    assert hsign_in(gh, client, user.email, user.password).status_code == 400


# --------------------------------------------------------------------------- issue 18 item 7


def test_lockouts_survive_a_restart(tmp_path, smtp_port, inbox):
    workdir = tmp_path / "restart"
    server = start_accounts_server(workdir, tmp_path / "restart-1.log", smtp_port)
    try:
        tenant = server.admin.create_tenant()
        client = tenant.create_client("public", first_party=True)
        pwd_user = tenant.create_user(email=unique_email("lock"), email_verified=True)
        mfa_user = tenant.create_user(email=unique_email("lockmfa"), email_verified=True)
        secret = enrol(server, tenant, client, mfa_user)
        cids = [challenge(server, client, mfa_user) for _ in range(5)]
        # 10 failures, then 4 more after each wait (1, 2, 4, 8 s): the next wait is 16 s.
        for i in range(14):
            if i >= 10:
                time.sleep(2 ** (i - 10) + 0.3)
            assert hsign_in(server, client, pwd_user.email, "wrong password").status_code == 400
            resp = verify(server, client, cids[i // 3], wrong(secret))
            assert resp.status_code == 400, describe(resp)
        assert_throttled_json(hsign_in(server, client, pwd_user.email, pwd_user.password))
    finally:
        server.stop()
    server = start_accounts_server(workdir, tmp_path / "restart-2.log", smtp_port)
    try:
        assert_throttled_json(hsign_in(server, client, pwd_user.email, pwd_user.password))
        cid = challenge(server, client, mfa_user)
        assert_throttled_json(verify(server, client, cid, totp_at(secret)))
        # Another IP is not held back by these per-IP waits (the account-wide budget is not used).
        elsewhere = session_from("127.0.0.2")
        resp = hsign_in(server, client, pwd_user.email, pwd_user.password, session=elsewhere)
        assert json_status(resp) == "signed_in"
    finally:
        server.stop()
