"""A node on PostgreSQL through its life: the tenant `default` on the instance's first start only,
and a stop (SIGTERM) that ends the node within seconds even when its database is gone, answering
the requests still waiting for it with 503.

Each test runs its node on a PostgreSQL cluster of its own (``scripts/postgres-cluster``), which it
stops while the node runs; it needs PostgreSQL installed, not the shared test cluster."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from gatehouse_client import expect
from postgres_helpers import postgres_env, psql
from tenancy_helpers import REPO, gatehouse_binary, start_server

pytestmark = pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")), reason="PostgreSQL is not installed (scripts/ensure-deps installs it)"
)

CLUSTER = REPO / "scripts" / "postgres-cluster"


@contextmanager
def own_cluster():
    """A fresh cluster in a folder of its own: yields (URL, stop); stopped and removed afterwards."""
    # Not under pytest's private tmp: as root the cluster runs as `nobody`, which must reach it.
    folder = Path(tempfile.mkdtemp(prefix="gh-own-pg-", dir="/tmp"))

    def stop() -> None:
        subprocess.run([str(CLUSTER), "stop", str(folder)], check=False, capture_output=True)

    try:
        url = subprocess.run([str(CLUSTER), "start", str(folder)], check=True, capture_output=True, text=True).stdout.strip()
        yield url, stop
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


def node_on(url: str, workdir: Path, artifacts: Path, name: str):
    return start_server(workdir / name, artifacts / f"gatehouse-{name}.log", env=postgres_env(workdir, url))


def test_sigterm_stops_a_node_within_seconds_while_its_database_is_gone(tmp_path, artifacts_dir):
    with own_cluster() as (url, stop_cluster):
        node = node_on(url, tmp_path, artifacts_dir, "pg-sigterm")
        try:
            users = f"{node.public_url}/admin/v1/tenants/default/users"
            headers = {"Authorization": f"Bearer {node.admin_token}"}
            assert requests.get(users, headers=headers, timeout=10).status_code == 200
            stop_cluster()
            # A request that needs the database, in flight when the node is told to stop.
            answer: dict[str, object] = {}

            def in_flight() -> None:
                try:
                    answer["status"] = requests.get(users, headers=headers, timeout=30).status_code
                except requests.RequestException as error:
                    answer["error"] = error

            thread = threading.Thread(target=in_flight)
            thread.start()
            time.sleep(1.0)
            started = time.monotonic()
            node.process.send_signal(signal.SIGTERM)
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the node ignored SIGTERM for 10 s with its database gone:\n{node.log_tail()}")
            elapsed = time.monotonic() - started
            thread.join(timeout=10)
            print(f"the node stopped {elapsed:.1f} s after SIGTERM; the request in flight got {answer}")
            assert answer.get("status") == 503, (answer, node.log_tail())
        finally:
            node.stop()


def test_a_restart_after_every_tenant_was_deleted_does_not_bring_default_back(tmp_path, artifacts_dir):
    with own_cluster() as (url, _stop):
        first = node_on(url, tmp_path, artifacts_dir, "pg-first-start")
        try:
            assert [t["slug"] for t in first.admin.all_tenants()] == ["default"]
            expect(first.admin.delete("/tenants/default"), 204)
        finally:
            first.stop()
        assert first.process.returncode == 0, first.log_tail()
        again = node_on(url, tmp_path, artifacts_dir, "pg-second-start")
        try:
            assert again.admin.all_tenants() == []
        finally:
            again.stop()
        assert psql(url, "SELECT COUNT(*) FROM gatehouse_instance.tenants") == "0"


def test_migrate_on_postgresql_needs_no_admin_token_but_serve_does(tmp_path, artifacts_dir):
    with own_cluster() as (url, _stop):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")} | postgres_env(tmp_path, url)
        binary = str(gatehouse_binary())
        done = subprocess.run([binary, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "tenant schema(s)" in done.stdout, (done.stdout, done.stderr)
        served = subprocess.run([binary, "serve"], env=env, capture_output=True, text=True, timeout=60)
        assert served.returncode == 78 and "GATEHOUSE_ADMIN_TOKEN" in served.stderr, (served.returncode, served.stderr)
