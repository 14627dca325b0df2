"""kill -9 of a server on the embedded default (SQLite, WAL, ``synchronous=normal``) while refresh
tokens rotate and the background WAL checkpointer copies frames: every rotation the server
acknowledged is still there after a restart on the same data folder, whole (the successor works,
the spent token is refused) and in a database that passes SQLite's integrity check.

A rotation spends the presented refresh token and stores its successor in one write
transaction (RFC 6749 §6, RFC 9700 §4.14.2). The test keeps many independent grants rotating
from a few threads, kills the process with SIGKILL once the checkpointer has run, starts a new
process on the folder and presents the newest acknowledged refresh token of every grant: each
must rotate again, and the token it replaced must be refused. A grant whose request was in flight
at the kill is left out: its rotation may or may not have committed, and the client never saw the
answer. A kill leaves what the process wrote in the kernel's page cache, so this proves that no
rotation is acknowledged before its commit and that the checkpointer leaves the files whole, not
that a commit reaches the disk (that is `synchronous`, and a power cut).
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time

import pytest
import requests

from gatehouse_client import HTTP_TIMEOUT, describe
from tenancy_helpers import signed_in, start_server

pytestmark = pytest.mark.skipif(
    os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres",
    reason="SQLite's own durability; on PostgreSQL a restarted node gets a fresh database here "
    "(test_postgres_durability covers kill -9 there)")

GRANTS = 48
WORKERS = 4
# No grace for a spent refresh token (the default lets a retry within 2 s through), so that
# presenting one after the restart must fail.
CONFIG = "[oauth]\nrefresh_reuse_grace_seconds = 0\n"


def background_frames(public_url: str) -> float:
    """``gatehouse_sqlite_wal_checkpointed_frames_total{on="background"}`` from ``/metrics``."""
    text = requests.get(f"{public_url}/metrics", timeout=HTTP_TIMEOUT).text
    match = re.search(r'^gatehouse_sqlite_wal_checkpointed_frames_total\{on="background"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def rotate(token_url: str, auth: tuple[str, str], refresh_token: str, timeout: float = HTTP_TIMEOUT) -> requests.Response:
    return requests.post(token_url, data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                         auth=auth, timeout=timeout)


def test_kill_9_under_rotation_keeps_every_acknowledged_rotation(tmp_path_factory, artifacts_dir):
    workdir = tmp_path_factory.mktemp("sqlite-kill")
    server = start_server(workdir, artifacts_dir / "gatehouse-sqlite-kill.log", config=CONFIG)
    restarted = None
    try:
        tenant = server.admin.create_tenant()
        client = tenant.create_client(first_party=True)
        user = tenant.create_user()
        latest = [signed_in(server.public_url, client, user, use_secret=True)["refresh_token"] for _ in range(GRANTS)]
        previous: list[str | None] = [None] * GRANTS
        token_url = f"{tenant.issuer}/token"
        auth = (client.client_id, client.client_secret)
        in_flight_at_kill: set[int] = set()
        acknowledged = [0]
        lock = threading.Lock()
        unexpected: list[str] = []

        def worker(first: int) -> None:
            # Rotates its own grants until the kill (or a failed test stopping the server) makes a
            # request fail.
            mine = range(first, GRANTS, WORKERS)
            while True:
                for i in mine:
                    try:
                        resp = rotate(token_url, auth, latest[i], timeout=10)
                    except requests.RequestException:
                        with lock:
                            in_flight_at_kill.add(i)  # no answer: committed or not, unknown
                        return
                    if resp.status_code != 200:
                        unexpected.append(describe(resp))
                        return
                    previous[i], latest[i] = latest[i], resp.json()["refresh_token"]
                    with lock:
                        acknowledged[0] += 1

        threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(WORKERS)]
        for t in threads:
            t.start()
        # Rotate until the background checkpointer has made two passes (a WAL of 1,000 frames asks
        # for one), then a little longer, so that the kill lands among passes and catch-ups.
        deadline = time.monotonic() + 60
        while background_frames(server.public_url) < 2000 and time.monotonic() < deadline and not unexpected:
            time.sleep(0.2)
        frames_before_kill = background_frames(server.public_url)
        time.sleep(1.0)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        for t in threads:
            t.join(timeout=30)
        assert not unexpected, unexpected[:3]
        assert frames_before_kill >= 2000, f"the background checkpointer copied {frames_before_kill} frames in 60 s"
        assert acknowledged[0] > 200, acknowledged[0]

        # A new process on the same folder: SQLite recovers the WAL the killed process left.
        restarted = start_server(workdir, artifacts_dir / "gatehouse-sqlite-kill-restart.log", config=CONFIG)
        token_url = token_url.replace(server.public_url, restarted.public_url)
        kept = [i for i in range(GRANTS) if i not in in_flight_at_kill]
        lost = []
        for i in kept:
            resp = rotate(token_url, auth, latest[i])
            if resp.status_code != 200:
                lost.append(f"grant {i}: {describe(resp)}")
        assert not lost, f"{len(lost)} of {len(kept)} acknowledged rotations lost after kill -9: {lost[:3]}"
        # Each acknowledged rotation also spent its predecessor (one transaction, RFC 9700 §4.14.2).
        revived = []
        spent = [i for i in kept if previous[i] is not None]
        assert len(spent) > GRANTS // 2, len(spent)
        for i in spent:
            resp = rotate(token_url, auth, previous[i])
            if resp.status_code != 400 or resp.json().get("error") != "invalid_grant":
                revived.append(f"grant {i}: {describe(resp)}")
        assert not revived, f"spent refresh tokens accepted after kill -9: {revived[:3]}"
        # The files the killed process left, recovered by the new one, are whole.
        for path in sorted(restarted.data_dir.rglob("*.sqlite")):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", path
    finally:
        if server.process.poll() is None:
            server.stop()
        if restarted is not None:
            restarted.stop()
