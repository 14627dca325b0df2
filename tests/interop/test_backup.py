"""Online backup and restore (`gatehouse backup --to DIR`, `gatehouse restore --from DIR`).

A backup taken while a sign-in loop writes restores to a server where every user, client and
session present at backup time works; a manifest that does not verify, a wrong master key or a
non-empty target folder is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from gatehouse_client import Client, Tenant, User, describe
from tenancy_helpers import ExtraServer, gatehouse_binary, sign_in, signed_in, start_server


def cli(*args: str, data_dir: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("GATEHOUSE_MASTER_KEY_FILE", None)
    env["GATEHOUSE_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    return subprocess.run([str(gatehouse_binary()), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def source(tmp_path_factory, artifacts_dir):
    server = start_server(tmp_path_factory.mktemp("backup-source"), artifacts_dir / "gatehouse-backup-source.log")
    yield server
    server.stop()


class Fixtures:
    def __init__(self, server: ExtraServer, count: int = 3):
        self.tenant: Tenant = server.admin.create_tenant()
        self.client: Client = self.tenant.create_client(first_party=True)
        self.users: list[User] = [self.tenant.create_user() for _ in range(count)]
        # One live session (and refresh token) per user, made before the backup.
        self.refresh_tokens = [signed_in(server.public_url, self.client, u, use_secret=True)["refresh_token"] for u in self.users]


def test_backup_under_load_restores_users_clients_and_sessions(source, tmp_path, artifacts_dir):
    fx = Fixtures(source)
    stop = threading.Event()
    results: list[int] = []

    def load():
        while not stop.is_set():
            results.append(sign_in(source.public_url, fx.client, fx.users[0], use_secret=True).status_code)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    backup_dir = tmp_path / "backup"
    try:
        done = cli("backup", "--to", str(backup_dir), data_dir=source.data_dir)
    finally:
        stop.set()
        loader.join(timeout=30)
    assert done.returncode == 0, done.stderr
    assert results and set(results) == {200}, f"the sign-in loop ran during the backup: {sorted(set(results))}"

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert "master.key" not in {f["path"] for f in manifest["files"]}
    assert not (backup_dir / "master.key").exists(), "the master key is never part of a backup"
    for entry in manifest["files"]:
        path = backup_dir / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], entry["path"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, entry["path"]
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    tenants = {f.get("tenant") for f in manifest["files"]}
    assert {fx.tenant.slug, "default"} <= tenants

    # Restore into a new data folder and start a server on it.
    restored_root = tmp_path / "restored"
    restored_data = restored_root / "data"
    done = cli("restore", "--from", str(backup_dir), "--master-key-file", str(source.data_dir / "master.key"),
               data_dir=restored_data)
    assert done.returncode == 0, done.stderr
    restored = start_server(restored_root, artifacts_dir / "gatehouse-backup-restored.log")
    try:
        assert restored.data_dir == restored_data
        tenant = restored.admin.tenant(fx.tenant.slug)
        assert tenant.id == fx.tenant.id
        for user, refresh_token in zip(fx.users, fx.refresh_tokens):
            # The user signs in (password hash restored) ...
            assert sign_in(restored.public_url, fx.client, user, use_secret=True).status_code == 200
            # ... and the session made before the backup still refreshes (grant and token restored).
            resp = tenant.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token}, fx.client)
            assert resp.status_code == 200, describe(resp)
        # The confidential client's secret (hash) and the tenant's sealed signing keys work.
        resp = tenant.token_request({"grant_type": "client_credentials"}, fx.client)
        assert resp.status_code == 200, describe(resp)
    finally:
        restored.stop()


def test_restore_refuses_tampered_backup_wrong_key_and_non_empty_folder(source, tmp_path):
    backup_dir = tmp_path / "backup"
    assert cli("backup", "--to", str(backup_dir), data_dir=source.data_dir).returncode == 0
    key = source.data_dir / "master.key"

    # A second backup into a non-empty folder is refused.
    again = cli("backup", "--to", str(backup_dir), data_dir=source.data_dir)
    assert again.returncode != 0 and "not empty" in again.stderr

    wrong_key = tmp_path / "wrong.key"
    wrong_key.write_bytes(os.urandom(32))
    done = cli("restore", "--from", str(backup_dir), "--master-key-file", str(wrong_key), data_dir=tmp_path / "r1")
    assert done.returncode != 0 and "master key" in done.stderr, done.stderr
    assert not (tmp_path / "r1" / "instance.sqlite").exists()

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    victim = backup_dir / next(f["path"] for f in manifest["files"] if f["path"].startswith("tenants/"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    done = cli("restore", "--from", str(backup_dir), "--master-key-file", str(key), data_dir=tmp_path / "r2")
    assert done.returncode != 0 and victim.name in done.stderr, done.stderr
    assert not (tmp_path / "r2" / "instance.sqlite").exists()

    occupied = tmp_path / "r3"
    occupied.mkdir()
    (occupied / "something").write_text("x")
    done = cli("restore", "--from", str(backup_dir), "--master-key-file", str(key), data_dir=occupied)
    assert done.returncode != 0 and "not empty" in done.stderr


def test_manifest_cannot_write_outside_the_data_folder(source, tmp_path):
    backup_dir = tmp_path / "backup"
    assert cli("backup", "--to", str(backup_dir), data_dir=source.data_dir).returncode == 0
    manifest_path = backup_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    evil = tmp_path / "evil.sqlite"
    evil.write_bytes(b"x")
    manifest["files"].append({"path": "../evil.sqlite", "sha256": hashlib.sha256(b"x").hexdigest(), "bytes": 1})
    manifest_path.write_text(json.dumps(manifest))
    done = cli("restore", "--from", str(backup_dir), "--master-key-file", str(source.data_dir / "master.key"),
               data_dir=tmp_path / "r")
    assert done.returncode != 0 and "not a path inside the backup" in done.stderr, done.stderr


def test_scheduled_backups_keep_the_newest(tmp_path, artifacts_dir):
    backups = tmp_path / "scheduled"
    config = f'[backup]\ndir = "{backups}"\ninterval_seconds = 1\nkeep = 2\n'
    server = start_server(tmp_path / "server", artifacts_dir / "gatehouse-backup-scheduled.log", config=config)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            names = sorted(p.name for p in backups.glob("*Z")) if backups.exists() else []
            if len(names) >= 2 and all((backups / n / "manifest.json").exists() for n in names):
                break
            time.sleep(0.5)
        time.sleep(2.5)
        names = sorted(p.name for p in backups.glob("*Z"))
    finally:
        server.stop()
    assert 1 <= len(names) <= 2, f"keep = 2, found {names}"
    newest = backups / names[-1]
    # Each scheduled backup verifies (restore into a fresh folder with the server's key).
    done = cli("restore", "--from", str(newest), "--master-key-file", str(server.data_dir / "master.key"),
               data_dir=tmp_path / "restored")
    assert done.returncode == 0, done.stderr


def test_migrate_reports_every_tenant_and_refuses_a_newer_database(source, tmp_path):
    # Work on a restored copy, so the running source server is not disturbed.
    backup_dir = tmp_path / "backup"
    assert cli("backup", "--to", str(backup_dir), data_dir=source.data_dir).returncode == 0
    data = tmp_path / "data"
    key = source.data_dir / "master.key"
    assert cli("restore", "--from", str(backup_dir), "--master-key-file", str(key), data_dir=data).returncode == 0
    done = cli("migrate", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert "default: up to date" in done.stdout and "migrated" in done.stdout, done.stdout

    import sqlite3

    victim = next((data / "tenants").glob("*.sqlite"))
    with sqlite3.connect(victim) as conn:
        conn.execute("INSERT INTO grdb_migrations (identifier) VALUES ('2099-01-01-from-the-future')")
    done = cli("migrate", data_dir=data)
    assert done.returncode == 1 and "newer version" in done.stderr, done.stderr
