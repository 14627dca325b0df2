"""The admin console's audit log and signing keys pages of one tenant (docs/contract.md A7, A9, A10).

The audit page lists the tenant's entries newest first with the admin API's filters (type, actor,
user, organization, time range; a filter the API refuses is shown next to its field), a page at a
time, and an entry's page shows what it recorded, redacted as stored; an operator's console change
appears there under its filter. The keys page lists the keys the admin API lists (never private
material) and rotates them once the slug is typed: the new kid is in the JWKS at once and the
rotation is an audit entry whose actor is the operator. Forms are CSRF-checked, and another
tenant's entries are 404 here.

Screenshots (Chromium): $ARTIFACTS_DIR/console-audit*.png, console-keys*.png."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from selenium.webdriver.common.by import By

from accounts_chromium import chromium_driver, click_css, fill, save, wait_heading
from console_helpers import (
    PASSWORD, by_operator, click_to_page, error, operator, operator_made, ops, sign_in_with_enrolment, soup,
)  # noqa: F401 - operator and ops are fixtures
from gatehouse_client import describe, unique_email


def entries(resp) -> list[tuple[str, str]]:
    """The audit page's rows: (entry id, type)."""
    assert resp.status_code == 200, describe(resp)
    return [(row["data-entry-id"], row["data-type"]) for row in soup(resp).select("tr[data-entry-id]")]


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def kids(resp) -> dict[str, str]:
    """The keys page's rows: kid → status."""
    assert resp.status_code in (200, 422), describe(resp)
    return {row["data-kid"]: row["data-status"] for row in soup(resp).select("tr[data-kid]")}


def test_an_operators_change_is_on_the_audit_page_with_its_filters(ops, admin, tenant, other_tenant, operator):
    audit = f"/tenants/{tenant.slug}/audit"
    address = unique_email("audited")
    form = {"email": address, "name": "Audited", "password": PASSWORD, "email_verified": "on"}
    assert ops.post(f"/tenants/{tenant.slug}/users", form, csrf=None).status_code == 400
    resp = ops.post(f"/tenants/{tenant.slug}/users", form)
    assert resp.status_code == 303, describe(resp)
    user_id = resp.headers["Location"].split("/users/")[1].split("?")[0]
    secret = {"public_metadata": "{}", "private_metadata": '{"ssn": "078-05-1120"}'}
    assert ops.post(f"/tenants/{tenant.slug}/users/{user_id}/metadata", secret).status_code == 303
    created = by_operator(admin, tenant.slug, "user.created", operator)
    updated = by_operator(admin, tenant.slug, "user.updated", operator)

    # Newest first, as the admin API lists them.
    listed = [e["id"] for e in admin.get(f"/tenants/{tenant.slug}/audit", params={"limit": 50}).json()["events"]]
    assert [i for i, _ in entries(ops.get(audit))] == listed

    # Filters: type, actor, user, time range; an empty field is no filter.
    assert entries(ops.get(audit, type="user.created")) == [(created["id"], "user.created")]
    by_actor = entries(ops.get(audit, actor=operator["id"]))
    assert by_actor[:2] == [(updated["id"], "user.updated"), (created["id"], "user.created")], by_actor
    assert {t for _, t in entries(ops.get(audit, user_id=user_id))} == {"user.created", "user.updated"}
    assert entries(ops.get(audit, type="", actor="", since="", until="")) == entries(ops.get(audit))
    now = datetime.now(timezone.utc)
    assert entries(ops.get(audit, since=rfc3339(now + timedelta(hours=1)))) == []
    assert entries(ops.get(audit, until=rfc3339(now - timedelta(days=1)))) == []
    hour = timedelta(hours=1)
    window = entries(ops.get(audit, type="user.updated", since=rfc3339(now - hour), until=rfc3339(now + hour)))
    assert window == [(updated["id"], "user.updated")], window
    page = ops.get(audit, since="yesterday", actor="x" * 201, type="user.created")
    assert page.status_code == 422, describe(page)
    assert "RFC 3339" in error(page, "since") and "200 bytes" in error(page, "actor")
    assert soup(page).select_one("#since")["value"] == "yesterday" and not soup(page).select("tr[data-entry-id]")

    # A page at a time, the filters kept.
    for _ in range(2):
        tenant.create_user()
    first = ops.get(audit, type="user.created", limit=2)
    link = soup(first).select_one("#next-page")
    assert len(entries(first)) == 2 and link is not None and "type=user.created" in link["href"], describe(first)
    second = ops.http.get(ops.base.removesuffix("/admin") + link["href"], allow_redirects=False)
    assert entries(second) == [(created["id"], "user.created")], describe(second)

    # The entry's page: what was recorded, redacted as stored.
    detail = ops.get(f"{audit}/{updated['id']}")
    assert detail.status_code == 200, describe(detail)
    shown = soup(detail)
    assert shown.select_one("#entry-type").get_text(strip=True) == "user.updated"
    assert shown.select_one("#entry-actor").get_text(strip=True) == f"operator {operator['id']}"
    data = json.loads(shown.select_one("#entry-data").get_text())
    assert data["private_metadata"] == "[redacted]" and data["id"] == user_id, data
    assert "078-05-1120" not in detail.text
    assert shown.select_one("#entry-hash").get_text(strip=True) == updated["hash"]
    made = json.loads(soup(ops.get(f"{audit}/{created['id']}")).select_one("#entry-data").get_text())
    assert made["password"] == "[redacted]" and PASSWORD not in json.dumps(made), made

    # Another tenant's entry, or none, is not here.
    theirs = other_tenant.create_user()
    their_entry = admin.get(f"/tenants/{other_tenant.slug}/audit", params={"user_id": theirs.id}).json()["events"][0]
    for missing in (their_entry["id"], "evt_01HZZZZZZZZZZZZZZZZZZZZZZZ", "nothing"):
        resp = ops.get(f"{audit}/{missing}")
        assert resp.status_code == 404 and "No such entry" in resp.text, describe(resp)
    assert entries(ops.get(audit, user_id=theirs.id)) == []
    assert ops.get("/tenants/no-such-tenant/audit").status_code == 404
    assert soup(ops.get(f"/tenants/{tenant.slug}")).select_one("#audit-link")["href"] == f"/admin{audit}"


def test_keys_are_listed_and_rotated_into_the_jwks(ops, admin, tenant, operator):
    path = f"/tenants/{tenant.slug}/keys"
    published = {k["kid"] for k in tenant.jwks["keys"]}
    listed = {k["kid"]: k["status"] for k in admin.get(f"{path}").json()["keys"]}
    page = ops.get(path)
    assert kids(page) == listed and set(listed) <= published, (kids(page), listed, published)
    assert "sealed" not in page.text.lower() and "PRIVATE" not in page.text
    assert soup(page).select_one("#jwks-link")["href"] == tenant.endpoint("jwks_uri")
    assert soup(ops.get(f"/tenants/{tenant.slug}")).select_one("#keys-link")["href"] == f"/admin{path}"

    # Refused: no CSRF token, the slug not typed, an algorithm the tenant does not enable.
    for token in (None, "forged"):
        assert ops.post(f"{path}/rotate", {"confirm": tenant.slug}, csrf=token).status_code == 400
    resp = ops.post(f"{path}/rotate", {"confirm": "other"})
    assert resp.status_code == 422 and tenant.slug in error(resp, "confirm"), describe(resp)
    resp = ops.post(f"{path}/rotate", [("algorithms", "HS256"), ("confirm", tenant.slug)])
    assert resp.status_code == 422 and "not enabled" in error(resp, "algorithms"), describe(resp)
    assert {k["kid"] for k in admin.get(path).json()["keys"]} == set(listed), "nothing rotated"

    resp = ops.post(f"{path}/rotate", {"confirm": tenant.slug})
    assert resp.status_code == 200, describe(resp)
    fresh = [row["data-kid"] for row in soup(resp).select("tr[data-kid]") if row.select_one(".key-new")]
    assert len(fresh) == 1 and fresh[0] not in listed, describe(resp)
    assert fresh[0] in soup(resp).select_one(".notice").get_text()
    assert kids(resp)[fresh[0]] == "next", kids(resp)
    assert fresh[0] in {k["kid"] for k in tenant.jwks["keys"]}, "published in the JWKS at once"
    assert {k["kid"]: k["status"] for k in admin.get(path).json()["keys"]} == kids(ops.get(path))
    entry = by_operator(admin, tenant.slug, "signing_key.rotated", operator)
    assert entry["target_type"] == "signing_key", entry
    assert entries(ops.get(f"/tenants/{tenant.slug}/audit", type="signing_key.rotated"))[0][0] == entry["id"]
    assert ops.get("/tenants/no-such-tenant/keys").status_code == 404
    assert ops.post("/tenants/no-such-tenant/keys/rotate", {"confirm": "no-such-tenant"}).status_code == 404


def test_operator_reads_the_audit_log_and_rotates_keys_in_chromium(public_url, admin, tenant, artifacts_dir):
    operator = operator_made(admin)
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, public_url, operator, artifacts_dir)
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}")
        wait_heading(drv, f"Tenant {tenant.slug}")
        click_css(drv, "#keys-link")
        wait_heading(drv, f"Signing keys of {tenant.slug}")
        save(drv, artifacts_dir, "console-keys.png")
        fill(drv, confirm=tenant.slug)
        click_to_page(drv, "#rotate-keys", f"Signing keys of {tenant.slug}")
        new = drv.find_element(By.CSS_SELECTOR, "tr[data-status=next]").get_attribute("data-kid")
        assert new in {k["kid"] for k in tenant.jwks["keys"]}
        save(drv, artifacts_dir, "console-keys-rotated.png")

        drv.get(f"{public_url}/admin/tenants/{tenant.slug}")
        wait_heading(drv, f"Tenant {tenant.slug}")
        click_css(drv, "#audit-link")
        wait_heading(drv, f"Audit log of {tenant.slug}")
        fill(drv, type="signing_key.rotated")
        click_to_page(drv, "#filter", f"Audit log of {tenant.slug}")
        rows = drv.find_elements(By.CSS_SELECTOR, "tr[data-entry-id]")
        assert [r.get_attribute("data-type") for r in rows] == ["signing_key.rotated"], drv.page_source
        save(drv, artifacts_dir, "console-audit.png")
        sequence = drv.find_element(By.CSS_SELECTOR, "tr[data-entry-id] td a").text
        click_css(drv, "tr[data-entry-id] td a")
        wait_heading(drv, f"Audit entry {sequence}")
        assert drv.find_element(By.ID, "entry-actor").text == f"operator {operator['id']}"
        save(drv, artifacts_dir, "console-audit-entry.png")
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}/audit?since=yesterday")
        wait_heading(drv, f"Audit log of {tenant.slug}")
        assert "RFC 3339" in drv.find_element(By.ID, "since-error").text
        save(drv, artifacts_dir, "console-audit-errors.png")
