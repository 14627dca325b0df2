"""Helpers for test_accounts.py (issue 4: accounts, MFA, email, abuse controls).

* ``Inbox`` / ``smtp_server``: an aiosmtpd server on a free loopback port that keeps every
  message; tests wait for a message to an address whose subject contains a word, and read its
  links and codes from the plain-text part.
* ``start_accounts_server``: a private Gatehouse with ``GATEHOUSE_SMTP_URL`` pointing at that
  server and cheap Argon2id parameters (8 MiB, one iteration) so the tests stay fast.
* ``Login``: drives one authorization request through the server-rendered pages (login, sign-up,
  email verification, MFA challenge, TOTP enrolment, recovery codes) with the suite's ``Browser``
  and redeems the code with Authlib.
* ``Console``: the account console (``{issuer}/account``) driven with the same ``Browser``.
* headless calls, token claims (``amr``), TOTP codes at a chosen step, SQLite ageing of one-time
  tokens (expiry without waiting), and a ``requests`` adapter bound to another loopback address.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
import requests
from aiosmtpd.controller import Controller
from bs4 import BeautifulSoup
from requests.adapters import HTTPAdapter
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from gatehouse_client import (
    HTTP_TIMEOUT,
    REDIRECT_STATUSES,
    Browser,
    Client,
    Tenant,
    User,
    authorization_request,
    describe,
    find_form,
    form_fields,
    has_decision,
    is_login_form,
    is_post,
    query_params,
    url_base,
    verify_pyjwt,
)
from tenancy_helpers import ExtraServer, headless, start_server

DELIVERY_TIMEOUT = 20.0


def accounts_config(
    memory_kib: int = 8192, iterations: int = 1, threads: int | None = None, queue: int | None = None
) -> str:
    """``[passwords]``: cheap Argon2id (8 MiB, one iteration) unless told otherwise; quick mail retries."""
    lines = ["[passwords]", f"argon2_memory_kib = {memory_kib}", f"argon2_iterations = {iterations}"]
    if threads is not None:
        lines.append(f"hashing_threads = {threads}")
    if queue is not None:
        lines.append(f"hashing_queue = {queue}")
    lines += ["", "[mail]", "retry_base_seconds = 1", "retry_max_seconds = 2", ""]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- SMTP


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(([r.lower() for r in envelope.rcpt_tos], message))
        return "250 OK"

    def mark(self) -> int:
        """A position: ``wait`` with ``since=mark`` only sees messages that arrived later."""
        with self.lock:
            return len(self.messages)

    def matching(self, to: str, subject: str = "", since: int = 0) -> list[email.message.EmailMessage]:
        with self.lock:
            return [
                m
                for rcpts, m in self.messages[since:]
                if to.lower() in rcpts and subject.lower() in str(m["Subject"]).lower()
            ]

    def wait(
        self, to: str, subject: str = "", since: int = 0, timeout: float = DELIVERY_TIMEOUT
    ) -> email.message.EmailMessage:
        """The first message to ``to`` whose subject contains ``subject`` (after ``since``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(to, subject, since)
            if found:
                return found[0]
            time.sleep(0.05)
        with self.lock:
            seen = [(r, str(m["Subject"])) for r, m in self.messages[since:]]
        raise AssertionError(f"no message to {to} with {subject!r} within {timeout}s; received: {seen}")

    def count(self, to: str, subject: str = "", since: int = 0) -> int:
        return len(self.matching(to, subject, since))


@contextmanager
def smtp_server(port: int, inbox: Inbox | None = None):
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def mail_text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def mail_link(message: email.message.EmailMessage, path: str) -> str:
    """The link of ``message`` whose path ends with ``path`` (``/verify-email``, ``/reset``, ``/magic``)."""
    for url in re.findall(r"https?://\S+", mail_text(message)):
        if urlsplit(url).path.endswith(path) and "token=" in url:
            return url
    raise AssertionError(f"no {path} link in:\n{mail_text(message)}")


def mail_code(message: email.message.EmailMessage) -> str:
    # A word of its own: the tenant's name and the links' tokens may contain digits.
    found = re.findall(r"(?:^|\s)(\d{6})(?=\s|$)", mail_text(message), re.M)
    assert found, f"no 6-digit code in:\n{mail_text(message)}"
    return found[0]


# Subjects of the default templates (templates/email/*.subject.mustache).
VERIFY = "confirm your email"
RESET = "reset your"
MAGIC = "sign-in link"
CODE = "verification code"
MFA_CHANGE = "sign-in methods changed"
RECOVERY_USED = "recovery code was used"


# --------------------------------------------------------------------------- servers


def start_accounts_server(
    workdir: Path, log_path: Path, smtp_port: int, config: str | None = None
) -> ExtraServer:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GATEHOUSE_SMTP_URL", f"smtp://127.0.0.1:{smtp_port}")
        return start_server(workdir, log_path, config=config or accounts_config())


# --------------------------------------------------------------------------- shared fixtures
# Imported by the accounts test modules: each module gets its own SMTP server and Gatehouse.


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def inbox(smtp_port):
    with smtp_server(smtp_port) as box:
        yield box


@pytest.fixture(scope="module")
def gh(request, tmp_path_factory, artifacts_dir, smtp_port, inbox) -> ExtraServer:
    name = request.module.__name__.removeprefix("test_").replace("_", "-")
    server = start_accounts_server(tmp_path_factory.mktemp(name), artifacts_dir / f"gatehouse-{name}.log", smtp_port)
    yield server
    server.stop()


@pytest.fixture
def acme(gh) -> Tenant:
    return gh.admin.create_tenant()


@pytest.fixture
def client(acme) -> Client:
    """A first-party public client: no consent page, and allowed to use the headless API."""
    return acme.create_client("public", first_party=True)


def set_settings(tenant: Tenant, **settings: Any) -> dict:
    return tenant.patch({"settings": settings})["settings"]


def tenant_db(server: ExtraServer, tenant: Tenant) -> Path:
    return server.data_dir / "tenants" / f"{tenant.id}.sqlite"


def age(server: ExtraServer, tenant: Tenant, sql: str, *args: Any) -> int:
    """Runs an UPDATE on the tenant's SQLite file (the server keeps it open in WAL mode), e.g. to
    move an expiry into the past instead of waiting for it. Returns the rows changed."""
    with sqlite3.connect(tenant_db(server, tenant), timeout=10) as db:
        db.execute("PRAGMA busy_timeout = 10000")
        changed = db.execute(sql, args).rowcount
    return changed


PAST = "2000-01-01 00:00:00.000"


# --------------------------------------------------------------------------- TOTP


def totp_at(secret: str, offset_steps: int = 0, reference: float | None = None) -> str:
    """The code of ``secret`` ``offset_steps`` 30-second steps from ``reference`` (now)."""
    return pyotp.TOTP(secret).at((reference or time.time()) + 30 * offset_steps)


def steady_totp_window(min_left: float = 6.0) -> float:
    """Waits (at most ``min_left`` seconds) so that at least ``min_left`` seconds remain in the
    current 30 s step; returns the reference time to compute codes from."""
    left = 30 - time.time() % 30
    if left < min_left:
        time.sleep(left + 0.05)
    return time.time()


# --------------------------------------------------------------------------- pages


def soup(resp: requests.Response) -> BeautifulSoup:
    return BeautifulSoup(resp.text, "html.parser")


def heading(resp: requests.Response) -> str:
    h1 = soup(resp).find(id="page-title")
    return h1.get_text(" ", strip=True) if h1 else ""


def alert(resp: requests.Response) -> str:
    el = soup(resp).find(class_="alert")
    return el.get_text(" ", strip=True) if el else ""


def page_text(resp: requests.Response) -> str:
    return soup(resp).get_text(" ", strip=True)


def form_by_action(resp: requests.Response, ending: str):
    form = find_form(resp.text, lambda f: is_post(f) and (f.get("action") or "").endswith(ending))
    assert form is not None, f"no form posting to …{ending}: {describe(resp)}"
    return form


def follow_on(
    browser: Browser, resp: requests.Response, target: str | None = None, max_steps: int = 12
) -> requests.Response:
    """Follows redirects that stay off ``target`` (the relying party's redirect URI)."""
    for _ in range(max_steps):
        if resp.status_code not in REDIRECT_STATUSES or "Location" not in resp.headers:
            return resp
        loc = urljoin(resp.url, resp.headers["Location"])
        if target is not None and url_base(loc) == target:
            return resp
        if not loc.startswith(("http://127.0.0.1", "http://localhost")):
            return resp
        resp = browser.get(loc)
    raise AssertionError(f"too many redirects: {describe(resp)}")


@dataclass
class Tokens:
    raw: dict
    id_claims: dict
    access_claims: dict

    @property
    def amr(self) -> list[str]:
        assert self.id_claims.get("amr") == self.access_claims.get("amr"), (
            self.id_claims,
            self.access_claims,
        )
        return self.id_claims["amr"]


def token_claims(tenant: Tenant, client: Client, token: dict) -> Tokens:
    id_claims = verify_pyjwt(tenant, token["id_token"], client.client_id)
    access_claims = verify_pyjwt(tenant, token["access_token"], client.client_id)
    return Tokens(dict(token), id_claims, access_claims)


@dataclass
class Login:
    """One authorization request driven through the pages with a cookie-keeping ``Browser``."""

    tenant: Tenant
    client: Client
    browser: Browser
    rp: Any
    state: str
    nonce: str
    verifier: str | None
    resp: requests.Response
    steps: list[str] = field(default_factory=list)
    hidden: dict[str, str] = field(default_factory=dict)

    @classmethod
    def begin(cls, tenant: Tenant, client: Client, browser: Browser | None = None, **extra: str) -> Login:
        browser = browser or Browser()
        rp, url, state, nonce, verifier = authorization_request(tenant, client, **extra)
        login = cls(tenant, client, browser, rp, state, nonce, verifier, browser.get(url))
        login._follow()
        return login

    # ---- state

    @property
    def target(self) -> str:
        return url_base(self.client.redirect_uri)

    def _follow(self) -> requests.Response:
        self.resp = follow_on(self.browser, self.resp, self.target)
        form = find_form(self.resp.text, lambda f: is_post(f) and 'name="interaction_id"' in str(f))
        if form is not None:
            self.hidden = {k: v for k, v in form_fields(form) if k in ("interaction_id", "csrf_token")}
        self.steps.append(
            f"{self.resp.request.method} {url_base(self.resp.url)} -> {self.resp.status_code} "
            f"{heading(self.resp)!r}"
        )
        return self.resp

    @property
    def done(self) -> bool:
        loc = self.resp.headers.get("Location")
        return (
            self.resp.status_code in REDIRECT_STATUSES
            and loc is not None
            and url_base(urljoin(self.resp.url, loc)) == self.target
        )

    @property
    def kind(self) -> str:
        """done | login | mfa | enrol | recovery | verify | signup | consent | message"""
        if self.done:
            return "done"
        html = self.resp.text
        if find_form(html, is_login_form) is not None and 'name="interaction_id"' in html:
            if heading(self.resp) == "Create your account":
                return "signup"
            return "login"
        if 'id="recovery-codes"' in html:
            return "recovery"
        if 'id="totp-secret"' in html:
            return "enrol"
        if find_form(html, lambda f: is_post(f) and (f.get("action") or "").endswith("/mfa")) is not None:
            return "mfa"
        if (
            find_form(html, lambda f: is_post(f) and (f.get("action") or "").endswith("/verify-email"))
            is not None
        ):
            return "verify"
        if find_form(html, lambda f: has_decision(f, "allow")) is not None:
            return "consent"
        return "message"

    def trace(self) -> str:
        return " | ".join(self.steps) + "\nlast: " + describe(self.resp)

    def expect(self, kind: str, status: int | None = None) -> Login:
        assert self.kind == kind, f"expected the {kind} page: " + self.trace()
        if status is not None:
            assert self.resp.status_code == status, f"expected {status}: " + self.trace()
        return self

    # ---- actions

    def submit(self, ending: str, values: dict[str, str] | None = None) -> requests.Response:
        form = form_by_action(self.resp, ending)
        self.resp = self.browser.submit(self.resp, form, values or {})
        return self._follow()

    def login(self, email: str, password: str) -> Login:
        form = find_form(
            self.resp.text, lambda f: is_login_form(f) and (f.get("action") or "").endswith("/login")
        )
        assert form is not None, "no login form: " + self.trace()
        self.resp = self.browser.submit(self.resp, form, {"email": email, "password": password})
        self._follow()
        return self

    def signup(self, email: str, password: str, name: str = "New User") -> Login:
        self.submit("/signup", {"email": email, "password": password, "name": name})
        return self

    def open_signup(self) -> Login:
        link = soup(self.resp).find("a", href=re.compile(r"/signup\?interaction="))
        assert link is not None, "no sign-up link: " + self.trace()
        self.resp = self.browser.get(urljoin(self.resp.url, link["href"]))
        self._follow()
        return self

    def mfa(self, code: str, method: str = "totp") -> Login:
        self.submit("/mfa", {"method": method, "code": code})
        return self

    def send_email_code(self) -> requests.Response:
        return self.submit("/mfa/email")

    def verify(self, code: str) -> Login:
        self.submit("/verify-email", {"code": code})
        return self

    def secret(self) -> str:
        el = soup(self.resp).find(id="totp-secret")
        assert el is not None, "no #totp-secret: " + self.trace()
        return el.get_text(strip=True)

    def enrol(self, offset_steps: int = 0) -> tuple[str, list[str]]:
        """On the enrolment page: reads the secret, confirms a code, reads the recovery codes and
        continues. Returns (secret, recovery codes)."""
        self.expect("enrol")
        page = soup(self.resp)
        img = page.find("img", src=re.compile(r"^data:image/"))
        assert img is not None, "no QR code image: " + self.trace()
        otpauth = page.find("a", href=re.compile(r"^otpauth://totp/"))
        assert otpauth is not None, "no otpauth:// link: " + self.trace()
        secret = self.secret()
        assert f"secret={secret}" in otpauth["href"], otpauth["href"]
        self.submit("/mfa/enrol", {"code": totp_at(secret, offset_steps)})
        self.expect("recovery")
        codes = recovery_codes(self.resp)
        self.submit("/mfa/enrol/done")
        return secret, codes

    def magic_link(self, email: str) -> requests.Response:
        return self.submit("/magic-link", {"email": email})

    def open_link(self, url: str, ending: str) -> requests.Response:
        """Opens an emailed link in this browser and presses its confirmation button."""
        page = self.browser.get(url)
        assert page.status_code == 200, describe(page)
        self.resp = page
        return self.submit(ending)

    def post_as_page(self, ending: str, values: dict[str, str] | None = None) -> requests.Response:
        """Posts this page's hidden fields (interaction, CSRF) to another step's URL, as a forger
        would; the current page is kept."""
        assert self.hidden, "no interaction seen yet: " + self.trace()
        data = dict(self.hidden)
        data.update(values or {})
        url = f"{self.tenant.issuer}{ending}"
        return self.browser.http.post(
            url,
            data=data,
            headers={"Origin": self.tenant.public_url},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )

    def tokens(self) -> Tokens:
        assert self.done, "the sign-in did not reach the client: " + self.trace()
        params = query_params(urljoin(self.resp.url, self.resp.headers["Location"]))
        assert params.get("state") == self.state and params.get("code"), params
        kwargs: dict[str, Any] = {"redirect_uri": self.client.redirect_uri}
        if self.verifier:
            kwargs["code_verifier"] = self.verifier
        token = self.rp.fetch_token(code=params["code"], **kwargs)
        tokens = token_claims(self.tenant, self.client, token)
        assert tokens.id_claims.get("nonce") == self.nonce
        return tokens


def recovery_codes(resp: requests.Response) -> list[str]:
    codes = [li.get_text(strip=True) for li in soup(resp).select("#recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    return codes


def signed_in_with(
    tenant: Tenant, client: Client, user: User, browser: Browser | None = None, **extra: str
) -> Login:
    """A password sign-in expected to finish without any second step."""
    login = Login.begin(tenant, client, browser, **extra).expect("login").login(user.email, user.password)
    return login.expect("done")


# --------------------------------------------------------------------------- console


@dataclass
class Console:
    """The account console of one tenant, in one ``Browser``."""

    tenant: Tenant
    browser: Browser
    resp: requests.Response | None = None

    @property
    def url(self) -> str:
        return f"{self.tenant.issuer}/account"

    def open(self) -> requests.Response:
        self.resp = follow_on(self.browser, self.browser.get(self.url))
        return self.resp

    def sign_in(
        self, email: str, password: str, totp_secret: str | None = None, offset_steps: int = 0
    ) -> requests.Response:
        resp = self.open()
        form = find_form(resp.text, is_login_form)
        assert form is not None, describe(resp)
        resp = follow_on(
            self.browser, self.browser.submit(resp, form, {"email": email, "password": password})
        )
        if totp_secret is not None and heading(resp) == "Two-step verification":
            form = form_by_action(resp, "/mfa")
            resp = follow_on(
                self.browser,
                self.browser.submit(
                    resp, form, {"method": "totp", "code": totp_at(totp_secret, offset_steps)}
                ),
            )
        assert heading(resp) == "Your account" and email in resp.text, describe(resp)
        self.resp = resp
        return resp

    def post(
        self, ending: str, values: dict[str, str] | None = None, page: requests.Response | None = None
    ) -> requests.Response:
        page = page or self.resp
        assert page is not None
        form = form_by_action(page, ending)
        return self.browser.submit(page, form, values or {})

    def act(self, ending: str, values: dict[str, str] | None = None) -> requests.Response:
        """Posts a console form and follows back to the console page; returns the last response."""
        resp = follow_on(self.browser, self.post(ending, values))
        if heading(resp) == "Your account":
            self.resp = resp
        return resp

    def enrol_totp(self, offset_steps: int = 0) -> tuple[str, list[str]]:
        page = self.act("/account/mfa/totp")
        assert 'id="totp-secret"' in page.text, describe(page)
        secret = soup(page).find(id="totp-secret").get_text(strip=True)
        done = self.browser.submit(
            page, form_by_action(page, "/account/mfa/totp/confirm"), {"code": totp_at(secret, offset_steps)}
        )
        assert done.status_code == 200 and 'id="recovery-codes"' in done.text, describe(done)
        codes = recovery_codes(done)
        back = follow_on(self.browser, self.browser.submit(done, form_by_action(done, "/account/done")))
        assert heading(back) == "Your account", describe(back)
        self.resp = back
        return secret, codes

    def mfa_status(self) -> dict[str, str]:
        """Each factor's row label → its badge text (On/Off), from the two-step section."""
        assert self.resp is not None
        section = soup(self.resp).find("section", attrs={"aria-labelledby": "mfa-title"})
        rows = {}
        for li in section.select("li.session"):
            label = li.select_one(".session-device").get_text(strip=True)
            rows[label] = li.select_one(".session-meta").get_text(" ", strip=True)
        return rows


# --------------------------------------------------------------------------- headless


def hpost(
    server: ExtraServer, client: Client, path: str, body: dict, session: requests.Session | None = None
) -> requests.Response:
    if session is None:
        return headless(server.public_url, "POST", path, client_id=client.client_id, body=body)
    return session.post(
        f"{server.public_url}/v1/{path}",
        json=body,
        headers={"Accept": "application/json", "X-Client-Id": client.client_id},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )


def hsign_in(server: ExtraServer, client: Client, email: str, password: str, **kw: Any) -> requests.Response:
    return hpost(server, client, "auth/sign-in", {"email": email, "password": password}, **kw)


def json_status(resp: requests.Response) -> str:
    assert resp.status_code == 200, describe(resp)
    return resp.json()["status"]


def headless_tokens(tenant: Tenant, client: Client, resp: requests.Response) -> Tokens:
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["status"] == "signed_in", body
    assert resp.headers.get("Cache-Control", "").find("no-store") >= 0, resp.headers
    return token_claims(tenant, client, body)


def assert_no_tokens(resp: requests.Response) -> None:
    body = resp.json() if resp.content else {}
    for key in ("access_token", "id_token", "refresh_token"):
        assert key not in body, f"{key} before the sign-in completed: {body}"


def assert_throttled_json(resp: requests.Response) -> int:
    assert resp.status_code == 429, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    assert resp.json().get("error") == "temporarily_unavailable", describe(resp)
    retry = int(resp.headers["Retry-After"])
    assert retry >= 1, resp.headers
    return retry


# --------------------------------------------------------------------------- another client IP


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen local address (e.g. 127.0.0.2), so the server sees another client IP."""

    def __init__(self, source: str, **kwargs: Any):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def session_from(source: str) -> requests.Session:
    session = requests.Session()
    adapter = SourceAddressAdapter(source)
    session.mount("http://", adapter)
    return session


# --------------------------------------------------------------------------- Chromium

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
BROWSER_WAIT = 20


@contextmanager
def chromium_driver(*extra_args: str):
    """Headless Chromium through Selenium with the explicit driver (Selenium Manager stays offline)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing: run scripts/ensure-deps (chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1100",
        "--no-first-run",
        "--disable-extensions",
        *extra_args,
    ):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


class CallbackServer:
    """A relying party's redirect URI on loopback that records each hit."""

    def __init__(self):
        hits: list[str] = []
        self.hits = hits
        self.seen = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path.startswith("/cb"):  # not /favicon.ico
                    hits.append(self.path)
                body = b"<!doctype html><title>RP callback</title><p>callback received</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cb"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def next_hit(self, timeout: float = BROWSER_WAIT) -> str:
        """The next redirect that reached the relying party."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.hits) > self.seen:
                self.seen += 1
                return self.hits[self.seen - 1]
            time.sleep(0.05)
        raise AssertionError("the browser never reached the redirect URI")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait(drv, timeout: float = BROWSER_WAIT) -> WebDriverWait:
    return WebDriverWait(
        drv, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )


def wait_heading(drv, text: str) -> None:
    """Waits until the page titled ``text`` is loaded (heading shown and the document complete), so that
    the next find/click does not race a document still being replaced."""

    def check(d):
        try:
            found = d.find_elements(By.ID, "page-title")
            return (
                bool(found)
                and found[0].text.strip() == text
                and d.execute_script("return document.readyState") == "complete"
            )
        except (StaleElementReferenceException, WebDriverException):
            return False

    try:
        wait(drv).until(check)
    except TimeoutException as exc:
        body = drv.find_element(By.TAG_NAME, "body").text if drv.find_elements(By.TAG_NAME, "body") else ""
        raise AssertionError(f"expected the page {text!r} at {drv.current_url}:\n{body}") from exc


def click_css(drv, selector: str, attempts: int = 3) -> None:
    """Clicks the element matching ``selector``, finding it again if the document was replaced in between."""
    for attempt in range(attempts):
        try:
            drv.find_element(By.CSS_SELECTOR, selector).click()
            return
        except (StaleElementReferenceException, WebDriverException):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


def click_button(drv, label: str) -> None:
    for el in drv.find_elements(By.CSS_SELECTOR, "button, input[type=submit]"):
        if (el.text or el.get_attribute("value") or "").strip() == label and el.is_displayed():
            el.click()
            return
    raise NoSuchElementException(f"no button {label!r} on {drv.current_url}")


def fill(drv, **values: str) -> None:
    """Types into the visible inputs named like the keyword arguments."""
    for name, value in values.items():
        el = next(e for e in drv.find_elements(By.NAME, name) if e.is_displayed())
        el.clear()
        el.send_keys(value)


def fill_login(drv, email: str, password: str) -> None:
    wait(drv).until(EC.visibility_of_element_located((By.NAME, "password")))
    form = drv.find_element(By.NAME, "password").find_element(By.XPATH, "ancestor::form")
    for name, value in (("email", email), ("password", password)):
        el = form.find_element(By.NAME, name)
        el.clear()
        el.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def mfa_row(drv, label: str):
    for row in drv.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=mfa-title] li.session"):
        if row.find_element(By.CSS_SELECTOR, ".session-device").text.strip() == label:
            return row
    raise NoSuchElementException(f"no two-step row {label!r}")


def save(drv, artifacts_dir: Path, name: str) -> None:
    path = artifacts_dir / name
    assert drv.save_screenshot(str(path)), f"could not save {path}"
