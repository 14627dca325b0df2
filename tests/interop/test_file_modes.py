"""The data folder is private whatever the umask: folders 0700; databases, -wal, -shm, keys, tokens
and outbox messages 0600."""

from __future__ import annotations

import os
import stat

import requests

from gatehouse_client import AdminAPI
from tenancy_helpers import signed_in, start_server


def test_data_folder_is_private_with_umask_000(tmp_path, artifacts_dir):
    old = os.umask(0)  # the child inherits it
    try:
        server = start_server(tmp_path / "modes", artifacts_dir / "gatehouse-file-modes.log",
                              env={"GATEHOUSE_ADMIN_TOKEN": ""})  # token file written too
    finally:
        os.umask(old)
    try:
        admin = AdminAPI(server.public_url, (server.data_dir / "admin-token").read_text().strip())
        tenant = admin.create_tenant()
        client = tenant.create_client(first_party=True)
        user = tenant.create_user()
        signed_in(server.public_url, client, user, use_secret=True)
        # A mail in the outbox folder (no SMTP configured).
        requests.post(f"{server.public_url}/v1/auth/sign-up", json={"email": "x@example.com", "password": "a long password 123"},
                      headers={"X-Client-Id": client.client_id}, timeout=10)
        names = []
        for root, dirs, files in os.walk(server.data_dir):
            for d in dirs:
                mode = stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode)
                assert mode == 0o700, f"{d}: {oct(mode)}"
            for f in files:
                path = os.path.join(root, f)
                mode = stat.S_IMODE(os.stat(path).st_mode)
                assert mode == 0o600, f"{os.path.relpath(path, server.data_dir)}: {oct(mode)}"
                names.append(f)
        assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700
        assert "master.key" in names and "admin-token" in names and "instance.sqlite" in names
        assert any(n.endswith("-wal") for n in names) and any(n.endswith("-shm") for n in names), names
    finally:
        server.stop()
