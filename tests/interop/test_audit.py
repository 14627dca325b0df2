"""The audit log (docs/contract.md A9).

Every admin change, sign-in and failed sign-in becomes one entry of the tenant's hash chain, with
the actor, address, user agent, the names of the fields sent and the resource with its secrets
redacted; a refused change records nothing. ``gatehouse audit verify`` finds a row edited or
deleted behind the server's back with the ``sqlite3`` tool; ``audit list|export`` page and filter.
Another tenant's admin token never sees the entries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import requests

from cli_helpers import cli  # noqa: F401 - fixtures
from gatehouse_client import assert_problem, expect, unique_email
from tenancy_helpers import client_credentials, headless

POSTGRES = os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres"


def entries(tenant, **filters) -> list[dict]:
    resp = tenant.admin.get(f"/tenants/{tenant.slug}/audit", params={"limit": 1000, **filters})
    return expect(resp, 200).json()["events"]


def types(tenant) -> list[str]:
    return [e["type"] for e in reversed(entries(tenant))]


def test_admin_changes_are_recorded_with_actor_fields_and_redacted_secrets(tenant):
    path = f"/tenants/{tenant.slug}"
    user = tenant.create_user()
    expect(tenant.admin.patch(f"{path}/users/{user.id}", json={"name": "Ada", "email_verified": True}), 200)
    client = tenant.create_client("confidential")
    expect(tenant.admin.post(f"{path}/clients/{client.client_id}/rotate-secret"), 200)
    expect(tenant.admin.patch(path, json={"settings": {"session_ttl": 3600}}), 200)
    expect(tenant.admin.post(f"{path}/keys/rotate"), 200)
    # Refused changes record nothing: a taken email (409) and a bad setting (422).
    assert_problem(tenant.admin.post(f"{path}/users", json={"email": user.email, "password": "x" * 12}), 409)
    assert_problem(tenant.admin.patch(path, json={"settings": {"session_ttl": 1}}), 422)
    expect(tenant.admin.delete(f"{path}/users/{user.id}"), 204)

    assert types(tenant) == [
        "user.created", "user.updated", "client.created", "client.secret_rotated", "tenant.updated",
        "signing_key.rotated", "user.deleted",
    ]
    log = list(reversed(entries(tenant)))
    created, updated, client_created, rotated = log[0], log[1], log[2], log[3]
    assert created["actor"] == {"type": "admin_token"} and created["target_id"] == user.id == created["user_id"]
    assert {"email", "password"} <= set(created["changes"]), created
    # The data is the fields the change sent, secrets redacted: no password or secret value anywhere.
    assert created["data"]["password"] == "[redacted]" and created["data"]["id"] == user.id, created["data"]
    assert user.password not in json.dumps(log) and client.client_secret not in json.dumps(log)
    assert updated["changes"] == ["email_verified", "name"] and updated["data"]["name"] == "Ada", updated
    assert client_created["target_id"] == client.client_id and client_created["data"]["id"] == client.client_id, client_created
    assert rotated["target_id"] == client.client_id
    assert all(e["ip"] == "127.0.0.1" and e["user_agent"] for e in log), log
    assert [e["sequence"] for e in log] == list(range(1, len(log) + 1))
    assert all(later["previous_hash"] == earlier["hash"] for earlier, later in zip(log, log[1:]))
    verified = expect(tenant.admin.get(f"{path}/audit/verify"), 200).json()
    assert verified == {"ok": True, "checked": len(log), "problem": None}, verified


def test_sign_ins_and_failures_are_recorded(tenant, public_url):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)

    def sign_in(password: str):
        body = {"email": user.email, "password": password, "scope": "openid"}
        return headless(
            public_url, "POST", "auth/sign-in", client_id=client.client_id, secret=client.client_secret, body=body,
            headers={"User-Agent": "audit-test/1.0"},
        )

    assert sign_in("wrong password 1").status_code in (400, 401)
    expect(sign_in(user.password), 200)
    failed = entries(tenant, type="user.sign_in_failed")
    assert len(failed) == 1 and failed[0]["data"] == {"account": user.email, "method": "password", "reason": "invalid"}
    assert failed[0]["actor"]["type"] == "anonymous" and failed[0]["ip"] == "127.0.0.1", failed
    signed = entries(tenant, type="user.signed_in")
    assert len(signed) == 1 and signed[0]["user_id"] == user.id and signed[0]["actor"] == {"type": "user", "id": user.id}
    assert signed[0]["target_type"] == "session" and signed[0]["data"]["amr"] == ["pwd"], signed
    assert signed[0]["user_agent"] == "audit-test/1.0", signed
    # Filters combine; a bad filter is a 422 naming it.
    assert [e["type"] for e in entries(tenant, user_id=user.id, type="user.signed_in")] == ["user.signed_in"]
    resp = tenant.admin.get(f"/tenants/{tenant.slug}/audit", params={"since": "yesterday"})
    assert [e["field"] for e in assert_problem(resp, 422)["errors"]] == ["since"]


def test_pages_and_the_cli_lists_exports_and_verifies(tenant, cli):  # noqa: F811 - fixture
    for _ in range(5):
        tenant.create_user()
    first = expect(tenant.admin.get(f"/tenants/{tenant.slug}/audit", params={"limit": 2}), 200).json()
    assert [e["sequence"] for e in first["events"]] == [5, 4] and first["next_cursor"] == "4"
    rest = tenant.admin.get(f"/tenants/{tenant.slug}/audit", params={"limit": 10, "after": first["next_cursor"]})
    assert [e["sequence"] for e in expect(rest, 200).json()["events"]] == [3, 2, 1]

    listed = cli.json("audit", "list", "--tenant", tenant.slug, "--all")
    assert [e["sequence"] for e in listed["events"]] == [5, 4, 3, 2, 1]
    exported = cli.ok("audit", "export", "--tenant", tenant.slug, "--type", "user.created").splitlines()
    assert [json.loads(line)["sequence"] for line in exported] == [5, 4, 3, 2, 1]
    assert cli.ok("audit", "verify", "--tenant", tenant.slug).strip() == "OK: 5 entries verified"


@pytest.mark.skipif(POSTGRES, reason="edits the tenant's SQLite file with the sqlite3 tool")
def test_verify_names_an_entry_edited_or_deleted_with_sqlite3(admin, server, cli):  # noqa: F811 - fixture
    assert shutil.which("sqlite3"), "the sqlite3 tool is needed (scripts/ensure-deps installs it)"
    for change, expected in [
        ("UPDATE audit_events SET data = '{\"email\":\"mallory@example.com\"}' WHERE seq = 2", "entry 2 ("),
        ("DELETE FROM audit_events WHERE seq = 3", "entry 3 deleted"),
        ("UPDATE audit_chain SET head_seq = 3", "entry 4 inserted"),
    ]:
        tenant = admin.create_tenant()
        for _ in range(4):
            tenant.create_user(email=unique_email("audit"))
        assert cli.run("audit", "verify", "--tenant", tenant.slug).returncode == 0
        database = server.data_dir / "tenants" / f"{tenant.id}.sqlite"
        subprocess.run(["sqlite3", str(database), change], check=True, timeout=30)
        proc = cli.run("audit", "verify", "--tenant", tenant.slug)
        assert proc.returncode == 1 and proc.stdout.startswith("FAILED: ") and expected in proc.stdout, (change, proc.stdout)
        answer = expect(tenant.admin.get(f"/tenants/{tenant.slug}/audit/verify"), 200).json()
        assert answer["ok"] is False and answer["problem"]["sequence"] == int(expected.split()[1]), answer


def test_another_tenants_admin_token_never_sees_the_entries(tenant, other_tenant):
    tenant.create_user()
    robot = other_tenant.create_client(
        "confidential", grant_types=["client_credentials"], allowed_scopes="tenant:read audit:read", name="auditor"
    )
    token = expect(client_credentials(other_tenant, robot, scope="audit:read"), 200).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    # tenant:read alone does not read the log: its entries name users (email, address, user agent).
    reader = expect(client_credentials(other_tenant, robot, scope="tenant:read"), 200).json()["access_token"]
    for suffix in ("audit", "audit/verify"):
        url = tenant.admin.url(f"/tenants/{other_tenant.slug}/{suffix}")
        assert_problem(requests.get(url, headers={"Authorization": f"Bearer {reader}"}, timeout=10), 403)

    def call(method: str, slug: str, suffix: str) -> requests.Response:
        url = tenant.admin.url(f"/tenants/{slug}/{suffix}")
        return requests.request(method, url, headers=headers, timeout=10)

    own = expect(call("GET", other_tenant.slug, "audit"), 200).json()["events"]
    assert all(e["type"] != "user.created" for e in own), own
    for method, suffix in [("GET", "audit"), ("GET", "audit/verify")]:
        assert_problem(call(method, tenant.slug, suffix), 404)
