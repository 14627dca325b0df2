"""Tenants on their own hosts: `[server] tenant_base_domain` and `settings.hostname`.

A private Gatehouse with `tenant_base_domain = "localhost"` serves tenant `acme` at
`http://acme.localhost:PORT`: that origin is its issuer, its discovery, cookies, links and
sign-in, and `/t/acme` answers nowhere. Chromium resolves `*.localhost` to loopback by itself;
for requests, this module maps `*.localhost` and `*.test` to 127.0.0.1 (test-side DNS only).

The browser test shows why this is the deployment that isolates tenants: a script running on
one path-based tenant's pages (the shared origin) can read another path-based tenant's account
console, while from one tenant host it cannot read another's."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from accounts_chromium import chromium_driver
from accounts_helpers import accounts_config, free_port, start_accounts_server
from accounts_mail import Inbox, mail_link, smtp_server
from gatehouse_client import Browser, code_flow, expect, unique_slug
from tenancy_helpers import loopback_names  # noqa: F401 - the fixture, used through pytestmark

pytestmark = pytest.mark.usefixtures("loopback_names")


@pytest.fixture(scope="module")
def inbox():
    port = free_port()
    with smtp_server(port, Inbox()) as box:
        box.port = port
        yield box


@pytest.fixture(scope="module")
def hosted(tmp_path_factory, artifacts_dir, inbox):
    server = start_accounts_server(
        tmp_path_factory.mktemp("tenant-hosts"),
        artifacts_dir / "gatehouse-tenant-hosts.log",
        inbox.port,
        config='[server]\ntenant_base_domain = "localhost"\n\n' + accounts_config(),
    )
    yield server
    server.stop()


def port_of(url: str) -> int:
    return urlsplit(url).port


def test_a_tenant_on_the_base_domain_is_an_issuer_of_its_own(hosted):
    tenant = hosted.admin.create_tenant()
    port = port_of(hosted.public_url)
    issuer = f"http://{tenant.slug}.localhost:{port}"
    assert tenant.issuer == issuer

    discovery = expect(requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10), 200).json()
    assert discovery["issuer"] == issuer
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint"):
        assert discovery[name].startswith(issuer + "/"), (name, discovery[name])
    # RFC 8414 §3: an issuer without a path has its metadata at the host's well-known URI.
    metadata = expect(requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10), 200).json()
    assert metadata["issuer"] == issuer
    expect(requests.get(discovery["jwks_uri"], timeout=10), 200)

    # Nowhere under /t/{slug}: not on the public host, not on another tenant's host.
    other = hosted.admin.create_tenant()
    for url in (
        f"{hosted.public_url}/t/{tenant.slug}/.well-known/openid-configuration",
        f"{hosted.public_url}/.well-known/oauth-authorization-server/t/{tenant.slug}",
        f"{other.issuer}/t/{tenant.slug}/.well-known/openid-configuration",
        f"{hosted.public_url}/t/{tenant.slug}/login",
    ):
        assert requests.get(url, timeout=10).status_code == 404, url
    # The admin API stays on the public host only.
    assert requests.get(f"{issuer}/admin/v1/tenants", headers=hosted.admin.http.headers, timeout=10).status_code == 404


def test_sign_in_on_a_tenant_host_with_host_only_cookies(hosted):
    tenant = hosted.admin.create_tenant()
    client = tenant.create_client("confidential")
    user = tenant.create_user()
    browser = Browser()
    flow = code_flow(tenant, client, user, browser=browser)
    assert flow.token["access_token"]
    claims = flow.rp.parse_id_token(flow.token, nonce=flow.nonce) if hasattr(flow.rp, "parse_id_token") else None
    if claims is not None:
        assert claims["iss"] == tenant.issuer
    cookies = list(browser.http.cookies)
    assert cookies, "the sign-in set no cookie"
    for cookie in cookies:
        assert cookie.domain == f"{tenant.slug}.localhost", (cookie.name, cookie.domain)
        assert not cookie.domain_specified, f"{cookie.name} must be host-only"
        assert cookie.path == "/", (cookie.name, cookie.path)
    # The pages link within the host: the login page's form posts to /login, not /t/{slug}/login.
    page = browser.get(f"{tenant.issuer}/account", allow_redirects=True)
    assert f"/t/{tenant.slug}" not in page.text


def test_custom_hostname_setting(hosted):
    tenant = hosted.admin.create_tenant()
    hostname = f"login.{tenant.slug}.test"
    port = port_of(hosted.public_url)
    updated = tenant.patch({"settings": {"hostname": hostname.upper()}})
    assert updated["settings"]["hostname"] == hostname
    assert updated["issuer"] == f"http://{hostname}:{port}"
    discovery = expect(requests.get(f"http://{hostname}:{port}/.well-known/openid-configuration", timeout=10), 200).json()
    assert discovery["issuer"] == f"http://{hostname}:{port}"
    # Its base-domain name no longer serves it.
    assert requests.get(f"http://{tenant.slug}.localhost:{port}/.well-known/openid-configuration", timeout=10).status_code == 404

    other = hosted.admin.create_tenant()
    taken = hosted.admin.patch(f"/tenants/{other.slug}", json={"settings": {"hostname": hostname}})
    assert taken.status_code == 409, taken.text
    for bad in ("127.0.0.1", f"x.{other.slug}.localhost", "localhost", "no_underscores.test", "a..b", "-a.test", "host.test:8080"):
        resp = hosted.admin.patch(f"/tenants/{other.slug}", json={"settings": {"hostname": bad}})
        assert resp.status_code == 422, (bad, resp.text)
        assert resp.headers["Content-Type"].startswith("application/problem+json")

    back = tenant.patch({"settings": {"hostname": None}})
    assert "hostname" not in back["settings"] or back["settings"]["hostname"] is None
    assert back["issuer"] == f"http://{tenant.slug}.localhost:{port}"


def test_client_credentials_admin_token_of_a_hosted_tenant(hosted):
    tenant = hosted.admin.create_tenant()
    client = tenant.create_client("confidential", grant_types=["client_credentials"], allowed_scopes="tenant:read")
    token = expect(
        requests.post(
            tenant.endpoint("token_endpoint"),
            data={"grant_type": "client_credentials", "scope": "tenant:read"},
            auth=(client.client_id, client.client_secret),
            timeout=10,
        ),
        200,
    ).json()["access_token"]
    seen = requests.get(
        f"{hosted.public_url}/admin/v1/tenants/{tenant.slug}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["issuer"] == tenant.issuer


def test_headless_api_on_a_tenant_host_knows_only_that_tenants_keys(hosted):
    mine = hosted.admin.create_tenant()
    theirs = hosted.admin.create_tenant()
    their_client = theirs.create_client("public", first_party=True)
    body = {"email": "nobody@example.com", "password": "x" * 12}
    headers = {"X-Client-Id": their_client.client_id}
    on_their_host = requests.post(f"{theirs.issuer}/v1/auth/sign-in", json=body, headers=headers, timeout=10)
    on_my_host = requests.post(f"{mine.issuer}/v1/auth/sign-in", json=body, headers=headers, timeout=10)
    assert on_my_host.status_code == 401 and on_my_host.json()["error"] == "invalid_client", on_my_host.text
    assert on_their_host.status_code != 401 or on_their_host.json().get("error") != "invalid_client", on_their_host.text


# The pages' CSP allows no fetch, so the script opens the console in a window and reads its DOM,
# which the same-origin policy allows exactly when both pages share an origin.
READ_CONSOLE = """
const done = arguments[arguments.length - 1];
const w = window.open(arguments[0]);
let tries = 0;
const poll = () => {
  try {
    const text = w.document.body ? w.document.body.innerText : '';
    if (text.includes('@')) { done('read:' + text); return; }
  } catch (e) { done('blocked:' + e); return; }
  if (++tries > 100) { done('nothing:' + tries); return; }
  setTimeout(poll, 100);
};
setTimeout(poll, 100);
"""


def sign_in_with_chromium(driver, issuer: str, user) -> None:
    from test_browser import fill_login, on_account_page, wait

    driver.get(f"{issuer}/account")
    fill_login(driver, user.email, user.password)
    wait(driver).until(on_account_page(issuer, user.email))


def test_only_tenant_hosts_keep_one_tenants_script_from_another_tenants_console(hosted, server):
    """A script on tenant B's origin (standing in for anything B's admin could get to run there)
    tries to read tenant A's account console with the browser's cookies."""
    with chromium_driver("--disable-popup-blocking") as driver:
        driver.set_script_timeout(15)
        # Path-based (the main test server): both tenants share one origin, so it can.
        from gatehouse_client import AdminAPI

        shared = AdminAPI(server.public_url, server.admin_token)
        a, b = shared.create_tenant(slug=unique_slug("pa")), shared.create_tenant(slug=unique_slug("pb"))
        victim = a.create_user()
        sign_in_with_chromium(driver, a.issuer, victim)
        driver.get(f"{b.issuer}/login")
        result = driver.execute_async_script(READ_CONSOLE, f"{a.issuer}/account")
        assert result.startswith("read:") and victim.email in result, result[:200]

        # Host-based: A's console is another origin; the read is refused by the browser.
        a, b = hosted.admin.create_tenant(), hosted.admin.create_tenant()
        victim = a.create_user()
        sign_in_with_chromium(driver, a.issuer, victim)
        driver.get(f"{b.issuer}/login")
        result = driver.execute_async_script(READ_CONSOLE, f"{a.issuer}/account")
        assert result.startswith("blocked:"), result[:200]
        assert victim.email not in result
        # And B's origin holds none of A's cookies.
        assert driver.get_cookies() == [] or all(c["domain"] == urlsplit(b.issuer).hostname for c in driver.get_cookies())


def test_email_links_point_at_the_tenant_host(hosted, inbox):
    tenant = hosted.admin.create_tenant()
    user = tenant.create_user()
    browser = Browser()
    page = browser.get(f"{tenant.issuer}/forgot")
    assert page.status_code == 200, page.text[:300]
    from accounts_pages import form_by_action

    since = inbox.mark()
    sent = browser.submit(page, form_by_action(page, "/forgot"), {"email": user.email})
    assert sent.status_code in (200, 303), sent.text[:300]
    link = mail_link(inbox.wait(user.email, since=since), "/reset")
    assert link.startswith(f"{tenant.issuer}/reset?"), link
    reset = browser.get(link)
    assert reset.status_code == 200, reset.text[:300]
