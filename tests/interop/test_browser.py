"""Real browser (headless Chromium via Selenium) on the server-rendered pages.

Screenshots go to $ARTIFACTS_DIR: login-page.png, account-console.png,
signed-out.png, consent-page.png.
"""

from __future__ import annotations

import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from accounts_chromium import CallbackServer, chromium_driver
from gatehouse_client import Browser, authorization_request, check_id_token, query_params, url_base

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
WAIT = 20
SIGN_OUT = re.compile(r"sign\s*out|log\s*out", re.I)

pytestmark = pytest.mark.browser


@pytest.fixture
def driver():
    with chromium_driver() as drv:
        yield drv


@pytest.fixture
def callback():
    srv = CallbackServer()
    yield srv
    srv.close()


def wait(drv, timeout: float = WAIT) -> WebDriverWait:
    """A wait whose condition is tried again when the page it read from was replaced meanwhile
    (a condition such as ``"text" in body.text`` can find ``body`` just before a navigation)."""
    return WebDriverWait(drv, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def left_the_page(element):
    """A wait condition: ``element``'s page is gone. Selenium's ``staleness_of`` expects a
    StaleElementReferenceException; during a navigation chromedriver sometimes answers "Node with
    given id does not belong to the document" instead, which means the same."""

    def check(_driver) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:  # StaleElementReferenceException included
            return True
        return False

    return check


def screenshot(drv, artifacts_dir: Path, name: str) -> None:
    path = artifacts_dir / name
    assert drv.save_screenshot(str(path)), f"could not save {path}"


def submit_button(form):
    for css in ("button[type=submit]", "input[type=submit]", "button:not([type])"):
        found = form.find_elements(By.CSS_SELECTOR, css)
        if found:
            return found[0]
    return None


def fill_login(drv, email: str, password: str) -> None:
    email_input = wait(drv).until(EC.visibility_of_element_located((By.NAME, "email")))
    password_input = drv.find_element(By.NAME, "password")
    email_input.clear()
    email_input.send_keys(email)
    password_input.clear()
    password_input.send_keys(password)
    form = password_input.find_element(By.XPATH, "ancestor::form")
    button = submit_button(form)
    if button is not None:
        button.click()
    else:
        password_input.send_keys(Keys.ENTER)


def body_text(drv) -> str:
    return drv.find_element(By.TAG_NAME, "body").text


def on_account_page(issuer: str, email: str):
    def check(drv):
        if url_base(drv.current_url).rstrip("/") != f"{issuer}/account":
            return False
        return email in body_text(drv)

    return check


def find_sign_out(drv):
    for el in drv.find_elements(By.CSS_SELECTOR, "button, input[type=submit], a"):
        label = el.text or el.get_attribute("value") or ""
        if SIGN_OUT.search(label):
            return el
    raise NoSuchElementException("no sign-out button or link on the account console")


def test_account_console_sign_in_and_sign_out(driver, default_tenant, artifacts_dir):
    issuer = default_tenant.issuer
    user = default_tenant.create_user(name="Browser User")

    driver.get(f"{issuer}/account")
    wait(driver).until(EC.visibility_of_element_located((By.NAME, "password")))
    assert driver.current_url.startswith(issuer + "/"), driver.current_url
    screenshot(driver, artifacts_dir, "login-page.png")

    fill_login(driver, user.email, user.password)
    try:
        wait(driver).until(on_account_page(issuer, user.email))
    except TimeoutException as exc:
        screenshot(driver, artifacts_dir, "account-console-failed.png")
        raise AssertionError(
            f"not on the account console: {driver.current_url}\n{body_text(driver)}"
        ) from exc
    screenshot(driver, artifacts_dir, "account-console.png")
    text = body_text(driver)
    assert user.email in text
    assert "session" in text.lower(), "the console should list the user's sessions"

    find_sign_out(driver).click()
    # RP-initiated logout without id_token_hint may ask for confirmation.
    try:
        confirm = WebDriverWait(driver, 3).until(
            EC.element_to_be_clickable((By.CSS_SELECTOR, "[name=decision][value=logout]"))
        )
        confirm.click()
    except TimeoutException:
        pass
    wait(driver).until(lambda d: user.email not in body_text(d))
    screenshot(driver, artifacts_dir, "signed-out.png")

    driver.get(f"{issuer}/account")
    wait(driver).until(EC.visibility_of_element_located((By.NAME, "password")))
    assert user.email not in body_text(driver)


def test_relying_party_flow_with_consent(driver, tenant, callback, artifacts_dir):
    user = tenant.create_user(name="Consenting User")
    client = tenant.create_client("confidential", redirect_uris=[callback.url])
    scope = "openid profile email"
    rp, url, state, nonce, verifier = authorization_request(tenant, client, scope=scope)

    driver.get(url)
    fill_login(driver, user.email, user.password)
    allow = wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[name=decision][value=allow]")))
    assert driver.current_url.startswith(tenant.issuer + "/"), driver.current_url
    screenshot(driver, artifacts_dir, "consent-page.png")
    allow.click()

    hit = callback.next_hit()
    params = query_params(hit)
    assert params.get("state") == state, params
    assert params.get("iss") == tenant.issuer, params
    assert params.get("code"), params

    token = rp.fetch_token(code=params["code"], code_verifier=verifier, redirect_uri=callback.url)
    check_id_token(
        tenant,
        client,
        token["id_token"],
        access_token=token["access_token"],
        nonce=nonce,
        user=user,
        scope=scope,
    )


def test_authorization_request_posted_from_another_site_sees_the_session(driver, tenant, callback):
    """OIDC Core §3.1.2.1: authorization requests by POST. Posted from another site (127.0.0.2),
    the SameSite=Lax session cookie must still identify the signed-in user."""
    user = tenant.create_user(name="Posting User")
    client = tenant.create_client("public", redirect_uris=[callback.url], first_party=True)
    rp, url, state, nonce, verifier = authorization_request(tenant, client)
    driver.get(url)
    fill_login(driver, user.email, user.password)
    assert query_params(callback.next_hit()).get("code")
    time.sleep(0.5)  # the callback page's favicon request
    callback.hits.clear()

    _, url, state, _, _ = authorization_request(tenant, client, prompt="none")
    params = query_params(url)
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in params.items())
    page = (f'<!doctype html><body onload="document.forms[0].submit()"><form method="post" '
            f'action="{tenant.endpoint("authorization_endpoint")}">{inputs}</form></body>').encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    other_site = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    threading.Thread(target=other_site.serve_forever, daemon=True).start()
    try:
        driver.get(f"http://127.0.0.2:{other_site.server_address[1]}/rp.html")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not any("state=" in h for h in callback.hits):
            time.sleep(0.1)
        result = next((query_params(h) for h in callback.hits if "state=" in h), {})
    finally:
        other_site.shutdown()
        other_site.server_close()
    assert result.get("state") == state, result
    assert result.get("code") and "error" not in result, f"the session was not seen: {result}"


def test_form_post_auto_submits_under_a_hash_only_csp(driver, tenant):
    """OAuth 2.0 Form Post Response Mode: the server's own auto-submit script runs because the CSP
    allows its SHA-256; no page carries a nonce a template could print."""
    import base64
    import hashlib

    posted: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            posted.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"posted")

        def log_message(self, *args):
            pass

    rp_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=rp_server.serve_forever, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{rp_server.server_address[1]}/cb"
    try:
        user = tenant.create_user(name="Form Post User")
        client = tenant.create_client("public", redirect_uris=[redirect_uri], first_party=True)
        _, url, state, _, _ = authorization_request(tenant, client, response_mode="form_post")
        driver.get(url)
        fill_login(driver, user.email, user.password)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not posted:
            time.sleep(0.1)
        assert posted, f"the form was not submitted automatically: {driver.current_url}"
        assert b"code=" in posted[0] and state.encode() in posted[0], posted[0]

        # The page itself: a hash-source CSP, the script inserted by the server, no nonce anywhere.
        _, url, _, _, _ = authorization_request(tenant, client, response_mode="form_post")
        result = Browser().authorize(url, redirect_uri, user=user)
        assert result.kind == "form_post", result.trace()
        page = result.response
        csp = page.headers["Content-Security-Policy"]
        digest = base64.b64encode(hashlib.sha256(b"document.forms[0].submit()").digest()).decode()
        assert f"script-src 'sha256-{digest}'" in csp and "nonce" not in csp, csp
        assert "<script>document.forms[0].submit()</script>" in page.text and "nonce" not in page.text
    finally:
        rp_server.shutdown()
        rp_server.server_close()


def test_pages_other_than_form_post_allow_no_script(tenant):
    import requests

    for path in ("/account", "/login?interaction=x"):
        resp = requests.get(tenant.issuer + path, timeout=10, allow_redirects=True)
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "script-src 'none'" in csp and "nonce" not in csp, (path, csp)
