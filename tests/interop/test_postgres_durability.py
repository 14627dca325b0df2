"""Gatehouse nodes on PostgreSQL that the tests start for themselves: kill -9 of one node under
writes, and ``gatehouse storage copy`` of a populated SQLite folder (split from
``test_postgres_nodes``, whose three nodes they do not share)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest
import requests

from gatehouse_client import HTTP_TIMEOUT, expect, unique_slug
from postgres_helpers import DATABASE_URL, NGINX, on, start_nodes

pytestmark = [
    pytest.mark.skipif(DATABASE_URL is None, reason="GATEHOUSE_TEST_DATABASE_URL is not set (scripts/test sets it)"),
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/ensure-deps installs it)"),
]


def test_kill_9_of_one_node_under_writes_loses_no_acknowledged_write(tmp_path_factory, artifacts_dir):
    cluster = start_nodes(tmp_path_factory.mktemp("kill"), artifacts_dir, count=3, name="kill")
    try:
        tenant = cluster.admin.create_tenant(unique_slug("kill"))
        acknowledged: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        errors_after_kill: list[int] = []
        killed = threading.Event()

        def writer(worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                email = f"w{worker}-{n}@kill.example"
                index = (worker + n) % 3
                try:
                    resp = on(cluster, index, f"{cluster.public_url}/admin/v1/tenants/{tenant.slug}/users", "POST",
                              json={"email": email, "password": "correct horse battery staple"},
                              headers={"Authorization": f"Bearer {cluster.admin_token}"}, timeout=5)
                except requests.RequestException:
                    continue  # the killed node: not acknowledged
                if resp.status_code == 201:
                    with lock:
                        acknowledged.append(email)
                elif killed.is_set() and index != 1:
                    errors_after_kill.append(resp.status_code)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        cluster.servers[1].process.send_signal(signal.SIGKILL)
        killed.set()
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join()
        assert len(acknowledged) > 20, len(acknowledged)
        assert errors_after_kill == [], errors_after_kill  # the other nodes kept serving
        stored: set[str] = set()
        cursor = None
        while True:
            params = {"limit": 500, **({"after": cursor} if cursor else {})}
            page = expect(on(cluster, 0, f"{cluster.public_url}/admin/v1/tenants/{tenant.slug}/users", params=params,
                             headers={"Authorization": f"Bearer {cluster.admin_token}"}), 200).json()
            stored |= {u["email"] for u in page["users"]}
            cursor = page.get("next_cursor")
            if not cursor:
                break
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged writes lost: {sorted(missing)[:5]}"
        # nginx routes around the dead node.
        assert all(requests.get(f"{cluster.public_url}/readyz", timeout=5).status_code == 200 for _ in range(6))
    finally:
        cluster.stop()


def test_storage_copy_moves_a_populated_sqlite_folder_and_everything_keeps_working(tmp_path_factory, artifacts_dir):
    """`gatehouse storage copy`: users stay signed in (refresh tokens), passwords and client
    secrets keep working, and tokens signed before the move verify with the new JWKS."""
    from tenancy_helpers import gatehouse_binary, start_server

    from postgres_helpers import fresh_database, postgres_env, psql

    workdir = tmp_path_factory.mktemp("copy")
    public = "http://gatehouse.copy.test"
    sqlite_node = start_server(workdir / "sqlite", artifacts_dir / "gatehouse-copy-sqlite.log", env={"GATEHOUSE_PUBLIC_URL": public})
    token = sqlite_node.admin_token

    def call(server, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, server.public_url + path, **kwargs)

    admin = {"Authorization": f"Bearer {token}"}
    try:
        slug = unique_slug("copy")
        expect(call(sqlite_node, "POST", "/admin/v1/tenants", json={"slug": slug, "name": "Copy", "environment": "test"}, headers=admin), 201)
        client = expect(call(sqlite_node, "POST", f"/admin/v1/tenants/{slug}/clients", headers=admin, json={
            "name": "backend", "type": "confidential", "redirect_uris": ["https://rp.example/cb"],
            "grant_types": ["client_credentials"],
        }), 201).json()
        basic = requests.auth.HTTPBasicAuth(client["client_id"], client["client_secret"])
        user_ids = [
            expect(call(sqlite_node, "POST", f"/admin/v1/tenants/{slug}/users", headers=admin,
                        json={"email": f"u{n}@copy.example", "password": "correct horse battery staple"}), 201).json()["id"]
            for n in range(25)
        ]
        # Organizations, a custom role and memberships travel too (the built-in roles once).
        expect(call(sqlite_node, "POST", f"/admin/v1/tenants/{slug}/roles", headers=admin,
                    json={"name": "billing", "permissions": ["invoices:read"]}), 201)
        expect(call(sqlite_node, "POST", f"/admin/v1/tenants/{slug}/organizations", headers=admin,
                    json={"name": "Acme", "slug": "acme", "owner_user_id": user_ids[0]}), 201)
        expect(call(sqlite_node, "POST", f"/admin/v1/tenants/{slug}/organizations/acme/members", headers=admin,
                    json={"user_id": user_ids[1], "role": "billing"}), 201)
        # Invitations, domains and per-organization SSO travel too.
        acme = f"/admin/v1/tenants/{slug}/organizations/acme"
        invitation = expect(call(sqlite_node, "POST", f"{acme}/invitations", headers=admin,
                                 json={"email": "invitee@copy.example", "role": "billing"}), 201).json()
        expect(call(sqlite_node, "POST", f"{acme}/domains", headers=admin, json={"domain": "copy.example", "auto_join": True}), 201)
        expect(call(sqlite_node, "POST", f"{acme}/domains/copy.example/verify", headers=admin), 200)
        provider = expect(call(sqlite_node, "POST", f"/admin/v1/tenants/{slug}/providers", headers=admin, json={
            "kind": "oidc", "name": "Okta", "client_id": "okta",
            "discovery_url": "https://sso.copy.example/.well-known/openid-configuration"}), 201).json()
        sso = expect(call(sqlite_node, "PUT", f"{acme}/sso", headers=admin,
                          json={"provider_id": provider["id"], "enforced": True}), 200).json()
        # A webhook endpoint travels with its sealed secret, and the worker's index knows its tenant.
        hook = expect(call(sqlite_node, "POST", f"/admin/v1/tenants/{slug}/webhooks", headers=admin,
                           json={"url": "https://hooks.copy.example/x"}), 201).json()
        before = expect(call(sqlite_node, "POST", f"/t/{slug}/token", data={"grant_type": "client_credentials"}, auth=basic), 200).json()
        jwks_before = expect(call(sqlite_node, "GET", f"/t/{slug}/jwks.json"), 200).json()
    finally:
        sqlite_node.stop()

    database = fresh_database("copy")
    copy = subprocess.run(
        [str(gatehouse_binary()), "storage", "copy", "--from", f"sqlite:{sqlite_node.data_dir}", "--to", database],
        capture_output=True, text=True, timeout=120,
    )
    assert copy.returncode == 0, copy.stderr
    assert f"{slug}: " in copy.stdout and "tenant(s) copied" in copy.stdout, copy.stdout
    assert int(psql(database, f"SELECT count(*) FROM gatehouse_instance.tenants WHERE slug = '{slug}'")) == 1
    # A second copy into the same database is refused: it is no longer empty.
    again = subprocess.run(
        [str(gatehouse_binary()), "storage", "copy", "--from", f"sqlite:{sqlite_node.data_dir}", "--to", database],
        capture_output=True, text=True, timeout=120,
    )
    assert again.returncode == 1 and "empty" in again.stderr, again

    env = postgres_env(workdir / "pg", database) | {
        "GATEHOUSE_MASTER_KEY_FILE": str(sqlite_node.data_dir / "master.key"),
        "GATEHOUSE_ADMIN_TOKEN": token,
        "GATEHOUSE_PUBLIC_URL": public,
    }
    node = start_server(workdir / "pg", artifacts_dir / "gatehouse-copy-pg.log", env=env)
    try:
        jwks_after = expect(call(node, "GET", f"/t/{slug}/jwks.json"), 200).json()
        assert {k["kid"] for k in jwks_before["keys"]} <= {k["kid"] for k in jwks_after["keys"]}
        # The token issued before the move is still active (same keys, same grant store).
        info = expect(call(node, "POST", f"/t/{slug}/introspect", data={"token": before["access_token"]}, auth=basic), 200).json()
        assert info["active"] is True, info
        assert call(node, "POST", f"/t/{slug}/token", data={"grant_type": "client_credentials"}, auth=basic).status_code == 200
        users = expect(call(node, "GET", f"/admin/v1/tenants/{slug}/users", params={"limit": 100}, headers=admin), 200).json()["users"]
        assert len(users) == 25
        members = expect(call(node, "GET", f"/admin/v1/tenants/{slug}/organizations/acme/members", headers=admin), 200).json()
        assert {m["user_id"]: m["role"] for m in members["members"]} == {user_ids[0]: "owner", user_ids[1]: "billing"}
        roles = expect(call(node, "GET", f"/admin/v1/tenants/{slug}/roles", headers=admin), 200).json()["roles"]
        assert sorted(r["name"] for r in roles) == ["admin", "billing", "member", "owner"]
        copied = expect(call(node, "GET", f"{acme}/invitations/{invitation['id']}", headers=admin), 200).json()
        assert copied == invitation
        domains = expect(call(node, "GET", f"{acme}/domains", headers=admin), 200).json()["domains"]
        assert [(d["domain"], d["verified"], d["auto_join"]) for d in domains] == [("copy.example", True, True)]
        assert expect(call(node, "GET", f"{acme}/sso", headers=admin), 200).json() == sso
        hooks = expect(call(node, "GET", f"/admin/v1/tenants/{slug}/webhooks", headers=admin), 200).json()["webhooks"]
        assert [h["id"] for h in hooks] == [hook["id"]]
        rotated = expect(call(node, "POST", f"/admin/v1/tenants/{slug}/webhooks/{hook['id']}/rotate-secret", headers=admin), 200)
        assert rotated.json()["secret"] != hook["secret"], "the sealed secret opened after the copy"
        indexed = psql(database, "SELECT count(*) FROM gatehouse_instance.webhook_tenants")
        assert int(indexed) == 1
    finally:
        node.stop()
