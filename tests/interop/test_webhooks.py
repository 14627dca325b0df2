"""Webhooks (docs/contract.md A9) against a live server and a local receiver on loopback; every
delivery is verified with the ``standardwebhooks`` package (PyPI), which nobody here wrote.

* a test ping is delivered, signed, and listed with its attempt;
* endpoint validation: https, http only to allowed networks, a private address refused, unknown
  event types, the legacy ``settings.webhooks``;
* receiver down, then answering 500, then back: retried and delivered;
* ``kill -9`` with a pending delivery: delivered after the restart;
* secret rotation: both secrets sign during the overlap; without overlap only the new one;
* deliveries list (newest first, paged) and redelivery with the same ``webhook-id``;
* disable, update, delete, Idempotency-Key, and another tenant's endpoints are not found;
* ``disable_after_seconds``: a failing endpoint is disabled and audited; enabling it starts afresh.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime

import pytest
import standardwebhooks

from gatehouse_http import assert_problem, expect
from tenancy_helpers import start_server
from webhook_receiver import Receiver, free_port

CONFIG = (
    "[federation]\n"
    'allowed_private_networks = ["127.0.0.0/8", "::1/128"]\n'
    "[webhooks]\n"
    "retry_base_seconds = 0.3\n"
    "max_attempts = 6\n"
    "timeout_seconds = 3\n"
)


def backend_env(workdir) -> dict[str, str] | None:
    """One PostgreSQL database for every start of a server of ``workdir`` (restarts keep their data)."""
    if os.environ.get("GATEHOUSE_INTEROP_BACKEND") != "postgres":
        return None
    from postgres_helpers import fresh_database, postgres_env

    return postgres_env(workdir, fresh_database("webhooks"))


@pytest.fixture(scope="module")
def server(tmp_path_factory, artifacts_dir):
    workdir = tmp_path_factory.mktemp("webhooks")
    log = artifacts_dir / "gatehouse-webhooks.log"
    srv = start_server(workdir, log, config=CONFIG, env=backend_env(workdir))
    yield srv
    srv.stop()


@pytest.fixture
def admin(server):
    return server.admin


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def create(admin, slug: str, url: str, **fields) -> dict:
    return expect(admin.post(f"/tenants/{slug}/webhooks", json={"url": url, **fields}), 201).json()


def deliveries(admin, slug: str, webhook: str, **params) -> dict:
    return expect(admin.get(f"/tenants/{slug}/webhooks/{webhook}/deliveries", params=params), 200).json()


def delivered(d: dict) -> bool:
    return d["status"] == "delivered"


def wait_delivery(admin, slug: str, webhook: str, delivery: str, predicate, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        found = [d for d in deliveries(admin, slug, webhook, limit=100)["deliveries"] if d["id"] == delivery]
        if found:
            last = found[0]
            if predicate(last):
                return last
        time.sleep(0.2)
    raise AssertionError(f"delivery {delivery} never matched; last seen: {last}")


def test_a_test_ping_is_delivered_signed_and_listed(admin, receiver):
    tenant = admin.create_tenant()
    endpoint = create(admin, tenant.slug, receiver.url, description="CRM sync")
    secret = endpoint["secret"]
    assert secret.startswith("whsec_") and endpoint["id"].startswith("whk_")
    assert endpoint["events"] == [] and endpoint["enabled"] is True and endpoint["description"] == "CRM sync"
    shown = expect(admin.get(f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}"), 200).json()
    assert "secret" not in shown and shown["url"] == receiver.url
    listed = expect(admin.get(f"/tenants/{tenant.slug}/webhooks"), 200).json()
    assert [w["id"] for w in listed["webhooks"]] == [endpoint["id"]] and listed["next_cursor"] is None
    assert all("secret" not in w for w in listed["webhooks"])

    queued = expect(admin.post(f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}/test"), 202).json()
    assert queued["status"] == "pending" and queued["event_type"] == "webhook.test"
    assert queued["event_id"].startswith("evt_")
    receipt = receiver.wait_for(lambda rs: any(r.webhook_id == queued["event_id"] for r in rs))[0]
    payload = receipt.verify(secret)
    assert payload["type"] == "webhook.test"
    assert payload["data"] == {"endpoint_id": endpoint["id"], "tenant": tenant.slug}
    assert receipt.headers["content-type"].startswith("application/json") and receipt.path == "/hook"
    assert abs(int(receipt.headers["webhook-timestamp"]) - time.time()) < 60
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        receipt.verify("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")

    done = wait_delivery(admin, tenant.slug, endpoint["id"], queued["id"], delivered)
    assert done["attempts"] == 1 and done["last_response_status"] == 204 and "delivered_at" in done

    # The audit log records the change without the secret.
    created = {"type": "webhook_endpoint.created"}
    audit = expect(admin.get(f"/tenants/{tenant.slug}/audit", params=created), 200).json()
    [entry] = audit["events"]
    assert entry["target_id"] == endpoint["id"] and entry["data"]["id"] == endpoint["id"] and "secret" not in entry["data"]
    assert secret not in str(audit)


def test_endpoints_are_validated(admin):
    tenant = admin.create_tenant()
    base = f"/tenants/{tenant.slug}/webhooks"
    cases = [
        ({"url": "http://hooks.example.com/x"}, "url"),  # http to a public host name
        ({"url": "http://93.184.216.34/x"}, "url"),  # http to a public address
        ({"url": "https://10.1.2.3/x"}, "url"),  # a private address not allowed by the guard
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url"),  # cloud metadata
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://user:pass@example.com/x"}, "url"),
        ({"url": "https://example.com/x", "events": ["user.created", "user.exploded"]}, "events"),
        ({"url": "https://example.com/x", "colour": "blue"}, "colour"),
        ({}, "url"),
    ]
    for body, field in cases:
        problem = assert_problem(admin.post(base, json=body), 422)
        assert field in [e["field"] for e in problem["errors"]], (body, problem)
    private = assert_problem(admin.post(base, json={"url": "https://10.1.2.3/x"}), 422)
    assert "allowed_private_networks" in str(private)
    events = ["user.created", "client.deleted", "user.created"]
    ok = create(admin, tenant.slug, "https://hooks.example.com/gatehouse", events=events)
    assert ok["events"] == ["client.deleted", "user.created"]
    assert expect(admin.get(base), 200).json()["webhooks"][0]["id"] == ok["id"]
    # The legacy tenant setting points to the resource.
    legacy = {"settings": {"webhooks": [{"url": "https://x.example", "events": [], "enabled": True}]}}
    problem = assert_problem(admin.patch(f"/tenants/{tenant.slug}", json=legacy), 422)
    assert "/webhooks" in problem["errors"][0]["message"]


def test_receiver_down_then_erroring_then_back_is_retried_until_delivered(admin):
    tenant = admin.create_tenant()
    receiver = Receiver(free_port())  # nothing listens yet
    endpoint = create(admin, tenant.slug, receiver.url)
    queued = expect(admin.post(f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}/test"), 202).json()
    failing = wait_delivery(admin, tenant.slug, endpoint["id"], queued["id"], lambda d: d["attempts"] >= 2)
    assert failing["status"] == "pending" and failing["last_error"] and "last_response_status" not in failing
    receiver.status = 500
    receiver.start()
    try:
        erroring = wait_delivery(
            admin, tenant.slug, endpoint["id"], queued["id"], lambda d: d.get("last_response_status") == 500)
        assert erroring["status"] == "pending" and erroring["attempts"] >= 3
        receiver.status = 200
        done = wait_delivery(admin, tenant.slug, endpoint["id"], queued["id"], delivered, timeout=60)
        assert done["last_response_status"] == 200
        receipts = receiver.with_id(queued["event_id"])
        assert len(receipts) >= 2
        assert all(r.verify(endpoint["secret"])["type"] == "webhook.test" for r in receipts)
    finally:
        receiver.stop()


def test_rotation_signs_with_both_secrets_during_the_overlap(admin, receiver):
    tenant = admin.create_tenant()
    endpoint = create(admin, tenant.slug, receiver.url)
    base = f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}"
    old = endpoint["secret"]
    rotated = expect(admin.post(f"{base}/rotate-secret"), 200).json()
    new = rotated["secret"]
    assert new != old and new.startswith("whsec_") and "previous_secret_expires_at" in rotated
    assert "secret" not in expect(admin.get(base), 200).json()
    queued = expect(admin.post(f"{base}/test"), 202).json()
    receipt = receiver.wait_for(lambda rs: any(r.webhook_id == queued["event_id"] for r in rs))[-1]
    assert len(receipt.headers["webhook-signature"].split(" ")) == 2
    assert receipt.verify(old)["type"] == "webhook.test"
    assert receipt.verify(new)["type"] == "webhook.test"

    # Without overlap only the newest secret signs.
    newest = expect(admin.post(f"{base}/rotate-secret", json={"overlap_seconds": 0}), 200).json()
    assert "previous_secret_expires_at" not in newest
    again = expect(admin.post(f"{base}/test"), 202).json()
    receipt = receiver.wait_for(lambda rs: any(r.webhook_id == again["event_id"] for r in rs))[-1]
    assert len(receipt.headers["webhook-signature"].split(" ")) == 1
    receipt.verify(newest["secret"])
    for stale in (old, new):
        with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
            receipt.verify(stale)
    assert_problem(admin.post(f"{base}/rotate-secret", json={"overlap_seconds": -1}), 422)


def test_deliveries_are_listed_and_redelivered_with_the_same_webhook_id(admin, receiver):
    tenant = admin.create_tenant()
    endpoint = create(admin, tenant.slug, receiver.url)
    other = create(admin, tenant.slug, receiver.url)
    base = f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}"
    first = expect(admin.post(f"{base}/test"), 202).json()
    second = expect(admin.post(f"{base}/test"), 202).json()
    receiver.wait_for(lambda rs: {first["event_id"], second["event_id"]} <= {r.webhook_id for r in rs})
    page = deliveries(admin, tenant.slug, endpoint["id"], limit=1)
    assert [d["id"] for d in page["deliveries"]] == [second["id"]] and page["next_cursor"] == second["id"]
    rest = deliveries(admin, tenant.slug, endpoint["id"], limit=10, after=page["next_cursor"])
    assert [d["id"] for d in rest["deliveries"]] == [first["id"]] and rest["next_cursor"] is None
    assert deliveries(admin, tenant.slug, other["id"])["deliveries"] == []

    again = expect(admin.post(f"{base}/deliveries/{first['id']}/redeliver"), 202).json()
    assert again["id"] != first["id"] and again["status"] == "pending"
    assert again["event_id"] == first["event_id"]
    receipts = receiver.wait_for(lambda rs: sum(r.webhook_id == first["event_id"] for r in rs) >= 2)
    same = [r for r in receipts if r.webhook_id == first["event_id"]]
    assert same[0].body == same[1].body and all(r.verify(endpoint["secret"]) for r in same)
    wait_delivery(admin, tenant.slug, endpoint["id"], again["id"], delivered)

    # A delivery of another endpoint, or an unknown one, is not found here.
    elsewhere = f"/tenants/{tenant.slug}/webhooks/{other['id']}/deliveries/{first['id']}/redeliver"
    assert_problem(admin.post(elsewhere), 404)
    assert_problem(admin.post(f"{base}/deliveries/whd_01ARZ3NDEKTSV4RRFFQ69G5FAV/redeliver"), 404)
    assert_problem(admin.get(f"{base}/deliveries", params={"after": "nope"}), 422)


def test_update_disable_delete_and_idempotency(admin, receiver):
    tenant = admin.create_tenant()
    key = {"Idempotency-Key": f"create-{time.time_ns()}"}
    body = {"url": receiver.url, "events": ["user.created"]}
    first = expect(admin.post(f"/tenants/{tenant.slug}/webhooks", json=body, headers=key), 201)
    replay = expect(admin.post(f"/tenants/{tenant.slug}/webhooks", json=body, headers=key), 201)
    assert replay.json() == first.json() and replay.headers.get("Idempotent-Replayed") == "true"
    endpoint = first.json()
    assert len(expect(admin.get(f"/tenants/{tenant.slug}/webhooks"), 200).json()["webhooks"]) == 1
    base = f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}"

    change = {"events": [], "description": "all events", "enabled": False}
    changed = expect(admin.patch(base, json=change), 200).json()
    assert changed["events"] == [] and changed["enabled"] is False and changed["description"] == "all events"
    assert_problem(admin.post(f"{base}/test"), 409)
    assert_problem(admin.patch(base, json={"url": "http://example.com/x"}), 422)
    expect(admin.patch(base, json={"enabled": True}), 200)
    expect(admin.post(f"{base}/test"), 202)
    expect(admin.delete(base), 204)
    assert_problem(admin.get(base), 404)
    assert_problem(admin.get(f"{base}/deliveries"), 404)
    assert_problem(admin.get(f"/tenants/{tenant.slug}/webhooks/not-an-id"), 404)


def test_another_tenants_endpoints_are_not_found(admin, receiver):
    a, b = admin.create_tenant(), admin.create_tenant()
    endpoint = create(admin, a.slug, receiver.url)
    queued = expect(admin.post(f"/tenants/{a.slug}/webhooks/{endpoint['id']}/test"), 202).json()
    other = f"/tenants/{b.slug}/webhooks/{endpoint['id']}"
    for resp in (admin.get(other), admin.patch(other, json={"enabled": False}), admin.post(f"{other}/test"),
                 admin.post(f"{other}/rotate-secret"), admin.get(f"{other}/deliveries"),
                 admin.post(f"{other}/deliveries/{queued['id']}/redeliver"), admin.delete(other)):
        assert_problem(resp, 404)
    assert expect(admin.get(f"/tenants/{b.slug}/webhooks"), 200).json()["webhooks"] == []
    assert expect(admin.get(f"/tenants/{a.slug}/webhooks/{endpoint['id']}"), 200).json()["enabled"] is True


def test_kill_9_with_a_pending_delivery_delivers_it_after_the_restart(tmp_path):
    workdir = tmp_path / "gh"
    env = backend_env(workdir)
    server = start_server(workdir, tmp_path / "gh.log", config=CONFIG, env=env)
    receiver = Receiver(free_port())  # down at first
    try:
        tenant = server.admin.create_tenant()
        endpoint = create(server.admin, tenant.slug, receiver.url)
        test = f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}/test"
        queued = expect(server.admin.post(test), 202).json()
        wait_delivery(server.admin, tenant.slug, endpoint["id"], queued["id"], lambda d: d["attempts"] >= 1)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        receiver.start()
        server = start_server(workdir, tmp_path / "gh-2.log", config=CONFIG, env=env)
        receipts = receiver.wait_for(
            lambda rs: any(r.webhook_id == queued["event_id"] for r in rs), timeout=60)
        assert receipts[0].verify(endpoint["secret"])["type"] == "webhook.test"
        done = wait_delivery(server.admin, tenant.slug, endpoint["id"], queued["id"], delivered)
        assert done["attempts"] >= 2
        time.sleep(1.0)
        assert len(receiver.with_id(queued["event_id"])) == 1, "a delivered event is not sent again"
    finally:
        receiver.stop()
        server.stop()


def test_cli_manages_endpoints_and_deliveries(server, receiver, tmp_path):
    from cli_helpers import CLI, record

    cli = CLI(server.public_url, server.admin_token, tmp_path)
    tenant = server.admin.create_tenant()
    t = ("--tenant", tenant.slug)
    add = ("webhook", "add", *t, "--endpoint-url", receiver.url, "--event", "user.created")
    added = cli.json(*add, "--description", "cli")
    assert added["secret"].startswith("whsec_") and added["events"] == ["user.created"]
    shown = record(cli.ok("webhook", "show", added["id"], *t))
    assert shown["url"] == receiver.url and "secret" not in shown
    assert [w["id"] for w in cli.json("webhook", "list", *t)["webhooks"]] == [added["id"]]
    cli.fails("webhook", "add", *t, "--endpoint-url", receiver.url, "--event", "user.exploded", status=422)

    updated = cli.json("webhook", "update", added["id"], *t, "--all-events", "--enabled", "true")
    assert updated["events"] == []
    queued = cli.json("webhook", "test", added["id"], *t)
    receipt = receiver.wait_for(lambda rs: any(r.webhook_id == queued["event_id"] for r in rs))[-1]
    receipt.verify(added["secret"])
    wait_delivery(server.admin, tenant.slug, added["id"], queued["id"], delivered)
    listed = cli.json("webhook", "deliveries", added["id"], *t)["deliveries"]
    assert [d["id"] for d in listed] == [queued["id"]] and listed[0]["status"] == "delivered"
    again = cli.json("webhook", "redeliver", added["id"], queued["id"], *t)
    assert again["event_id"] == queued["event_id"]
    receiver.wait_for(lambda rs: sum(r.webhook_id == queued["event_id"] for r in rs) >= 2)

    rotated = cli.json("webhook", "rotate-secret", added["id"], *t, "--overlap", "1h")
    assert rotated["secret"] != added["secret"] and "previous_secret_expires_at" in rotated
    cli.ok("webhook", "remove", added["id"], *t, "--yes")
    cli.fails("webhook", "show", added["id"], *t, status=404)


def wait_endpoint(admin, slug: str, webhook: str, predicate, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while not predicate(last := expect(admin.get(f"/tenants/{slug}/webhooks/{webhook}"), 200).json()):
        assert time.monotonic() < deadline, f"endpoint {webhook} never matched; last seen: {last}"
        time.sleep(0.1)
    return last


def test_an_endpoint_failing_for_disable_after_seconds_is_disabled_and_audited(tmp_path):
    from cli_helpers import CLI, record

    # Attempts about 0, 0.2 and 1.4 s after the first (20 % jitter): the third or fourth is past 1 s.
    config = CONFIG.replace("retry_base_seconds = 0.3", "retry_base_seconds = 0.2")
    config += "disable_after_seconds = 1\n"
    workdir = tmp_path / "gh"
    server = start_server(workdir, tmp_path / "gh.log", config=config, env=backend_env(workdir))
    receiver = Receiver()
    receiver.status = 500
    receiver.start()
    try:
        admin = server.admin
        tenant = admin.create_tenant()
        endpoint = create(admin, tenant.slug, receiver.url)
        assert endpoint["failing_since"] is None
        base, t = f"/tenants/{tenant.slug}/webhooks/{endpoint['id']}", ("--tenant", tenant.slug)
        first = expect(admin.post(f"{base}/test"), 202).json()
        failing = wait_endpoint(admin, tenant.slug, endpoint["id"], lambda e: e["failing_since"] is not None)
        since = datetime.fromisoformat(failing["failing_since"])
        second = expect(admin.post(f"{base}/test"), 202).json()

        disabled = wait_endpoint(admin, tenant.slug, endpoint["id"], lambda e: not e["enabled"])
        assert disabled["failing_since"] == failing["failing_since"]
        for queued in (first, second):
            done = wait_delivery(admin, tenant.slug, endpoint["id"], queued["id"], lambda d: d["status"] == "failed")
            assert "next_attempt_at" not in done
        # Retried before the disable (the second delivery's attempts run alongside and may disable it first).
        assert len(receiver.with_id(first["event_id"])) >= 2
        sent = len(receiver.receipts)
        time.sleep(1.5)
        assert len(receiver.receipts) == sent, "a disabled endpoint gets no more attempts"

        disabled_type = {"type": "webhook.endpoint_disabled"}
        audit = expect(admin.get(f"/tenants/{tenant.slug}/audit", params=disabled_type), 200).json()
        [entry] = audit["events"]
        assert entry["actor"]["type"] == "system"
        assert entry["target_type"] == "webhook_endpoint" and entry["target_id"] == endpoint["id"]
        assert entry["data"]["url"] == receiver.url
        assert abs((datetime.fromisoformat(entry["data"]["failing_since"]) - since).total_seconds()) < 1
        assert datetime.fromisoformat(entry["occurred_at"]) >= since
        assert expect(admin.get(f"/tenants/{tenant.slug}/audit/verify"), 200).json()["ok"] is True

        cli = CLI(server.public_url, server.admin_token, tmp_path)
        shown = record(cli.ok("webhook", "show", endpoint["id"], *t))
        assert shown["enabled"] == "false" and shown["failing_since"] == disabled["failing_since"]

        # Enabled again: it starts afresh, and delivers once the receiver answers.
        enabled = expect(admin.patch(base, json={"enabled": True}), 200).json()
        assert enabled["enabled"] is True and enabled["failing_since"] is None
        receiver.status = 204
        again = expect(admin.post(f"{base}/test"), 202).json()
        wait_delivery(admin, tenant.slug, endpoint["id"], again["id"], delivered)
        after = expect(admin.get(base), 200).json()
        assert after["enabled"] is True and after["failing_since"] is None
        assert "failing_since" not in record(cli.ok("webhook", "show", endpoint["id"], *t))
    finally:
        receiver.stop()
        server.stop()
