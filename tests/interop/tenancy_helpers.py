"""Helpers for the multi-tenancy interop tests (test_isolation, test_tenancy, test_headless).

Everything here talks to a running Gatehouse over HTTP only, on top of
``gatehouse_client``:

* ``start_server``: a second, private ``gatehouse serve`` (own data folder, own port,
  optional ``--config`` file) for tests that need another configuration, such as a
  short key pre-publication window. Same start logic as ``conftest.py``.
* headless API calls (``/v1/auth/…``, ``/v1/me``) with ``X-Client-Id`` or a secret key.
* tenant-scoped admin tokens (client credentials with admin scopes).
* JWT verification against a tenant's JWKS for any algorithm (EdDSA, ES256, RS256).
* CORS header checks.
* ``leaks``: which identifiers or tokens of another tenant a response contains.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt as pyjwt
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

REPO = Path(__file__).resolve().parents[2]

# The admin scopes of AdminScope.swift: a tenant's confidential client may get them through
# client_credentials and then call the admin API for its own tenant only.
ADMIN_SCOPES = (
    "tenant:read tenant:write clients:read clients:write users:read users:write "
    "sessions:read sessions:write keys:read keys:write orgs:read orgs:write"
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


# --------------------------------------------------------------------------- tokens


def unverified(token: str) -> tuple[dict, dict]:
    """(JWS header, claims) without verification."""
    return pyjwt.get_unverified_header(token), pyjwt.decode(token, options={"verify_signature": False})


def tamper(token: str, header: dict | None = None, signature: str | None = None, **claims: Any) -> str:
    """``token`` with header fields and claims replaced, keeping its signature (or using
    ``signature``): a forgery that a correct verifier refuses."""
    import base64

    def enc(obj: dict) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head, body = unverified(token)
    head.update(header or {})
    body.update(claims)
    sig = token.rsplit(".", 1)[1] if signature is None else signature
    return f"{enc(head)}.{enc(body)}.{sig}"


def verify_jwt(tenant: Tenant, token: str, alg: str, audience: str | None = None) -> dict:
    """Verify ``token`` with PyJWT against the tenant's JWKS, accepting only ``alg``."""
    jwks_client = pyjwt.PyJWKClient(tenant.endpoint("jwks_uri"), cache_keys=False)
    key = jwks_client.get_signing_key_from_jwt(token)
    options: dict[str, Any] = {"require": ["iss", "sub", "exp", "iat"]}
    if audience is None:
        options["verify_aud"] = False
    return pyjwt.decode(
        token, key.key, algorithms=[alg], audience=audience, issuer=tenant.issuer, leeway=5, options=options
    )


def jwks_kids(tenant_or_url: Tenant | str) -> set[str]:
    url = tenant_or_url if isinstance(tenant_or_url, str) else tenant_or_url.endpoint("jwks_uri")
    resp = requests.get(url, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    return {k["kid"] for k in resp.json()["keys"]}


def max_age(resp: requests.Response) -> int | None:
    for part in resp.headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age":
            return int(value)
    return None


# --------------------------------------------------------------------------- CORS


def vary_has_origin(resp: requests.Response) -> bool:
    return any(v.strip().lower() == "origin" for v in resp.headers.get("Vary", "").split(","))


def assert_cors(resp: requests.Response, origin: str) -> None:
    assert resp.headers.get("Access-Control-Allow-Origin") == origin, (
        f"no CORS for {origin}: {describe(resp)}"
    )
    assert vary_has_origin(resp), f"Vary lacks Origin: {resp.headers}"
    assert "Access-Control-Allow-Credentials" not in resp.headers, resp.headers


def assert_no_cors(resp: requests.Response) -> None:
    leaked = {k: v for k, v in resp.headers.items() if k.lower().startswith("access-control-")}
    assert not leaked, f"unexpected CORS headers {leaked}: {describe(resp)}"


# --------------------------------------------------------------------------- leaks


def response_texts(resp: requests.Response) -> list[str]:
    """Everything of a response that another tenant's data could appear in: the body and
    every header value (Location, WWW-Authenticate, Set-Cookie, …)."""
    texts = [resp.text if resp.content else ""]
    texts += [f"{k}: {v}" for k, v in resp.headers.items()]
    return texts


def leaks(responses: list[requests.Response] | requests.Response, needles: dict[str, str]) -> list[str]:
    """Labels of the ``needles`` (label → secret or identifier) found in the responses."""
    if isinstance(responses, requests.Response):
        responses = [responses]
    found = []
    for resp in responses:
        blob = "\n".join(response_texts(resp))
        for label, value in needles.items():
            if value and value in blob and label not in found:
                found.append(label)
    return found


def json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except (ValueError, json.JSONDecodeError):
        return None
