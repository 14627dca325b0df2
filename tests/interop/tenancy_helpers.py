"""Helpers for the multi-tenancy interop tests (test_isolation, test_tenancy, test_headless).

Everything here talks to a running Gatehouse over HTTP only, on top of
``gatehouse_client``:

* ``start_server``: a second, private ``gatehouse serve`` (own data folder, own port,
  optional ``--config`` file) for tests that need another configuration, such as a
  short key pre-publication window. Same start logic as ``conftest.py``.
* headless API calls (``/v1/auth/…``, ``/v1/me``) with ``X-Client-Id`` or a secret key.
* tenant-scoped admin tokens (client credentials with admin scopes).
* re-exported from ``tenancy_checks``: JWT verification against a tenant's JWKS for any
  algorithm (EdDSA, ES256, RS256), CORS header checks, and ``leaks`` (which identifiers or
  tokens of another tenant a response contains).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    AdminAPI,
    Browser,
    Client,
    Tenant,
    User,
    describe,
)
from tenancy_checks import (  # noqa: F401 - re-exported: tests import these from tenancy_helpers
    assert_cors,
    assert_no_cors,
    json_or_none,
    jwks_kids,
    leaks,
    max_age,
    response_texts,
    tamper,
    unverified,
    vary_has_origin,
    verify_jwt,
)

REPO = Path(__file__).resolve().parents[2]

# The admin scopes of AdminScope.swift: a tenant's confidential client may get them through
# client_credentials and then call the admin API for its own tenant only.
ADMIN_SCOPES = (
    "tenant:read tenant:write clients:read clients:write users:read users:write "
    "sessions:read sessions:write keys:read keys:write orgs:read orgs:write audit:read webhooks:read webhooks:write"
)

# RFC 6749 §5.2 token endpoint errors, §4.1.2.1 authorization errors and RFC 6750 §3.1.
OAUTH_ERROR_CODES = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "insufficient_scope",
}

SESSION_COOKIE = "gh_session"
BROWSER_COOKIE = "gh_browser"
CONSOLE_COOKIE = "gh_console"


# --------------------------------------------------------------------------- a second server


def gatehouse_binary() -> Path:
    return Path(os.environ.get("GATEHOUSE_BIN") or REPO / ".build" / "debug" / "gatehouse")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ExtraServer:
    """A private Gatehouse process for one test module."""

    public_url: str
    admin_token: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    admin: AdminAPI = field(init=False)

    def __post_init__(self):
        self.admin = AdminAPI(self.public_url, self.admin_token)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        proc = self.process
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def start_server(
    workdir: Path,
    log_path: Path,
    config: str | None = None,
    ready_timeout: float = 30.0,
    env: dict[str, str] | None = None,
) -> ExtraServer:
    """Start ``gatehouse serve`` on a free port with a fresh data folder under ``workdir``.

    ``config`` is the text of a TOML file passed with ``--config``; ``env`` overrides the
    environment (e.g. ``GATEHOUSE_LOG_LEVEL``, which is ``warning`` otherwise). The caller stops the
    server with ``stop()`` (a module fixture's finalizer)."""
    binary = gatehouse_binary()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise RuntimeError(f"Gatehouse binary not found: {binary}")
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    port = _free_port()
    token = "gh_admin_" + secrets.token_urlsafe(32)
    extra_env = env
    env = dict(os.environ)
    env.pop("GATEHOUSE_PUBLIC_URL", None)
    env.update(
        GATEHOUSE_LISTEN=f"127.0.0.1:{port}",
        GATEHOUSE_DATA_DIR=str(data_dir),
        GATEHOUSE_ADMIN_TOKEN=token,
        GATEHOUSE_LOG_LEVEL="warning",
    )
    if os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres" and not (extra_env or {}).get("GATEHOUSE_STORAGE_BACKEND"):
        from postgres_helpers import fresh_database, postgres_env

        env.update(postgres_env(workdir, fresh_database("extra")))
    env.update(extra_env or {})
    args = [str(binary), "serve"]
    if config is not None:
        config_path = workdir / "gatehouse.toml"
        config_path.write_text(config)
        args += ["--config", str(config_path)]
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        args,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(REPO),
        start_new_session=True,
    )
    log.close()  # the child holds its own descriptor
    server = ExtraServer(f"http://127.0.0.1:{port}", token, data_dir, log_path, proc)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"second gatehouse exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            if requests.get(f"{server.public_url}/readyz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"second gatehouse not ready within {ready_timeout}s:\n{server.log_tail()}")


# --------------------------------------------------------------------------- headless API


def headless(
    public_url: str,
    method: str,
    path: str,
    *,
    client_id: str | None = None,
    secret: str | None = None,
    bearer: str | None = None,
    body: Any = None,
    raw: str | bytes | None = None,
    headers: dict | None = None,
) -> requests.Response:
    """Call ``{public_url}/v1/{path}``. ``client_id`` → ``X-Client-Id``; ``secret`` →
    ``Authorization: Bearer sk_…``; ``bearer`` → ``Authorization: Bearer <access token>``;
    ``body`` is sent as JSON, ``raw`` as-is with a JSON content type."""
    hdrs = {"Accept": "application/json"}
    if client_id is not None:
        hdrs["X-Client-Id"] = client_id
    if secret is not None:
        hdrs["Authorization"] = f"Bearer {secret}"
    if bearer is not None:
        hdrs["Authorization"] = f"Bearer {bearer}"
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs["json"] = body
    elif raw is not None:
        kwargs["data"] = raw
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    return requests.request(
        method,
        f"{public_url.rstrip('/')}/v1/{path.lstrip('/')}",
        headers=hdrs,
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
        **kwargs,
    )


def sign_in(
    public_url: str,
    client: Client,
    user: User,
    *,
    password: str | None = None,
    use_secret=False,
    **extra: Any,
) -> requests.Response:
    """``POST /v1/auth/sign-in`` as ``client`` (its pk, or its sk when ``use_secret``)."""
    body = {"email": user.email, "password": password or user.password, **extra}
    if use_secret:
        return headless(public_url, "POST", "auth/sign-in", secret=client.client_secret, body=body)
    return headless(public_url, "POST", "auth/sign-in", client_id=client.client_id, body=body)


def signed_in(public_url: str, client: Client, user: User, **kw: Any) -> dict:
    resp = sign_in(public_url, client, user, **kw)
    assert resp.status_code == 200, describe(resp)
    return resp.json()


# --------------------------------------------------------------------------- protocol calls


def client_credentials(
    tenant: Tenant, client: Client, scope: str | None = None, auth: str = "basic"
) -> requests.Response:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return tenant.token_request(data, client, auth=auth)


def admin_token(tenant: Tenant, client: Client, scope: str | None = None) -> str:
    """A tenant-scoped admin access token (client credentials with admin scopes)."""
    resp = client_credentials(tenant, client, scope)
    assert resp.status_code == 200, describe(resp)
    return resp.json()["access_token"]


def create_admin_client(tenant: Tenant, scopes: str = ADMIN_SCOPES, **kw: Any) -> Client:
    return tenant.create_client(
        "confidential", grant_types=["client_credentials"], allowed_scopes=scopes, name="backend admin", **kw
    )


def scoped_admin(tenant: Tenant, token: str) -> AdminAPI:
    """An admin API session that presents a tenant-scoped access token."""
    return AdminAPI(tenant.public_url, token)


def introspect_as(tenant: Tenant, client: Client, token: str, hint: str | None = None) -> requests.Response:
    """Introspection authenticated as ``client``: Basic for confidential clients, ``client_id``
    in the body (auth method none) for public ones."""
    data = {"token": token}
    if hint:
        data["token_type_hint"] = hint
    headers = {"Accept": "application/json"}
    if client.client_secret:
        headers.update(client.basic_auth())
    else:
        data["client_id"] = client.client_id
    return requests.post(
        tenant.endpoint("introspection_endpoint"),
        data=data,
        headers=headers,
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )


def is_active(tenant: Tenant, client: Client, token: str) -> bool:
    resp = introspect_as(tenant, client, token)
    assert resp.status_code == 200, describe(resp)
    return resp.json().get("active") is True


def session_ids(admin: AdminAPI, slug: str) -> set[str]:
    resp = admin.get(f"/tenants/{slug}/sessions")
    assert resp.status_code == 200, describe(resp)
    return {s["id"] for s in resp.json()["sessions"]}


def cookie_value(browser: Browser, name: str) -> str | None:
    for cookie in browser.http.cookies:
        if cookie.name == name:
            return cookie.value
    return None


_real_getaddrinfo = socket.getaddrinfo


def _loopback_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and (host.endswith(".localhost") or host.endswith(".test")):
        host = "127.0.0.1"
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(scope="module")
def loopback_names():
    """Test-side DNS for a module: ``*.localhost`` and ``*.test`` resolve to 127.0.0.1 (Chromium
    resolves ``*.localhost`` to loopback by itself). Use with
    ``pytestmark = pytest.mark.usefixtures("loopback_names")`` and import the fixture."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", _loopback_getaddrinfo)
        yield
