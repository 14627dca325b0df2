"""`/readyz` reports whether this node should receive traffic; `/healthz` stays trivial."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import requests

from tenancy_helpers import start_server


def _make_read_only(path) -> callable:
    """Makes a folder refuse new files, also for root: `chattr +i` (root), else mode 0500."""
    if os.geteuid() == 0 and shutil.which("chattr"):
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
            return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
    os.chmod(path, 0o500)
    return lambda: os.chmod(path, 0o700)


def test_readyz_is_503_with_a_read_only_data_folder(tmp_path, artifacts_dir):
    server = start_server(tmp_path / "ready", artifacts_dir / "gatehouse-readiness.log")
    try:
        assert requests.get(f"{server.public_url}/readyz", timeout=5).status_code == 200
        restore = _make_read_only(server.data_dir)
        try:
            probe = server.data_dir / "probe"
            try:
                probe.write_text("x")
                probe.unlink()
                pytest.skip("this machine cannot make a folder read-only for this user")
            except OSError:
                pass
            resp = requests.get(f"{server.public_url}/readyz", timeout=5)
            assert resp.status_code == 503, resp.text
            assert "data folder is not writable" in resp.text
            assert resp.headers.get("Retry-After")
            # Liveness is not readiness: the process is alive.
            assert requests.get(f"{server.public_url}/healthz", timeout=5).status_code == 200
        finally:
            restore()
        assert requests.get(f"{server.public_url}/readyz", timeout=5).status_code == 200
    finally:
        server.stop()


def test_readiness_is_announced_to_systemd(tmp_path, artifacts_dir):
    """`Type=notify`: the server sends READY=1 to $NOTIFY_SOCKET once it listens."""
    import socket

    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    server = start_server(tmp_path / "notify", artifacts_dir / "gatehouse-notify.log", env={"NOTIFY_SOCKET": path})
    try:
        assert sock.recv(256) == b"READY=1"
    finally:
        server.stop()
        sock.close()


def test_admin_token_from_a_credential_file(tmp_path, artifacts_dir):
    """systemd's LoadCredential=: GATEHOUSE_ADMIN_TOKEN_FILE names the file holding the token."""
    token_file = tmp_path / "admin-token"
    token_file.write_text("credential-admin-token-0123456789\n")
    server = start_server(tmp_path / "cred", artifacts_dir / "gatehouse-credential.log",
                          env={"GATEHOUSE_ADMIN_TOKEN": "", "GATEHOUSE_ADMIN_TOKEN_FILE": str(token_file)})
    try:
        ok = requests.get(f"{server.public_url}/admin/v1/tenants", timeout=5,
                          headers={"Authorization": "Bearer credential-admin-token-0123456789"})
        assert ok.status_code == 200, ok.text
    finally:
        server.stop()
