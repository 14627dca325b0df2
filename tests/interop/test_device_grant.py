"""OAuth 2.0 Device Authorization Grant (RFC 8628) with plain requests as the device client and
headless Chromium as the user's browser: the device authorization response (§3.2), the user
signing in at ``verification_uri_complete`` and approving (§3.3) while the test polls the token
endpoint (§3.4), which answers ``authorization_pending`` and then the code flow's tokens once.
Refusals: ``slow_down`` (§3.5), a denial (``access_denied``), an expired device code (the tenant
setting ``device_code_ttl``), a wrong user code at the page (and the per-IP limit), reuse of a
redeemed device code, a client without the grant type, and a user code of another tenant.

Screenshots go to $ARTIFACTS_DIR: device-code-page.png, device-confirm.png, device-done.png,
device-denied.png.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
from bs4 import BeautifulSoup
from selenium.webdriver.common.by import By

from accounts_chromium import chromium_driver, click_button, fill, fill_login, save, wait_heading
from cli_helpers import CLI
from gatehouse_client import check_access_token, check_id_token, expect
from gatehouse_http import HTTP_TIMEOUT

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")

pytestmark = pytest.mark.browser


@pytest.fixture
def driver():
    with chromium_driver() as drv:
        yield drv


def device_client(tenant, **kw):
    return tenant.create_client("public", grant_types=[DEVICE, "refresh_token"], name="Living-room TV", **kw)


def start(tenant, client, scope: str = "openid email") -> requests.Response:
    """POST to the device authorization endpoint: a public client by client_id, a confidential
    one with Basic."""
    data = {"scope": scope}
    auth = None
    if client.client_secret:
        auth = (client.client_id, client.client_secret)
    else:
        data["client_id"] = client.client_id
    return requests.post(
        tenant.endpoint("device_authorization_endpoint"), data=data, auth=auth, timeout=HTTP_TIMEOUT
    )


def started(tenant, client, **kw) -> dict:
    resp = expect(start(tenant, client, **kw), 200)
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    answer = resp.json()
    assert len(answer["device_code"]) >= 43 and USER_CODE.match(answer["user_code"]), answer
    assert answer["verification_uri"] == tenant.issuer + "/device", answer
    complete = tenant.issuer + "/device?user_code=" + answer["user_code"]
    assert answer["verification_uri_complete"] == complete, answer
    assert answer["interval"] == 5, answer
    return answer


def poll(tenant, client, device_code: str) -> requests.Response:
    auth = "basic" if client.client_secret else "none"
    return tenant.token_request({"grant_type": DEVICE, "device_code": device_code}, client, auth=auth)


def error_of(resp: requests.Response) -> str:
    assert resp.status_code == 400, (resp.status_code, resp.text)
    return resp.json()["error"]


class Poller(threading.Thread):
    """Polls the token endpoint at once and then every `interval` seconds, as a device does,
    until it gets an answer other than authorization_pending (or 120 s pass)."""

    def __init__(self, tenant, client, answer: dict):
        super().__init__(daemon=True)
        self.tenant, self.client, self.answer = tenant, client, answer
        self.errors: list[str] = []
        self.final: requests.Response | None = None

    def run(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            resp = poll(self.tenant, self.client, self.answer["device_code"])
            if resp.status_code == 400 and resp.json().get("error") == "authorization_pending":
                self.errors.append("authorization_pending")
                time.sleep(self.answer["interval"] + 0.2)
                continue
            self.final = resp
            return


def sign_in_and_decide(
    drv, artifacts_dir, tenant, url: str, user, decision: str, typed: str | None = None
) -> None:
    """The user's side: the code page (typing `typed` when given), the tenant's login, the
    confirmation, the decision."""
    drv.get(url)
    wait_heading(drv, "Connect a device")
    if typed is not None:
        fill(drv, user_code=typed)
    save(drv, artifacts_dir, "device-code-page.png")
    click_button(drv, "Continue")
    fill_login(drv, user.email, user.password)
    wait_heading(drv, f"Living-room TV on a device wants to access your {tenant.raw['name']} account")
    save(drv, artifacts_dir, "device-confirm.png")
    click_button(drv, decision)


def test_discovery_lists_the_endpoint_and_grant(tenant):
    doc = tenant.discovery
    assert doc["device_authorization_endpoint"] == tenant.issuer + "/device_authorization", doc
    assert DEVICE in doc["grant_types_supported"], doc
    # RFC 6749 §3.2 style: the endpoint takes POST only.
    assert requests.get(doc["device_authorization_endpoint"], timeout=HTTP_TIMEOUT).status_code == 405


def test_device_flow_in_chromium_while_polling(tenant, driver, artifacts_dir):
    client = device_client(tenant)
    user = tenant.create_user()
    answer = started(tenant, client)
    assert answer["expires_in"] == 600, answer
    poller = Poller(tenant, client, answer)
    poller.start()
    sign_in_and_decide(driver, artifacts_dir, tenant, answer["verification_uri_complete"], user, "Approve")
    wait_heading(driver, "Device connected")
    assert "return to your device" in driver.find_element(By.TAG_NAME, "body").text
    save(driver, artifacts_dir, "device-done.png")
    poller.join(60)
    assert poller.final is not None, "the device never got an answer"
    assert "authorization_pending" in poller.errors, poller.errors
    token = expect(poller.final, 200).json()
    assert poller.final.headers.get("Cache-Control") == "no-store"
    assert token["token_type"] == "Bearer" and token.get("refresh_token"), token
    assert set(token["scope"].split()) == {"openid", "email"}, token
    assert check_access_token(tenant, client, token["access_token"], user=user)["sub"] == user.id
    check_id_token(
        tenant, client, token["id_token"], access_token=token["access_token"], user=user, scope="openid email"
    )
    # The refresh token works as in the code flow.
    refreshed = tenant.token_request(
        {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}, client, auth="none"
    )
    assert expect(refreshed, 200).json()["access_token"]
    # Redeemed once: the same device code again is invalid_grant.
    time.sleep(answer["interval"] + 0.2)
    assert error_of(poll(tenant, client, answer["device_code"])) == "invalid_grant"


def test_denied_with_a_typed_lowercase_code(tenant, driver, artifacts_dir):
    client = device_client(tenant)
    user = tenant.create_user()
    answer = started(tenant, client)
    typed = answer["user_code"].replace("-", "").lower()  # case-insensitive, dash optional (§6.1)
    sign_in_and_decide(driver, artifacts_dir, tenant, answer["verification_uri"], user, "Deny", typed=typed)
    wait_heading(driver, "Access denied")
    save(driver, artifacts_dir, "device-denied.png")
    assert error_of(poll(tenant, client, answer["device_code"])) == "access_denied"
    # The decided code cannot be decided again.
    driver.get(answer["verification_uri_complete"])
    wait_heading(driver, "Connect a device")
    assert "not valid" in driver.find_element(By.ID, "device-error").text


def test_pending_then_slow_down(tenant):
    client = device_client(tenant)
    answer = started(tenant, client)
    assert error_of(poll(tenant, client, answer["device_code"])) == "authorization_pending"
    assert error_of(poll(tenant, client, answer["device_code"])) == "slow_down"
    # The interval is now 10 s: 6 s later is still too fast (§3.5).
    time.sleep(6)
    assert error_of(poll(tenant, client, answer["device_code"])) == "slow_down"


def test_expired_device_code(tenant, server, tmp_path):
    # The tenant setting device_code_ttl, set with the CLI (gatehouse tenant update --device-code-ttl).
    cli = CLI(server.public_url, server.admin_token, tmp_path)
    shown = cli.json("tenant", "update", tenant.slug, "--device-code-ttl", "5s")
    assert shown["settings"]["device_code_ttl"] == 5, shown
    client = device_client(tenant)
    answer = started(tenant, client)
    assert answer["expires_in"] == 5, answer
    time.sleep(6)
    assert error_of(poll(tenant, client, answer["device_code"])) == "expired_token"
    page = requests.get(answer["verification_uri_complete"], timeout=HTTP_TIMEOUT)
    assert page.status_code == 200  # without a session the form is shown, prefilled; POSTing it is refused
    assert post_code(tenant, answer["user_code"]).status_code == 400


def test_client_without_the_grant_type(tenant):
    code_client = tenant.create_client("public")  # authorization_code, refresh_token
    assert error_of(start(tenant, code_client)) == "unauthorized_client"
    assert error_of(poll(tenant, code_client, "x" * 43)) == "unauthorized_client"
    confidential = tenant.create_client("confidential", grant_types=[DEVICE])
    assert started(tenant, confidential)
    wrong = requests.post(
        tenant.endpoint("device_authorization_endpoint"),
        data={"scope": "openid"},
        auth=(confidential.client_id, "sk_wrong"),
        timeout=HTTP_TIMEOUT,
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert error_of(start(tenant, device_client(tenant), scope="email bogus")) == "invalid_scope"
    # The grant is personal: no organization step on the verification page.
    assert error_of(start(tenant, device_client(tenant), scope="openid organization")) == "invalid_scope"
    org_client = device_client(tenant, organization_required=True)
    assert error_of(start(tenant, org_client)) == "unauthorized_client"


def test_unknown_device_code_and_another_clients(tenant):
    client = device_client(tenant)
    answer = started(tenant, client)
    assert error_of(poll(tenant, client, "not-a-device-code")) == "invalid_grant"
    other = device_client(tenant)
    assert error_of(poll(tenant, other, answer["device_code"])) == "invalid_grant"


def post_code(tenant, user_code: str, session: requests.Session | None = None) -> requests.Response:
    """The code form, posted as a browser would (CSRF token from the page, bound to its cookie)."""
    session = session or requests.Session()
    page = expect(session.get(tenant.issuer + "/device", timeout=HTTP_TIMEOUT), 200)
    csrf = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})["value"]
    return session.post(
        tenant.issuer + "/device",
        data={"csrf_token": csrf, "user_code": user_code},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )


def test_wrong_user_codes_are_limited_and_csrf_is_checked(tenant):
    client = device_client(tenant)
    answer = started(tenant, client)
    session = requests.Session()
    # A right code without a session goes to the tenant's sign-in.
    right = post_code(tenant, answer["user_code"], session)
    assert right.status_code == 303 and "/authorize?" in right.headers["Location"], right.headers
    # No CSRF token: refused, nothing looked up.
    bare = session.post(
        tenant.issuer + "/device", data={"user_code": answer["user_code"]}, timeout=HTTP_TIMEOUT
    )
    assert bare.status_code == 400 and "expired" in bare.text
    for _ in range(10):
        wrong = post_code(tenant, "BBBB-BBBB", session)
        assert wrong.status_code == 400 and "not valid" in wrong.text
    limited = post_code(tenant, answer["user_code"], session)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    # The strict CSP of every page.
    csp = limited.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp or "default-src 'self'" in csp, csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[-1].split(";")[0], csp


def test_user_code_of_another_tenant_is_unknown(tenant, other_tenant):
    answer = started(tenant, device_client(tenant))
    foreign = post_code(other_tenant, answer["user_code"])
    assert foreign.status_code == 400 and "not valid" in foreign.text
    assert post_code(tenant, answer["user_code"]).status_code == 303
