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
