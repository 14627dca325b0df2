"""A relying party nobody here wrote that cannot verify EdDSA: Apache with Debian's
mod_auth_openidc signs a user in against a fresh tenant where only a client was created, asking
for RS256 ID tokens (OIDC Discovery 1.0 §3 and Core §15.1: every OP supports RS256)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from gatehouse_client import Browser, unique_slug

MODULES = Path("/usr/lib/apache2/modules")
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(APACHE) and (MODULES / "mod_auth_openidc.so").exists()),
    reason="apache2 and libapache2-mod-auth-openidc are not installed (scripts/ensure-deps installs them)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(root: Path, port: int, discovery: str, client_id: str, client_secret: str) -> str:
    modules = ["mpm_event", "authz_core", "authz_user", "authn_core", "auth_openidc", "headers", "mime", "dir", "unixd"]
    loads = "\n".join(f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in modules if (MODULES / f"mod_{m}.so").exists())
    user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    return f"""
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
ErrorLog "{root}/error.log"
LogLevel warn auth_openidc:info
{loads}
{user}
TypesConfig /etc/mime.types
DocumentRoot "{root}/htdocs"
DirectoryIndex index.html
<Directory "{root}/htdocs">
    Require all granted
</Directory>
OIDCProviderMetadataURL {discovery}
OIDCClientID {client_id}
OIDCClientSecret {client_secret}
OIDCRedirectURI http://127.0.0.1:{port}/protected/redirect_uri
OIDCCryptoPassphrase {secrets.token_urlsafe(24)}
OIDCScope "openid email profile"
OIDCRemoteUserClaim email
OIDCSessionType client-cookie
<Location /protected>
    AuthType openid-connect
    Require valid-user
    Header always set X-Remote-User "expr=%{{REMOTE_USER}}"
</Location>
"""


@pytest.fixture
def apache_root():
    # Apache's workers run as www-data when started as root: a world-readable folder of their own.
    root = Path(tempfile.mkdtemp(prefix="gatehouse-apache-", dir="/tmp"))
    os.chmod(root, 0o755)
    (root / "htdocs" / "protected").mkdir(parents=True)
    (root / "htdocs" / "protected" / "index.html").write_text("<!doctype html><title>protected</title><p>protected page</p>\n")
    for path in [root / "htdocs", root / "htdocs" / "protected"]:
        os.chmod(path, 0o755)
    os.chmod(root / "htdocs" / "protected" / "index.html", 0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_mod_auth_openidc_signs_in_with_rs256_against_a_fresh_tenant(admin, apache_root, artifacts_dir):
    tenant = admin.create_tenant(unique_slug("apache"))
    port = _free_port()
    redirect_uri = f"http://127.0.0.1:{port}/protected/redirect_uri"
    # Only a client is created; the tenant's settings are untouched (EdDSA stays their default).
    client = tenant.create_client(redirect_uris=[redirect_uri], id_token_signed_response_alg="RS256")
    assert "RS256" in tenant.discovery["id_token_signing_alg_values_supported"]
    assert tenant.raw["settings"].get("signing_algorithms", ["EdDSA"]) == ["EdDSA"]
    assert any(k.get("alg") == "RS256" for k in tenant.jwks["keys"]), "the RS256 key is published before any token needs it"
    user = tenant.create_user()

    conf = apache_root / "httpd.conf"
    conf.write_text(_config(apache_root, port, f"{tenant.issuer}/.well-known/openid-configuration",
                            client.client_id, client.client_secret))
    proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"apache2 exited: {proc.stdout.read().decode(errors='replace')}\n"
                            f"{(apache_root / 'error.log').read_text(errors='replace') if (apache_root / 'error.log').exists() else ''}")
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        browser = Browser()
        result = browser.authorize(f"http://127.0.0.1:{port}/protected/", "http://never.example/", user=user)
        final = result.response
        log = (apache_root / "error.log").read_text(errors="replace")
        (artifacts_dir / "apache-openidc-error.log").write_text(log)
        assert final is not None and final.status_code == 200 and "protected page" in final.text, result.trace() + "\n" + log[-3000:]
        assert final.headers.get("X-Remote-User") == user.email, final.headers
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue
