"""Client address behind a reverse proxy: Debian's nginx in front of a private Gatehouse.

Gatehouse trusts 127.0.0.1/32 (nginx's address towards it); clients connect to nginx from
127.0.0.2 and 127.0.0.3. Skips only when nginx is not installed."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from accounts_helpers import (
    SourceAddressAdapter,
    accounts_config,
    free_port,
    start_accounts_server,
    tenant_db,
)
from accounts_pages import Login, form_by_action
from gatehouse_client import DEFAULT_PASSWORD, Browser, unique_email
from nginx_helpers import NGINX, nginx_conf, start_nginx

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/ensure-deps installs it)")

NGINX_SERVER = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
"""


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, artifacts_dir, smtp_port):
    """(gatehouse, nginx base URL): Gatehouse's public URL is nginx's."""
    workdir = tmp_path_factory.mktemp("proxy")
    nginx_port = free_port()
    config = (
        f'[server]\npublic_url = "http://127.0.0.1:{nginx_port}"\ntrusted_proxies = ["127.0.0.1/32"]\n\n'
        + accounts_config()
    )
    gh = start_accounts_server(workdir / "gh", artifacts_dir / "gatehouse-proxy.log", smtp_port, config=config)
    upstream = gh.public_url.rsplit(":", 1)[1]
    ndir = workdir / "nginx"
    ndir.mkdir()
    base = f"http://127.0.0.1:{nginx_port}"
    try:
        proc = start_nginx(ndir, nginx_conf(ndir, NGINX_SERVER.format(port=nginx_port, upstream=upstream)), f"{base}/readyz")
    except RuntimeError as failure:
        gh.stop()
        pytest.fail(str(failure))
    yield gh, base
    proc.terminate()
    proc.wait(timeout=10)
    gh.stop()


@pytest.fixture(scope="module")
def smtp_port():
    from accounts_mail import Inbox, smtp_server

    port = free_port()
    with smtp_server(port, Inbox()):
        yield port


def browser_from(source: str) -> Browser:
    browser = Browser()
    browser.http.mount("http://", SourceAddressAdapter(source))
    return browser


def forgot_statuses(tenant, source: str, count: int) -> list[int]:
    browser = browser_from(source)
    page = browser.get(f"{tenant.issuer}/forgot")
    form = form_by_action(page, "/forgot")
    return [browser.submit(page, form, {"email": unique_email()}).status_code for _ in range(count)]


def test_issuer_is_behind_the_proxy(proxied):
    gh, base = proxied
    tenant = gh.admin.create_tenant()
    assert tenant.issuer.startswith(base + "/t/")


def test_clients_behind_nginx_have_separate_budgets(proxied):
    gh, _ = proxied
    tenant = gh.admin.create_tenant()
    # Five per IP, then 429: 127.0.0.2 exhausts its budget…
    assert forgot_statuses(tenant, "127.0.0.2", 6) == [200] * 5 + [429]
    # …and 127.0.0.3, behind the same nginx, still has its own (before the fix both were nginx's 127.0.0.1).
    assert forgot_statuses(tenant, "127.0.0.3", 1) == [200]


def test_client_supplied_forwarded_for_is_not_trusted_from_untrusted_peers(proxied):
    gh, _ = proxied
    tenant = gh.admin.create_tenant()
    direct = tenant.issuer.replace(tenant.issuer.split("/t/")[0], gh.public_url)
    browser = browser_from("127.0.0.2")
    page = browser.get(f"{direct}/forgot")
    form = form_by_action(page, "/forgot")
    statuses = []
    for i in range(6):
        # A fresh X-Forwarded-For each time: believed, it would give every request its own budget.
        browser.http.headers["X-Forwarded-For"] = f"198.51.100.{i + 1}"
        browser.http.headers["Forwarded"] = f"for=203.0.113.{i + 1}"
        statuses.append(browser.submit(page, form, {"email": unique_email()}).status_code)
    assert statuses == [200] * 5 + [429]


def test_session_records_the_real_client(proxied):
    gh, _ = proxied
    tenant = gh.admin.create_tenant()
    client = tenant.create_client("public", first_party=True)
    user = tenant.create_user(email=unique_email("proxy"), email_verified=True)
    login = Login.begin(tenant, client, browser_from("127.0.0.3")).login(user.email, DEFAULT_PASSWORD)
    assert login.done, login.trace()
    with sqlite3.connect(tenant_db(gh, tenant)) as db:
        ips = [row[0] for row in db.execute("SELECT ip_address FROM sessions")]
    assert ips == ["127.0.0.3"], ips


def test_oversized_body_through_nginx_is_413_not_502(proxied):
    """A body over Gatehouse's limit but under nginx's (1 MiB by default) reaches Gatehouse, whose
    413 nginx passes on (not a 502, nor nginx's 500 when it cannot write its body buffer file)."""
    _, base = proxied
    body = b"grant_type=client_credentials&x=" + b"a" * 200_000
    with requests.Session() as session:
        for _ in range(2):
            resp = session.post(f"{base}/t/default/token", data=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
            assert resp.status_code == 413, resp.text[:300]
            assert resp.json()["error"] == "invalid_request", resp.text[:300]
        assert session.get(f"{base}/readyz", timeout=5).status_code == 200
