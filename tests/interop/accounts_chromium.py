"""Headless Chromium for the interop tests (Selenium with the explicit driver), a relying party's
redirect URI on loopback (``CallbackServer``), and waits, clicks and form filling that survive a
document being replaced.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
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


# Set on the page's window by ``click_css`` before it clicks a link or a submit button: a new document
# has a new window, so while the flag is there the old page (which may carry the same heading as the
# one expected, e.g. a form that posts back to itself) is still shown.
LEAVING = "__gatehouseTestLeaving"


def wait_heading(drv, text: str) -> None:
    """Waits until the page titled ``text`` is loaded (heading shown and the document complete), so that
    the next find/click does not race a document still being replaced. After ``click_css`` on a link
    or a submit button it waits for the document that click loads, not the one clicked on."""

    def check(d):
        try:
            found = d.find_elements(By.ID, "page-title")
            return (
                bool(found)
                and found[0].text.strip() == text
                and d.execute_script(f"return document.readyState == 'complete' && !window.{LEAVING}")
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
            element = drv.find_element(By.CSS_SELECTOR, selector)
            if navigates(element):
                drv.execute_script(f"window.{LEAVING} = true")
            element.click()
            return
        except (StaleElementReferenceException, WebDriverException):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


def navigates(element) -> bool:
    """Whether clicking ``element`` replaces this document: a link or a form's submit button that does
    not load into another frame (``target``, ``formtarget``)."""
    tag = element.tag_name.lower()
    kind = (element.get_attribute("type") or "").lower()
    if element.get_attribute("target") or element.get_attribute("formtarget"):
        return False
    return tag == "a" or (tag == "button" and kind in ("", "submit")) or (tag == "input" and kind == "submit")


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
