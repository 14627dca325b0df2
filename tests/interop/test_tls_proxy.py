"""TLS at a reverse proxy: Debian's nginx terminates HTTPS with a self-signed certificate in front of
a private Gatehouse whose public URL is the `https://` address (docs/operations.md, "Reverse proxy
and TLS"). The issuer is `https`, cookies are `Secure`, Authlib signs in through the proxy, and the
session records the client's address from `X-Forwarded-For`. Skips only when nginx is missing."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from accounts_helpers import SourceAddressAdapter, accounts_config, free_port, start_accounts_server, tenant_db
from gatehouse_client import Browser, code_flow, expect
from nginx_helpers import NGINX, nginx_conf

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/ensure-deps installs it)")

# The server block of docs/operations.md, with test paths and ports.
NGINX_TLS_SERVER = """
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name 127.0.0.1;
        ssl_certificate     {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
        location = /metrics {{ deny all; }}
    }}
"""


@pytest.fixture(scope="module")
def smtp_port():
    from accounts_mail import Inbox, smtp_server

    port = free_port()
    with smtp_server(port, Inbox()):
        yield port


@pytest.fixture(scope="module")
def tls(tmp_path_factory, artifacts_dir, smtp_port):
    """(gatehouse, https base URL, CA file)."""
    workdir = tmp_path_factory.mktemp("tls")
    ndir = workdir / "nginx"
    ndir.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(ndir / "key.pem"), "-out", str(ndir / "cert.pem")],
        check=True, capture_output=True,
    )
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    config = f'[server]\npublic_url = "{base}"\ntrusted_proxies = ["127.0.0.1/32"]\n\n' + accounts_config()
    gh = start_accounts_server(workdir / "gh", artifacts_dir / "gatehouse-tls.log", smtp_port, config=config)
    upstream = gh.public_url.rsplit(":", 1)[1]
    (ndir / "nginx.conf").write_text(nginx_conf(ndir, NGINX_TLS_SERVER.format(dir=ndir, port=port, upstream=upstream)))
    proc = subprocess.Popen(
        [NGINX, "-c", str(ndir / "nginx.conf"), "-p", str(ndir), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(ndir / "stderr.log", "wb"),
        start_new_session=True,
    )
    ca = str(ndir / "cert.pem")
    deadline = time.monotonic() + 15
    while True:
        try:
            if requests.get(f"{base}/readyz", timeout=2, verify=ca).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            gh.stop()
            pytest.fail(f"nginx did not start: {(ndir / 'stderr.log').read_text()}")
        time.sleep(0.2)
    with pytest.MonkeyPatch.context() as mp:
        # requests (and Authlib on top of it) trust the test's certificate.
        mp.setenv("REQUESTS_CA_BUNDLE", ca)
        yield gh, base, ca
    proc.terminate()
    proc.wait(timeout=10)
    gh.stop()


def test_https_issuer_and_sign_in_through_nginx(tls):
    gh, base, _ = tls
    tenant = gh.admin.create_tenant()
    assert tenant.issuer == f"{base}/t/{tenant.slug}"
    discovery = expect(requests.get(f"{tenant.issuer}/.well-known/openid-configuration", timeout=10), 200).json()
    assert discovery["issuer"] == tenant.issuer
    assert all(discovery[k].startswith("https://") for k in ("authorization_endpoint", "token_endpoint", "jwks_uri"))

    client = tenant.create_client("confidential")
    user = tenant.create_user()
    browser = Browser()
    adapter = SourceAddressAdapter("127.0.0.3")
    browser.http.mount("https://", adapter)
    flow = code_flow(tenant, client, user, browser=browser)
    assert flow.token["access_token"] and flow.token["id_token"]
    cookies = list(browser.http.cookies)
    assert cookies and all(c.secure for c in cookies), [(c.name, c.secure) for c in cookies]

    userinfo = tenant.userinfo(flow.token["access_token"])
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == user.id
    # The session saw the client (127.0.0.3) through X-Forwarded-For, not nginx's 127.0.0.1.
    with sqlite3.connect(tenant_db(gh, tenant)) as db:
        ips = [row[0] for row in db.execute("SELECT ip_address FROM sessions")]
    assert ips == ["127.0.0.3"], ips
    # Metrics stay behind the proxy.
    assert requests.get(f"{base}/metrics", timeout=10).status_code == 403
