"""Helpers for the accounts interop tests (test_accounts_*.py, issue 4: accounts, MFA, email, abuse
controls) and the other modules that run a private Gatehouse delivering mail.

* ``start_accounts_server``: a private Gatehouse with ``GATEHOUSE_SMTP_URL`` pointing at an aiosmtpd
  server (``accounts_mail``) and cheap Argon2id parameters (8 MiB, one iteration) so the tests stay fast.
* the shared module fixtures ``smtp_port``, ``inbox``, ``gh``, ``acme``, ``client``;
* tenant settings, SQLite ageing of one-time tokens (expiry without waiting), TOTP codes at a chosen
  step, and a ``requests`` adapter bound to another loopback address.

The pages (``Login``, ``Console``) are in ``accounts_pages``, headless calls and token claims in
``accounts_headless``, Chromium in ``accounts_chromium``, mail in ``accounts_mail``.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests
from requests.adapters import HTTPAdapter

from accounts_mail import smtp_server
from gatehouse_client import Client, Tenant
from tenancy_helpers import ExtraServer, start_server


def accounts_config(
    memory_kib: int = 8192, iterations: int = 1, threads: int | None = None, queue: int | None = None
) -> str:
    """``[passwords]``: cheap Argon2id (8 MiB, one iteration) unless told otherwise; quick mail retries."""
    lines = ["[passwords]", f"argon2_memory_kib = {memory_kib}", f"argon2_iterations = {iterations}"]
    if threads is not None:
        lines.append(f"hashing_threads = {threads}")
    if queue is not None:
        lines.append(f"hashing_queue = {queue}")
    lines += ["", "[mail]", "retry_base_seconds = 1", "retry_max_seconds = 2", ""]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- servers


def start_accounts_server(
    workdir: Path, log_path: Path, smtp_port: int, config: str | None = None
) -> ExtraServer:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GATEHOUSE_SMTP_URL", f"smtp://127.0.0.1:{smtp_port}")
        return start_server(workdir, log_path, config=config or accounts_config())


# --------------------------------------------------------------------------- shared fixtures
# Imported by the accounts test modules: each module gets its own SMTP server and Gatehouse.


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def inbox(smtp_port):
    with smtp_server(smtp_port) as box:
        yield box


@pytest.fixture(scope="module")
def gh(request, tmp_path_factory, artifacts_dir, smtp_port, inbox) -> ExtraServer:
    name = request.module.__name__.removeprefix("test_").replace("_", "-")
    server = start_accounts_server(tmp_path_factory.mktemp(name), artifacts_dir / f"gatehouse-{name}.log", smtp_port)
    yield server
    server.stop()


@pytest.fixture
def acme(gh) -> Tenant:
    return gh.admin.create_tenant()


@pytest.fixture
def client(acme) -> Client:
    """A first-party public client: no consent page, and allowed to use the headless API."""
    return acme.create_client("public", first_party=True)


def set_settings(tenant: Tenant, **settings: Any) -> dict:
    return tenant.patch({"settings": settings})["settings"]


def tenant_db(server: ExtraServer, tenant: Tenant) -> Path:
    return server.data_dir / "tenants" / f"{tenant.id}.sqlite"


def age(server: ExtraServer, tenant: Tenant, sql: str, *args: Any) -> int:
    """Runs an UPDATE on the tenant's SQLite file (the server keeps it open in WAL mode), e.g. to
    move an expiry into the past instead of waiting for it. Returns the rows changed."""
    with sqlite3.connect(tenant_db(server, tenant), timeout=10) as db:
        db.execute("PRAGMA busy_timeout = 10000")
        changed = db.execute(sql, args).rowcount
    return changed


PAST = "2000-01-01 00:00:00.000"


# --------------------------------------------------------------------------- TOTP


def totp_at(secret: str, offset_steps: int = 0, reference: float | None = None) -> str:
    """The code of ``secret`` ``offset_steps`` 30-second steps from ``reference`` (now)."""
    return pyotp.TOTP(secret).at((reference or time.time()) + 30 * offset_steps)


def steady_totp_window(min_left: float = 6.0) -> float:
    """Waits (at most ``min_left`` seconds) so that at least ``min_left`` seconds remain in the
    current 30 s step; returns the reference time to compute codes from."""
    left = 30 - time.time() % 30
    if left < min_left:
        time.sleep(left + 0.05)
    return time.time()


# --------------------------------------------------------------------------- another client IP


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen local address (e.g. 127.0.0.2), so the server sees another client IP."""

    def __init__(self, source: str, **kwargs: Any):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def session_from(source: str) -> requests.Session:
    session = requests.Session()
    adapter = SourceAddressAdapter(source)
    session.mount("http://", adapter)
    return session
