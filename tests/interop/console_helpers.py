"""The admin console's sign-in for the interop tests (docs/contract.md A10): an operator of the
operators' directory signs in at ``{public_url}/admin`` and enrols an authenticator app, in
Chromium or over plain HTTP with the suite's ``Browser``; and readers of console pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from selenium.webdriver.common.by import By

from accounts_chromium import click_css, fill, fill_login, save, wait_heading
from accounts_helpers import steady_totp_window, totp_at
from gatehouse_client import Browser, describe, field_names, find_form, is_login_form, is_post, unique_email

PASSWORD = "correct horse battery staple"
DIRECTORY = "gatehouse-operators"


def soup(resp: requests.Response) -> BeautifulSoup:
    return BeautifulSoup(resp.text, "html.parser")


class Ops:
    """An operator's console session over HTTP: pages under ``/admin`` and forms with its CSRF token."""

    def __init__(self, public_url: str, http: requests.Session, start: str | None = "/tenants"):
        """``start``: a console page whose forms give the CSRF token (None: a browser without a session)."""
        self.base = public_url + "/admin"
        self.http = http
        self.csrf = ""
        if start is not None:
            page = self.get(start)
            assert page.status_code == 200, describe(page)
            self.csrf = soup(page).select_one("input[name=csrf_token]")["value"]

    def get(self, path: str, **params) -> requests.Response:
        return self.http.get(self.base + path, params=params, allow_redirects=False, timeout=15)

    def post(self, path: str, data: dict | list | None = None, csrf: str | None = "ok") -> requests.Response:
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf is not None:
            pairs.append(("csrf_token", self.csrf if csrf == "ok" else csrf))
        return self.http.post(self.base + path, data=pairs, allow_redirects=False, timeout=15)


def operator_made(admin) -> dict:
    """A new operator, made with the instance admin token."""
    made = admin.post("/operators", json={"email": unique_email("ops"), "password": PASSWORD, "name": "Ops"})
    assert made.status_code == 201, describe(made)
    return made.json()


@pytest.fixture(scope="module")
def operator(admin) -> dict:
    """An operator of the module's server (the ``admin`` fixture's), made once per module."""
    return operator_made(admin)


@pytest.fixture(scope="module")
def ops(admin, operator) -> Ops:
    """That operator's console session over HTTP, with TOTP enrolled."""
    browser, _ = sign_in_http(admin.public_url, operator["email"])
    return Ops(admin.public_url, browser.http)


def error(resp: requests.Response, field: str) -> str:
    """The problem shown next to ``field`` (``#<field>-error``)."""
    found = soup(resp).select_one(f"#{field}-error")
    assert found is not None, f"no error next to {field}: {describe(resp)}"
    return found.get_text(" ", strip=True)


def by_operator(admin, slug: str, kind: str, operator: dict) -> dict:
    """The tenant's newest audit entry of type ``kind``, checked to be ``operator``'s."""
    events = admin.get(f"/tenants/{slug}/audit", params={"type": kind}).json()["events"]
    assert events and events[0]["actor"] == {"type": "operator", "id": operator["id"]}, events
    return events[0]


def session_with(public_url: str, value: str) -> requests.Session:
    """A requests session holding the console cookie ``value``."""
    http = requests.Session()
    http.cookies.set("gh_admin", value, domain=urlsplit(public_url).hostname, path="/admin")
    return http


def sign_in_with_enrolment(drv, public_url: str, operator: dict, artifacts_dir) -> str:
    """Signs ``operator`` in to the console in Chromium, enrolling TOTP; returns its secret."""
    drv.get(public_url + "/admin")
    assert f"/t/{DIRECTORY}/" in drv.current_url, drv.current_url
    save(drv, artifacts_dir, "console-sign-in.png")
    fill_login(drv, operator["email"], PASSWORD)
    wait_heading(drv, "Set up two-step verification")
    save(drv, artifacts_dir, "console-totp-enrolment.png")
    secret = drv.find_element(By.ID, "totp-secret").get_attribute("textContent").strip()
    reference = steady_totp_window()
    fill(drv, code=totp_at(secret, 0, reference))
    click_css(drv, "form button[type=submit]")
    wait_heading(drv, "Save your recovery codes")
    click_css(drv, "form button[type=submit]")
    wait_heading(drv, "Tenants")
    return secret


def click_to_page(drv, selector: str, heading: str) -> None:
    """Clicks ``selector`` and waits until the page it loads, titled ``heading``, replaced the
    current one (``click_css`` marks the page it leaves, and ``wait_heading`` waits for a new one)."""
    click_css(drv, selector)
    wait_heading(drv, heading)


def sign_in_http(public_url: str, email: str) -> tuple[Browser, requests.Response]:
    """Signs in over plain HTTP (no Sec-Fetch-Site), enrolling TOTP when asked; returns the browser
    and the page after the callback."""
    browser = Browser()
    page = browser.follow(browser.get(public_url + "/admin"))
    login = find_form(page.text, is_login_form)
    page = browser.follow(browser.submit(page, login, {"email": email, "password": PASSWORD}))
    assert "Set up two-step verification" in page.text, describe(page)
    secret = soup(page).find(id="totp-secret").get_text(strip=True)
    form = find_form(page.text, lambda f: is_post(f) and "code" in field_names(f))
    page = browser.follow(browser.submit(page, form, {"code": totp_at(secret, 0, steady_totp_window())}))
    assert "Save your recovery codes" in page.text, describe(page)
    page = browser.follow(browser.submit(page, find_form(page.text, is_post), {}))
    return browser, page
