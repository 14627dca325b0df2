"""The admin console's webhook pages of one tenant (docs/contract.md A9, A10), against a live server
whose ``[federation] allowed_private_networks`` lets it deliver to a local receiver on loopback;
every delivery is verified with the ``standardwebhooks`` package (PyPI), which nobody here wrote.

An operator lists, creates (the ``whsec_`` secret shown once, on the answer only), edits, disables
and enables, re-keys (the new secret shown once), tests, redelivers and deletes endpoints. Forms are
CSRF-checked, refused input comes back with the admin API's problems next to their fields and
changes nothing, another tenant's endpoints and deliveries are 404 here, and every change is an
audit entry of the tenant (the admin API's types) whose actor is the operator.

Screenshots (Chromium): $ARTIFACTS_DIR/console-webhook-*.png."""

from __future__ import annotations

import json
import time

import pytest
import standardwebhooks
from selenium.webdriver.common.by import By

from accounts_chromium import chromium_driver, click_css, fill, save, wait_heading
from console_helpers import (
    Ops, by_operator, click_to_page, error, operator, operator_made, ops, sign_in_with_enrolment, soup,
)  # noqa: F401 - operator and ops are fixtures
from gatehouse_client import describe
from tenancy_helpers import start_server
from webhook_receiver import Receiver

CONFIG = (
    "[federation]\n"
    'allowed_private_networks = ["127.0.0.0/8", "::1/128"]\n'
    "[webhooks]\n"
    "retry_base_seconds = 0.3\n"
    "max_attempts = 6\n"
    "timeout_seconds = 3\n"
)


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory, artifacts_dir):
    workdir = tmp_path_factory.mktemp("console-webhooks")
    srv = start_server(workdir, artifacts_dir / "gatehouse-console-webhooks.log", config=CONFIG)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def admin(hooks_server):
    """The admin API of this module's server (the ``tenant`` fixtures create their tenants there)."""
    return hooks_server.admin


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def create_form(url: str, events: list[str], description: str = "") -> list:
    return [("url", url), ("description", description)] + [("events", e) for e in events]


def deliveries(ops: Ops, base: str) -> list[dict]:
    """The deliveries page's rows: id, event id, status, attempts and the last answer's status."""
    page = ops.get(f"{base}/deliveries")
    assert page.status_code == 200, describe(page)
    return [
        {
            "id": row["data-delivery-id"], "event_id": row["data-event-id"], "status": row["data-status"],
            "attempts": row.select("td")[3].get_text(strip=True), "last": row.select_one(".last-status").get_text(strip=True),
        }
        for row in soup(page).select("tr[data-delivery-id]")
    ]


def wait_row(ops: Ops, base: str, predicate, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    rows: list[dict] = []
    while time.monotonic() < deadline:
        rows = deliveries(ops, base)
        found = [r for r in rows if predicate(r)]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no delivery row matched; rows: {rows}")


def receipt_of(receiver: Receiver, event_id: str):
    return receiver.wait_for(lambda rs: any(r.webhook_id == event_id for r in rs))[-1]


def test_create_test_and_filtered_events_reach_the_receiver(ops, admin, tenant, operator, receiver):
    base = f"/tenants/{tenant.slug}/webhooks"
    # Refused: the admin API's problems, next to their fields; nothing created.
    resp = ops.post(base, create_form("http://hooks.example.com/x", ["user.created", "user.exploded"], "CRM"))
    assert resp.status_code == 422, describe(resp)
    assert error(resp, "url") and "user.exploded" in error(resp, "events")
    assert soup(resp).select_one("#url")["value"] == "http://hooks.example.com/x", "shown as submitted"
    assert soup(resp).select_one("#event-user\\.created").has_attr("checked")
    assert "allowed_private_networks" in error(ops.post(base, create_form("https://10.1.2.3/x", [])), "url")
    assert ops.post(base, create_form(receiver.url, []), csrf=None).status_code == 400
    assert ops.post(base, create_form(receiver.url, []), csrf="forged").status_code == 400
    assert admin.get(f"/tenants/{tenant.slug}/webhooks").json()["webhooks"] == []

    resp = ops.post(base, create_form(receiver.url, ["user.created"], "CRM sync"))
    assert resp.status_code == 201, describe(resp)
    assert resp.headers["Cache-Control"] == "no-store"
    webhook = soup(resp).select_one("#webhook-id").get_text(strip=True)
    secret = soup(resp).select_one("#webhook-secret").get_text(strip=True)
    assert webhook.startswith("whk_") and secret.startswith("whsec_"), describe(resp)
    shown = admin.get(f"{base}/{webhook}").json()
    assert shown["url"] == receiver.url and shown["events"] == ["user.created"] and shown["description"] == "CRM sync", shown
    page = ops.get(f"{base}/{webhook}")
    assert page.status_code == 200 and secret not in page.text and not soup(page).select("#webhook-secret")
    assert webhook in [r["data-webhook-id"] for r in soup(ops.get(base)).select("tr[data-webhook-id]")]
    created = by_operator(admin, tenant.slug, "webhook_endpoint.created", operator)
    assert created["target_id"] == webhook and created["data"]["url"] == receiver.url, created
    assert secret not in json.dumps(created)

    # A test event, signed with the secret shown once, listed as delivered.
    resp = ops.post(f"{base}/{webhook}/test")
    assert resp.status_code == 303, describe(resp)
    assert resp.headers["Location"].endswith(f"/{webhook}/deliveries?notice=test-sent"), describe(resp)
    row = wait_row(ops, f"{base}/{webhook}", lambda r: r["status"] == "delivered")
    assert row["attempts"] == "1" and row["last"] == "204", row
    payload = receipt_of(receiver, row["event_id"]).verify(secret)
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == webhook, payload
    assert by_operator(admin, tenant.slug, "webhook_endpoint.test_sent", operator)["target_id"] == webhook

    # An event the filter takes: a user created through the admin API.
    user = tenant.create_user()
    receipt = receiver.wait_for(lambda rs: any(r.verify(secret)["type"] == "user.created" for r in rs))
    [created_event] = [r.verify(secret) for r in receipt if r.verify(secret)["type"] == "user.created"]
    assert created_event["data"]["target_id"] == user.id, created_event

    # Redelivery: the same webhook-id again, as a new delivery.
    resp = ops.post(f"{base}/{webhook}/deliveries/{row['id']}/redeliver")
    assert resp.status_code == 303 and "notice=redelivered" in resp.headers["Location"], describe(resp)
    receiver.wait_for(lambda rs: len([r for r in rs if r.webhook_id == row["event_id"]]) == 2)
    again = [r for r in deliveries(ops, f"{base}/{webhook}") if r["event_id"] == row["event_id"]]
    assert len(again) == 2, again
    assert by_operator(admin, tenant.slug, "webhook_delivery.redelivered", operator)["target_id"] == row["id"]
    # A disabled endpoint offers no redelivery and refuses one.
    assert ops.post(f"{base}/{webhook}/disable").status_code == 303
    assert not soup(ops.get(f"{base}/{webhook}/deliveries")).select(".redeliver")
    resp = ops.post(f"{base}/{webhook}/deliveries/{row['id']}/redeliver")
    assert resp.status_code == 409 and "enable it first" in resp.text, describe(resp)


def test_edit_disable_rotate_and_delete(ops, admin, tenant, operator, receiver):
    base = f"/tenants/{tenant.slug}/webhooks"
    made = soup(ops.post(base, create_form(receiver.url, [])))
    webhook = made.select_one("#webhook-id").get_text(strip=True)
    original = made.select_one("#webhook-secret").get_text(strip=True)
    # Edit: refused, then saved.
    resp = ops.post(f"{base}/{webhook}", create_form("ftp://example.com/x", ["client.deleted"], "x" * 501))
    assert resp.status_code == 422 and error(resp, "url") and error(resp, "description"), describe(resp)
    assert admin.get(f"{base}/{webhook}").json()["events"] == []
    resp = ops.post(f"{base}/{webhook}", create_form(receiver.url, ["client.deleted", "user.deleted"], "Billing"))
    assert resp.status_code == 303 and "notice=saved" in resp.headers["Location"], describe(resp)
    shown = admin.get(f"{base}/{webhook}").json()
    assert shown["events"] == ["client.deleted", "user.deleted"] and shown["description"] == "Billing", shown
    assert by_operator(admin, tenant.slug, "webhook_endpoint.updated", operator)["changes"] == ["description", "events", "url"]

    # Disabled: nothing sent, test and redelivery refused; enabled again.
    for token in (None, "forged"):
        assert ops.post(f"{base}/{webhook}/disable", csrf=token).status_code == 400
    assert admin.get(f"{base}/{webhook}").json()["enabled"] is True
    assert ops.post(f"{base}/{webhook}/disable").status_code == 303
    assert admin.get(f"{base}/{webhook}").json()["enabled"] is False
    page = ops.get(f"{base}/{webhook}")
    assert soup(page).select_one("#webhook-status").get_text() == "disabled" and not soup(page).select("#send-test")
    resp = ops.post(f"{base}/{webhook}/test")
    assert resp.status_code == 409 and "enable it first" in resp.text, describe(resp)
    assert by_operator(admin, tenant.slug, "webhook_endpoint.updated", operator)["data"]["enabled"] is False
    assert ops.post(f"{base}/{webhook}/enable").status_code == 303
    assert admin.get(f"{base}/{webhook}").json()["enabled"] is True

    # Rotation: refused overlaps; a new secret shown once each time; overlap 0 ends the previous
    # secret at once, an empty overlap keeps it signing beside the new one (86400 s).
    resp = ops.post(f"{base}/{webhook}/rotate-secret", {"overlap_seconds": "soon"})
    assert resp.status_code == 422 and error(resp, "overlap_seconds"), describe(resp)
    resp = ops.post(f"{base}/{webhook}/rotate-secret", {"overlap_seconds": str(31 * 86400)})
    assert resp.status_code == 422 and "2592000" in error(resp, "overlap_seconds"), describe(resp)
    resp = ops.post(f"{base}/{webhook}/rotate-secret", {"overlap_seconds": "0"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store", describe(resp)
    first_secret = soup(resp).select_one("#webhook-secret").get_text(strip=True)
    resp = ops.post(f"{base}/{webhook}/rotate-secret", {"overlap_seconds": ""})
    newest = soup(resp).select_one("#webhook-secret").get_text(strip=True)
    assert newest.startswith("whsec_") and newest != first_secret
    assert "previous secret signs until" in resp.text, "86400 s of overlap when empty"
    assert not soup(ops.get(f"{base}/{webhook}")).select("#webhook-secret")
    rotated = by_operator(admin, tenant.slug, "webhook_endpoint.secret_rotated", operator)
    assert rotated["target_id"] == webhook and newest not in json.dumps(rotated), rotated
    assert ops.post(f"{base}/{webhook}/test").status_code == 303
    row = wait_row(ops, f"{base}/{webhook}", lambda r: r["status"] == "delivered")
    receipt = receipt_of(receiver, row["event_id"])
    assert receipt.verify(newest)["type"] == "webhook.test" and receipt.verify(first_secret)["type"] == "webhook.test"
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        receipt.verify(original)

    # Deleting needs the id typed exactly.
    resp = ops.post(f"{base}/{webhook}/delete", {"confirm": "whk_wrong"})
    assert resp.status_code == 422 and webhook in error(resp, "confirm"), describe(resp)
    resp = ops.post(f"{base}/{webhook}/delete", {"confirm": webhook})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/webhooks?notice=deleted"), describe(resp)
    assert admin.get(f"{base}/{webhook}").status_code == 404
    assert ops.get(f"{base}/{webhook}").status_code == 404
    assert by_operator(admin, tenant.slug, "webhook_endpoint.deleted", operator)["target_id"] == webhook


def test_another_tenants_endpoints_and_deliveries_are_not_here(ops, admin, tenant, other_tenant, receiver):
    theirs = admin.post(f"/tenants/{other_tenant.slug}/webhooks", json={"url": receiver.url}).json()
    queued = admin.post(f"/tenants/{other_tenant.slug}/webhooks/{theirs['id']}/test").json()
    base = f"/tenants/{tenant.slug}/webhooks"
    mine = soup(ops.post(base, create_form(receiver.url, []))).select_one("#webhook-id").get_text(strip=True)
    for path in (f"{base}/{theirs['id']}", f"{base}/{theirs['id']}/deliveries"):
        resp = ops.get(path)
        assert resp.status_code == 404 and "No such endpoint" in resp.text, describe(resp)
    for action, form in (("/delete", {"confirm": theirs["id"]}), ("/disable", {}), ("/test", {}), ("/rotate-secret", {})):
        assert ops.post(f"{base}/{theirs['id']}{action}", form).status_code == 404
    # Their delivery under my endpoint: not found either.
    resp = ops.post(f"{base}/{mine}/deliveries/{queued['id']}/redeliver")
    assert resp.status_code == 404 and "No such delivery" in resp.text, describe(resp)
    assert ops.post(f"{base}/{mine}/deliveries/{queued['id']}/redeliver", csrf=None).status_code == 400
    shown = admin.get(f"/tenants/{other_tenant.slug}/webhooks/{theirs['id']}").json()
    assert shown["enabled"] is True, shown
    assert ops.get("/tenants/no-such-tenant/webhooks").status_code == 404
    # Pages: the list a page at a time.
    for _ in range(2):
        ops.post(base, create_form(receiver.url, []))
    first = ops.get(base, limit=2)
    link = soup(first).select_one("#next-page")
    assert len(soup(first).select("tr[data-webhook-id]")) == 2 and link is not None, describe(first)
    second = ops.http.get(ops.base.removesuffix("/admin") + link["href"], allow_redirects=False)
    assert len(soup(second).select("tr[data-webhook-id]")) == 1, describe(second)


def test_operator_creates_and_tests_an_endpoint_in_chromium(hooks_server, admin, tenant, receiver, artifacts_dir):
    operator = operator_made(admin)
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, hooks_server.public_url, operator, artifacts_dir)
        drv.get(f"{hooks_server.public_url}/admin/tenants/{tenant.slug}")
        wait_heading(drv, f"Tenant {tenant.slug}")
        click_css(drv, "#webhooks-link")
        wait_heading(drv, f"Webhooks of {tenant.slug}")
        click_css(drv, "#new-webhook")
        wait_heading(drv, "New webhook endpoint")
        fill(drv, url="https://10.9.8.7/hook", description="Chromium")
        click_to_page(drv, "#create", "New webhook endpoint")
        assert "allowed_private_networks" in drv.find_element(By.ID, "url-error").text
        save(drv, artifacts_dir, "console-webhook-new-errors.png")
        fill(drv, url=receiver.url)
        click_css(drv, "#event-user\\.created")
        click_css(drv, "#create")
        wait_heading(drv, "Webhook endpoint")
        secret = drv.find_element(By.ID, "webhook-secret").text
        assert secret.startswith("whsec_")
        save(drv, artifacts_dir, "console-webhook-created.png")
        click_css(drv, "#send-test")
        wait_heading(drv, "Deliveries")
        deadline = time.monotonic() + 30
        while not drv.find_elements(By.CSS_SELECTOR, "tr[data-status=delivered]"):
            assert time.monotonic() < deadline, "the test event was not delivered"
            time.sleep(0.3)
            drv.refresh()
            wait_heading(drv, "Deliveries")
        event_id = drv.find_element(By.CSS_SELECTOR, "tr[data-status=delivered]").get_attribute("data-event-id")
        assert receipt_of(receiver, event_id).verify(secret)["type"] == "webhook.test"
        save(drv, artifacts_dir, "console-webhook-deliveries.png")
        click_css(drv, "#webhook-link")
        wait_heading(drv, "Webhook endpoint")
        assert not drv.find_elements(By.ID, "webhook-secret"), "the secret is shown once"
        save(drv, artifacts_dir, "console-webhook.png")
        drv.get(f"{hooks_server.public_url}/admin/tenants/{tenant.slug}/webhooks")
        wait_heading(drv, f"Webhooks of {tenant.slug}")
        save(drv, artifacts_dir, "console-webhooks.png")
