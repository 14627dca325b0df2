"""Webhooks cannot be turned against other tenants or the server's network (docs/contract.md A9):

* a tenant whose endpoints hang (they accept the connection and never answer) holds at most
  ``[webhooks] max_concurrent_deliveries_per_tenant`` of the node's delivery slots: another
  tenant's delivery arrives at once meanwhile, and the hung attempts end as "no answer within N s";
* a URL is refused at save when its host writes an IPv4 address in any form but the dotted quad
  (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``), has a port outside 1-65535, or is
  not made of DNS labels, even where loopback is allowed;
* the audit log keeps a webhook URL's query names but not their values (a receiver's token).
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from gatehouse_http import assert_problem, expect
from tenancy_helpers import start_server
from webhook_receiver import Receiver

HANG_SECONDS = 5
CONFIG = (
    "[federation]\n"
    'allowed_private_networks = ["127.0.0.0/8", "::1/128"]\n'
    "[webhooks]\n"
    "retry_base_seconds = 120\n"
    f"timeout_seconds = {HANG_SECONDS}\n"
    "max_concurrent_deliveries = 6\n"
    "max_concurrent_deliveries_per_tenant = 2\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory, artifacts_dir):
    workdir = tmp_path_factory.mktemp("webhook-fairness")
    env = None
    if os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres":
        from postgres_helpers import fresh_database, postgres_env

        env = postgres_env(workdir, fresh_database("webhook_fairness"))
    srv = start_server(workdir, artifacts_dir / "gatehouse-webhook-fairness.log", config=CONFIG, env=env)
    yield srv
    srv.stop()


@pytest.fixture
def admin(server):
    return server.admin


@pytest.fixture
def hanging_url():
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    sock.close()


def create(admin, slug: str, url: str) -> dict:
    return expect(admin.post(f"/tenants/{slug}/webhooks", json={"url": url}), 201).json()


def deliveries(admin, slug: str, webhook: str) -> list[dict]:
    return expect(admin.get(f"/tenants/{slug}/webhooks/{webhook}/deliveries", params={"limit": 100}), 200).json()["deliveries"]


def test_a_tenant_with_hanging_endpoints_does_not_hold_up_another_tenants_deliveries(admin, hanging_url):
    stalling = admin.create_tenant()
    hung = [create(admin, stalling.slug, hanging_url) for _ in range(3)]
    for endpoint in hung:
        for _ in range(8):
            expect(admin.post(f"/tenants/{stalling.slug}/webhooks/{endpoint['id']}/test"), 202)
    # Let the worker take up the stalling tenant's deliveries first.
    time.sleep(1.0)

    receiver = Receiver().start()
    try:
        other = admin.create_tenant()
        endpoint = create(admin, other.slug, receiver.url)
        started = time.monotonic()
        queued = expect(admin.post(f"/tenants/{other.slug}/webhooks/{endpoint['id']}/test"), 202).json()
        receipt = receiver.wait_for(lambda rs: any(r.webhook_id == queued["event_id"] for r in rs), timeout=30)[0]
        elapsed = time.monotonic() - started
        assert receipt.verify(endpoint["secret"])["type"] == "webhook.test"
        # Before the per-tenant slots, the 24 hung deliveries (8 at a time, 5 s each) came first: 15 s.
        assert elapsed < HANG_SECONDS - 1, f"the other tenant's delivery waited {elapsed:.1f} s behind the hung ones"
    finally:
        receiver.stop()

    # The stalling tenant's attempts end, two at a time, with a fixed sentence (no library text).
    deadline = time.monotonic() + 4 * HANG_SECONDS
    attempted: list[dict] = []
    while time.monotonic() < deadline and len(attempted) < 2:
        attempted = [d for e in hung for d in deliveries(admin, stalling.slug, e["id"]) if d["attempts"] > 0]
        time.sleep(0.3)
    assert len(attempted) >= 2, attempted
    assert {d["last_error"] for d in attempted} == {f"no answer within {HANG_SECONDS} s"}
    assert all(d["status"] == "pending" and d.get("last_response_status") is None for d in attempted)
    # Two slots for the tenant: after about one timeout, at most two attempts have ended.
    pending = [d for e in hung for d in deliveries(admin, stalling.slug, e["id"]) if d["attempts"] == 0]
    assert len(pending) >= 24 - 2 * 3, "the tenant never held more than its two slots at a time"


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://0177.0.0.1/hook",
        "http://127.1/hook",
        "https://hooks.example.com:0/x",
        "https://hooks.example.com:65536/x",
        "https://-hooks.example.com/x",
        "https://hooks..example.com/x",
        "https://hooks.example.123/x",
    ],
)
def test_destinations_written_to_slip_past_the_rules_are_refused_at_save(admin, url):
    tenant = admin.create_tenant()
    problem = assert_problem(admin.post(f"/tenants/{tenant.slug}/webhooks", json={"url": url}), 422)
    assert [e["field"] for e in problem["errors"]] == ["url"], problem
    assert expect(admin.get(f"/tenants/{tenant.slug}/webhooks"), 200).json()["webhooks"] == []


def test_the_audit_log_keeps_a_webhook_urls_query_names_but_not_their_values(admin):
    tenant = admin.create_tenant()
    url = "https://hooks.example.com/in?token=tok_s3cret_value&team=blue"
    endpoint = create(admin, tenant.slug, url)
    assert endpoint["url"] == url, "the admin API shows the URL as saved"
    audit = expect(admin.get(f"/tenants/{tenant.slug}/audit", params={"type": "webhook_endpoint.created"}), 200).json()
    [entry] = audit["events"]
    assert entry["data"]["url"] == "https://hooks.example.com/in?token=%5Bredacted%5D&team=%5Bredacted%5D"
    assert "tok_s3cret_value" not in str(audit)
