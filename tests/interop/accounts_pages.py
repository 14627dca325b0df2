"""The server-rendered pages of the accounts interop tests, driven with the suite's ``Browser``.

* ``Login``: one authorization request through the pages (login, sign-up, email verification, MFA
  challenge, TOTP enrolment, recovery codes), its code redeemed with Authlib;
* ``Console``: the account console (``{issuer}/account``);
* readers of a page (heading, alert, text, forms) and ``follow_on`` (redirects that stay on the server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from accounts_headless import Tokens, token_claims
from accounts_helpers import totp_at
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
)

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
