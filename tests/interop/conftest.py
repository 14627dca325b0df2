"""Session fixtures: start one Gatehouse server for the whole interop run.

Environment:
  GATEHOUSE_BIN   server binary (default <repo>/.build/debug/gatehouse)
  ARTIFACTS_DIR   screenshots and the server log (default <repo>/artifacts)
  GATEHOUSE_INTEROP_BACKEND   "sqlite" (default) or "postgres": the session server's storage; with
                  "postgres" it runs on a fresh database of GATEHOUSE_TEST_DATABASE_URL's cluster
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from gatehouse_client import AdminAPI, Browser, Tenant

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0
_SERVER: Server | None = None  # for failure reports


@dataclass
class Server:
    public_url: str
    admin_token: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    # The database of a server on PostgreSQL (GATEHOUSE_INTEROP_BACKEND=postgres), else None.
    database_url: str | None = None

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("ARTIFACTS_DIR") or REPO / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory, artifacts_dir):
    binary = Path(os.environ.get("GATEHOUSE_BIN") or REPO / ".build" / "debug" / "gatehouse")
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.exit(
            f"Gatehouse binary not found or not executable: {binary}\n"
            "Build it first (swift build) or set GATEHOUSE_BIN.",
            returncode=1,
        )
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("gatehouse-data")
    token = "gh_admin_" + secrets.token_urlsafe(32)
    env = dict(os.environ)
    env.pop("GATEHOUSE_PUBLIC_URL", None)
    env.update(
        GATEHOUSE_LISTEN=f"127.0.0.1:{port}",
        GATEHOUSE_DATA_DIR=str(data_dir),
        GATEHOUSE_ADMIN_TOKEN=token,
        GATEHOUSE_LOG_LEVEL="warning",
    )
    database_url = None
    if os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres":
        from postgres_helpers import fresh_database, postgres_env

        database_url = fresh_database("interop")
        env.update(postgres_env(data_dir, database_url))
    # One session server per pytest-xdist worker (scripts/test runs the modules on several), each
    # with its own log; module servers' logs are named after their module.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    log_path = artifacts_dir / (f"gatehouse-server-{worker}.log" if worker else "gatehouse-server.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [str(binary), "serve"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(REPO),  # templates/ and static/ resolve relative to the repository
        start_new_session=True,
    )
    srv = Server(f"http://127.0.0.1:{port}", token, data_dir, log_path, proc, database_url)

    deadline = time.monotonic() + READY_TIMEOUT
    ready = False
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            last = f"server exited with status {proc.returncode}"
            break
        try:
            resp = requests.get(f"{srv.public_url}/readyz", timeout=2)
            if resp.status_code == 200:
                ready = True
                break
            last = f"/readyz -> {resp.status_code}"
        except requests.RequestException as exc:
            last = f"/readyz: {type(exc).__name__}"
        time.sleep(0.2)
    if not ready:
        _stop(proc)
        log.close()
        message = (
            f"Gatehouse did not become ready on {srv.public_url} within {READY_TIMEOUT:.0f}s "
            f"({last}). Server output ({log_path}):\n{srv.log_tail()}"
        )
        print(message, file=sys.stderr)
        pytest.exit(message, returncode=1)

    global _SERVER
    _SERVER = srv
    yield srv
    _SERVER = None

    _stop(proc)
    log.close()
    if proc.returncode not in (0, -15, 143, None):
        print(f"gatehouse exited with {proc.returncode}; log: {log_path}", file=sys.stderr)
    shutil.rmtree(data_dir, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def public_url(server) -> str:
    return server.public_url


@pytest.fixture(scope="session")
def admin(server) -> AdminAPI:
    return AdminAPI(server.public_url, server.admin_token)


@pytest.fixture
def tenant(admin) -> Tenant:
    """A fresh tenant (unique slug) for one test."""
    return admin.create_tenant()


@pytest.fixture
def other_tenant(admin) -> Tenant:
    """A second fresh tenant, for isolation tests."""
    return admin.create_tenant()


@pytest.fixture
def default_tenant(admin) -> Tenant:
    return admin.tenant("default")


@pytest.fixture
def browser() -> Browser:
    return Browser()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, append the tail of the server log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and _SERVER is not None:
        report.sections.append(("gatehouse server log (tail)", _SERVER.log_tail(40)))


# Modules that take a minute or more (schemathesis, deliberate expiry waits, the isolation matrix,
# Chromium journeys). scripts/test runs the modules on several pytest-xdist workers, one module
# per worker (`--dist loadfile`), in collection order: these go first so that no worker starts
# one of them last while the others are done.
SLOW_MODULES = (
    "test_schemathesis.py",
    "test_negative_authorize.py",
    "test_par.py",
    "test_isolation.py",
    "test_accounts_signup.py",
    "test_second_factors.py",
    "test_webhooks.py",
    "test_console_users_clients.py",
    "test_console.py",
    "test_console_journey.py",
)


def pytest_collection_modifyitems(session, config, items):
    """Slow modules first (see SLOW_MODULES); the order within a module is kept (stable sort)."""
    rank = {name: index for index, name in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_MODULES)))
