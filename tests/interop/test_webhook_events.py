"""Webhook events from the audit log (docs/contract.md A9), against a live server and a local
receiver; every delivery is verified with ``standardwebhooks`` (PyPI).

* admin changes, sign-ins and failed sign-ins reach the receiver as events whose ``webhook-id``
  is the audit entry's id, with the actor, target and the fields sent (secrets redacted);
* a change the store rolls back (a taken email, a taken organization slug) has no entry and
  sends nothing;
* an endpoint's event filter holds, and events from before an endpoint existed are not sent;
* ``kill -9`` after a change committed while the receiver is down: exactly the committed events
  arrive after the restart.
"""

from __future__ import annotations

import json
import os
import signal
import time

import requests

from gatehouse_http import assert_problem, expect
from openapi_helpers import schema_validator
from tenancy_helpers import headless, start_server
from test_webhooks import CONFIG, backend_env, create, server, admin, receiver  # noqa: F401 - fixtures
from webhook_receiver import Receiver, free_port


def events(receiver, secret: str, minimum: int, timeout: float = 30.0) -> list[dict]:
    """The verified bodies received (after at least ``minimum``), each with its ``webhook-id``."""
    receipts = receiver.wait_for(lambda rs: len(rs) >= minimum, timeout=timeout)
    out = []
    for receipt in receipts:
        body = receipt.verify(secret)
        body["webhook_id"] = receipt.webhook_id
        out.append(body)
    return out


def audit_ids(admin, slug: str) -> dict[str, str]:
    """Audit entry id → type, for the tenant's whole log."""
    log = expect(admin.get(f"/tenants/{slug}/audit", params={"limit": 1000}), 200).json()["events"]
    return {e["id"]: e["type"] for e in log}


def test_admin_changes_and_sign_ins_arrive_as_signed_events(server, admin, receiver):  # noqa: F811 - fixtures
    tenant = admin.create_tenant()
    base = f"/tenants/{tenant.slug}"
    before = tenant.create_user()  # before the endpoint: never sent
    endpoint = create(admin, tenant.slug, receiver.url)
    secret = endpoint["secret"]

    user = tenant.create_user(name="Grace")
    expect(admin.patch(f"{base}/users/{user.id}", json={"name": "Grace Hopper"}), 200)
    # Rolled back by the store (unique email, unique slug): no entry, no event.
    assert_problem(admin.post(f"{base}/users", json={"email": user.email, "password": "x" * 12}), 409)
    org = expect(admin.post(f"{base}/organizations", json={"name": "Acme", "slug": "acme"}), 201).json()
    assert_problem(admin.post(f"{base}/organizations", json={"name": "Acme 2", "slug": "acme"}), 409)
    expect(admin.post(f"{base}/organizations/acme/members", json={"user_id": user.id, "role": "admin"}), 201)
    client = tenant.create_client("confidential", first_party=True)
    expect(admin.patch(base, json={"settings": {"session_ttl": 7200}}), 200)
    expect(admin.post(f"{base}/keys/rotate"), 200)

    def sign_in(password: str):
        body = {"email": user.email, "password": password, "scope": "openid"}
        return headless(
            server.public_url, "POST", "auth/sign-in", client_id=client.client_id, secret=client.client_secret, body=body)

    assert sign_in("not the password").status_code in (400, 401)
    expect(sign_in(user.password), 200)
    expect(admin.delete(f"{base}/users/{before.id}"), 204)

    expected = [
        "user.created", "user.updated", "organization.created", "membership.created", "client.created", "tenant.updated",
        "signing_key.rotated", "user.sign_in_failed", "user.signed_in", "session.created", "user.deleted",
    ]
    received = events(receiver, secret, len(expected))
    time.sleep(1.0)  # nothing more arrives
    received = events(receiver, secret, len(expected))
    assert sorted(e["type"] for e in received) == sorted(expected), [e["type"] for e in received]
    # Each event is an audit entry: same id, same type; the rolled-back changes have no entry.
    log = audit_ids(admin, tenant.slug)
    assert all(log.get(e["webhook_id"]) == e["type"] for e in received), (received, log)
    # (The log also holds the user created before the endpoint existed.)
    assert sorted(t for t in log.values() if t in expected) == sorted(expected + ["user.created"]), log
    by_type = {e["type"]: e["data"] for e in received}

    created = by_type["user.created"]
    assert created["actor"] == {"type": "admin_token"} and created["target_type"] == "user"
    assert created["target_id"] == user.id == created["user_id"] == created["object"]["id"], created
    assert created["object"]["password"] == "[redacted]" and user.password not in json.dumps(received)
    assert by_type["user.updated"]["changes"] == ["name"] and by_type["user.updated"]["object"]["name"] == "Grace Hopper"
    assert by_type["organization.created"]["target_id"] == org["id"] == by_type["organization.created"]["organization_id"]
    member = by_type["membership.created"]
    assert member["organization_id"] == org["id"] and member["user_id"] == user.id and member["object"]["role"] == "admin"
    assert by_type["client.created"]["target_id"] == client.client_id and client.client_secret not in json.dumps(received)
    assert by_type["tenant.updated"]["changes"] == ["settings"]
    signed = by_type["user.signed_in"]
    assert signed["actor"] == {"type": "user", "id": user.id} and signed["object"]["amr"] == ["pwd"], signed
    assert by_type["session.created"]["target_id"] == signed["object"]["session_id"]
    assert by_type["user.sign_in_failed"]["object"]["reason"] == "invalid"
    assert by_type["user.deleted"]["target_id"] == before.id
    # Every body matches its type's schema in the OpenAPI document (`WebhookEvent<Type>`).
    spec = expect(requests.get(f"{server.public_url}/admin/v1/openapi.json", timeout=10), 200).json()
    for event in received:
        assert set(event) == {"type", "timestamp", "data", "webhook_id"}, event
        assert event["timestamp"].endswith("Z")
        name = "WebhookEvent" + "".join(part.capitalize() for part in event["type"].replace(".", "_").split("_"))
        body = {k: v for k, v in event.items() if k != "webhook_id"}
        errors = [e.message for e in schema_validator(spec, {"$ref": f"#/components/schemas/{name}"}).iter_errors(body)]
        assert not errors, (name, errors, body)


def test_an_event_filter_sends_only_its_types(admin, receiver):  # noqa: F811 - fixtures
    tenant = admin.create_tenant()
    endpoint = create(admin, tenant.slug, receiver.url, events=["user.deleted"])
    user = tenant.create_user()
    expect(admin.delete(f"/tenants/{tenant.slug}/users/{user.id}"), 204)
    received = events(receiver, endpoint["secret"], 1)
    time.sleep(1.0)
    assert [e["type"] for e in receiver_bodies(receiver, endpoint["secret"])] == ["user.deleted"], received


def receiver_bodies(receiver, secret: str) -> list[dict]:
    return [r.verify(secret) for r in receiver.wait_for(lambda rs: True)]


def test_kill_9_after_a_committed_change_delivers_exactly_the_committed_events(tmp_path):
    workdir = tmp_path / "gh"
    env = backend_env(workdir)
    server = start_server(workdir, tmp_path / "gh.log", config=CONFIG, env=env)
    receiver = Receiver(free_port())  # down until after the restart
    try:
        tenant = server.admin.create_tenant()
        endpoint = create(server.admin, tenant.slug, receiver.url)
        users = [tenant.create_user() for _ in range(3)]
        taken = {"email": users[0].email, "password": "x" * 12}
        assert_problem(server.admin.post(f"/tenants/{tenant.slug}/users", json=taken), 409)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        receiver.start()
        server = start_server(workdir, tmp_path / "gh-2.log", config=CONFIG, env=env)
        received = events(receiver, endpoint["secret"], 3, timeout=60)
        time.sleep(1.5)
        received = events(receiver, endpoint["secret"], 3)
        ids = sorted(e["data"]["target_id"] for e in received)
        assert [e["type"] for e in received] == ["user.created"] * 3 and ids == sorted(u.id for u in users), received
        assert len({e["webhook_id"] for e in received}) == 3
    finally:
        receiver.stop()
        server.stop()
