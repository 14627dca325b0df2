"""Abuse controls (issue 4): parallel wrong passwords, answers that do not reveal accounts, per-IP and
account-wide limits (other client IPs from 127.0.0.x), mail limits, and a full Argon2id pool (503).

Runs on this module's private Gatehouse whose mail goes to aiosmtpd (``gh`` of ``accounts_helpers``).
"""

from __future__ import annotations

import concurrent.futures
import statistics
import threading
import time
from collections import Counter

import pytest
import requests

from accounts_flows import PASSWORD, enable_email_factor, headless_challenge, new_user
from accounts_headless import assert_throttled_json, hpost, hsign_in, json_status
from accounts_helpers import (
    SourceAddressAdapter,
    accounts_config,
    session_from,
    set_settings,
    start_accounts_server,
)
from accounts_mail import MAGIC, RESET
from accounts_pages import Console, Login, alert, form_by_action, heading, page_text
from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    Client,
    Tenant,
    describe,
    find_form,
    form_fields,
    is_login_form,
    unique_email,
)

# isort: split
# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: F401

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

    def summary(outcomes):
        return (
            [r.status_code for r in outcomes],
            [r.json() for r in outcomes],
            [r.elapsed.total_seconds() for r in outcomes[:10]],
        )

    # Alternating, so that a change in the machine's load weighs on both sets alike.
    pairs = [(hsign_in(gh, client, user.email, "wrong password"), hsign_in(gh, client, ghost, "wrong password")) for _ in range(11)]
    known, unknown = summary([k for k, _ in pairs]), summary([u for _, u in pairs])
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
