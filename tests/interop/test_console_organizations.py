"""The admin console's organizations of a tenant (docs/contract.md A8, A10): list with search,
creation with an owner, the settings form, members added by email, role changes, the last owner
kept, removal and deletion with a typed confirmation; bad input shown next to its field with
nothing changed; every change audited as the admin API records it; another tenant's
organization a 404 page."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from accounts_chromium import chromium_driver, click_css, save, wait_heading
from console_helpers import (  # noqa: F401 - operator and ops are fixtures
    by_operator, click_to_page, error, operator, operator_made, ops, sign_in_with_enrolment, soup,
)
from gatehouse_client import describe
from test_console_users_clients import outbox_text


def members(resp) -> dict[str, str]:
    assert resp.status_code == 200, describe(resp)
    return {row["data-member"]: row.select_one("select option[selected]")["value"] for row in soup(resp).select("tr[data-member]")}


def test_organizations_members_and_deletion(ops, admin, tenant, other_tenant, operator):
    base = f"/tenants/{tenant.slug}/organizations"
    owner, member = tenant.create_user(), tenant.create_user()
    bad = ops.post(base, {"name": "", "org_slug": "Not A Slug", "owner_email": "nobody@example.test"})
    assert bad.status_code == 422 and error(bad, "org_slug") and error(bad, "owner_email") and error(bad, "name"), describe(bad)
    assert admin.get(f"/tenants/{tenant.slug}/organizations").json()["organizations"] == []

    made = ops.post(base, {"name": "Customer A", "org_slug": "customer-a", "owner_email": owner.email})
    assert made.status_code == 303, describe(made)
    org_id = made.headers["Location"].split("/organizations/")[1].split("?")[0]
    assert by_operator(admin, tenant.slug, "organization.created", operator)["target_id"] == org_id
    listing = ops.get(base, q="customer")
    assert [r["data-organization-id"] for r in soup(listing).select("tr[data-organization-id]")] == [org_id]
    page_url = f"{base}/{org_id}"
    assert members(ops.get(page_url)) == {owner.id: "owner"}

    # Members: an unknown email or role is refused next to its field; then added, promoted, removed.
    refused = ops.post(f"{page_url}/members", {"email": "ghost@example.test", "role": "member"})
    assert refused.status_code == 422 and error(refused, "email"), describe(refused)
    assert ops.post(f"{page_url}/members", {"email": member.email, "role": "member"}).status_code == 303
    assert members(ops.get(page_url)) == {owner.id: "owner", member.id: "member"}
    last = ops.post(f"{page_url}/members/{owner.id}", {"role": "member"})
    assert last.status_code == 409 and "last owner" in last.text, describe(last)
    assert ops.post(f"{page_url}/members/{member.id}", {"role": "owner"}).status_code == 303
    assert ops.post(f"{page_url}/members/{owner.id}/remove").status_code == 303
    assert members(ops.get(page_url)) == {member.id: "owner"}
    entry = by_operator(admin, tenant.slug, "membership.deleted", operator)
    assert entry["organization_id"] == org_id and entry["user_id"] == owner.id, entry

    # Settings: refused metadata changes nothing; a good form saves.
    bad = ops.post(page_url, {"name": "Customer A", "org_slug": "customer-a", "public_metadata": "[1, 2]"})
    assert bad.status_code == 422 and error(bad, "public_metadata"), describe(bad)
    saved = ops.post(page_url, {"name": "Customer A2", "org_slug": "customer-a", "mfa_required": "on", "public_metadata": '{"tier": "gold"}'})
    assert saved.status_code == 303, describe(saved)
    shown = admin.get(f"/tenants/{tenant.slug}/organizations/{org_id}").json()
    assert shown["name"] == "Customer A2" and shown["mfa_required"] is True and shown["public_metadata"] == {"tier": "gold"}

    # Another tenant has no such organization; deletion needs the slug typed.
    assert ops.get(f"/tenants/{other_tenant.slug}/organizations/{org_id}").status_code == 404
    assert ops.post(f"/tenants/{other_tenant.slug}/organizations/{org_id}/delete", {"confirm": "customer-a"}).status_code == 404
    wrong = ops.post(f"{page_url}/delete", {"confirm": "nope"})
    assert wrong.status_code == 422 and error(wrong, "confirm"), describe(wrong)
    assert ops.post(f"{page_url}/delete", {"confirm": "customer-a"}).status_code == 303
    assert admin.get(f"/tenants/{tenant.slug}/organizations/{org_id}").status_code == 404
    assert by_operator(admin, tenant.slug, "organization.deleted", operator)["target_id"] == org_id


def test_organization_pages_in_chromium(public_url, admin, tenant, artifacts_dir):
    owner = tenant.create_user()
    org = admin.post(
        f"/tenants/{tenant.slug}/organizations", json={"name": "Chromium Inc", "slug": "chromium-inc", "owner_user_id": owner.id}
    ).json()
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, public_url, operator_made(admin), artifacts_dir)
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}")
        wait_heading(drv, f"Tenant {tenant.slug}")
        click_css(drv, "#organizations-link")
        wait_heading(drv, f"Organizations of {tenant.slug}")
        save(drv, artifacts_dir, "console-organizations.png")
        click_to_page(drv, f"tr[data-organization-id='{org['id']}'] a", "Organization Chromium Inc")
        assert drv.find_element(By.CSS_SELECTOR, f"tr[data-member='{owner.id}']").text.startswith(owner.email)
        save(drv, artifacts_dir, "console-organization.png")
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}/organizations/new")
        wait_heading(drv, f"New organization in {tenant.slug}")
        save(drv, artifacts_dir, "console-organization-new.png")
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}/roles")
        wait_heading(drv, f"Organization roles of {tenant.slug}")
        save(drv, artifacts_dir, "console-roles.png")


def test_invitations_from_the_console(ops, admin, tenant, server, operator):
    owner = tenant.create_user()
    org = admin.post(f"/tenants/{tenant.slug}/organizations", json={"name": "Inv", "slug": "inv", "owner_user_id": owner.id}).json()
    page_url = f"/tenants/{tenant.slug}/organizations/{org['id']}"
    bad = ops.post(f"{page_url}/invitations", {"email": "not an address", "role": "member"})
    assert bad.status_code == 422 and soup(bad).select_one("#invite-email-error"), describe(bad)
    assert ops.post(f"{page_url}/invitations", {"email": "guest@example.test", "role": "member"}).status_code == 303
    again = ops.post(f"{page_url}/invitations", {"email": "guest@example.test", "role": "member"})
    assert again.status_code == 409 and soup(again).select_one("#invite-email-error"), describe(again)
    assert outbox_text(server, "guest@example.test", "Inv")
    listed = admin.get(f"{page_url}/invitations").json()["invitations"]
    assert [i["email"] for i in listed] == ["guest@example.test"] and listed[0]["status"] == "pending"
    entry = by_operator(admin, tenant.slug, "invitation.created", operator)
    assert entry["organization_id"] == org["id"], entry
    assert ops.post(f"{page_url}/invitations/{listed[0]['id']}/revoke").status_code == 303
    assert admin.get(f"{page_url}/invitations").json()["invitations"][0]["status"] == "revoked"
    assert ops.post(f"{page_url}/invitations/inv_00000000000000000000000000/revoke").status_code == 404


def test_domains_and_sso_from_the_console(ops, admin, tenant, operator):
    owner = tenant.create_user()
    org = admin.post(f"/tenants/{tenant.slug}/organizations", json={"name": "Dom", "slug": "dom", "owner_user_id": owner.id}).json()
    provider = admin.post(f"/tenants/{tenant.slug}/providers", json={"kind": "github", "name": "GH", "client_id": "c", "client_secret": "s"}).json()
    base = f"/tenants/{tenant.slug}/organizations/{org['id']}"
    api = f"/tenants/{tenant.slug}/organizations/{org['id']}"
    bad = ops.post(f"{base}/domains", {"domain": "not a domain", "default_role": "member"})
    assert bad.status_code == 422 and error(bad, "domain"), describe(bad)
    assert ops.post(f"{base}/domains", {"domain": "Dom.Example", "auto_join": "on", "default_role": "member"}).status_code == 303
    domains = admin.get(f"{api}/domains").json()["domains"]
    assert [(d["domain"], d["auto_join"], d["verified"]) for d in domains] == [("dom.example", True, False)], domains
    assert ops.post(f"{base}/domains/dom.example/verify").status_code == 303
    assert admin.get(f"{api}/domains").json()["domains"][0]["verified"] is True
    assert by_operator(admin, tenant.slug, "organization_domain.verified", operator)["organization_id"] == org["id"]

    refused = ops.post(f"{base}/sso", {"provider_id": "idp_00000000000000000000000000", "sso_role": "member"})
    assert refused.status_code == 422 and error(refused, "provider_id"), describe(refused)
    assert ops.post(f"{base}/sso", {"provider_id": provider["id"], "enforced": "on", "sso_role": "member"}).status_code == 303
    sso = admin.get(f"{api}/sso").json()
    assert sso["provider_id"] == provider["id"] and sso["enforced"] is True, sso
    page = ops.get(base)
    assert "GH" in soup(page).select_one("#sso-status").get_text()
    assert ops.post(f"{base}/sso/remove").status_code == 303
    assert admin.get(f"{api}/sso").status_code == 404
    assert ops.post(f"{base}/domains/dom.example/remove").status_code == 303
    assert admin.get(f"{api}/domains").json()["domains"] == []
    assert ops.post(f"{base}/domains/dom.example/verify").status_code == 404


def test_roles_from_the_console(ops, admin, tenant, operator):
    base = f"/tenants/{tenant.slug}/roles"
    page = ops.get(base)
    assert {r["data-role"] for r in soup(page).select("tr[data-role]")} >= {"owner", "member"}, describe(page)
    bad = ops.post(base, {"name": "Bad Name", "permissions": "ok:read", "description": ""})
    assert bad.status_code == 422 and soup(bad).select_one("#name-error"), describe(bad)
    builtin = ops.post(base, {"name": "owner", "permissions": "x:y", "description": ""})
    assert builtin.status_code == 422, describe(builtin)
    assert ops.post(base, {"name": "billing", "permissions": "invoices:read invoices:write", "description": "Pays"}).status_code == 303
    assert by_operator(admin, tenant.slug, "role.created", operator)["target_id"] == "billing"
    shown = admin.get(f"/tenants/{tenant.slug}/roles/billing").json()
    assert shown["permissions"] == ["invoices:read", "invoices:write"] and shown["description"] == "Pays"
    assert ops.post(f"{base}/billing", {"permissions": "invoices:read", "description": ""}).status_code == 303
    assert admin.get(f"/tenants/{tenant.slug}/roles/billing").json()["permissions"] == ["invoices:read"]
    # A held role stays; a built-in one too.
    owner = tenant.create_user()
    org = admin.post(f"/tenants/{tenant.slug}/organizations", json={"name": "R", "slug": "r", "owner_user_id": owner.id}).json()
    member = tenant.create_user()
    admin.post(f"/tenants/{tenant.slug}/organizations/{org['id']}/members", json={"user_id": member.id, "role": "billing"})
    held = ops.post(f"{base}/billing/delete")
    assert held.status_code == 409 and "hold" in held.text, describe(held)
    assert ops.post(f"{base}/owner/delete").status_code == 409
    admin.delete(f"/tenants/{tenant.slug}/organizations/{org['id']}/members/{member.id}")
    assert ops.post(f"{base}/billing/delete").status_code == 303
    assert admin.get(f"/tenants/{tenant.slug}/roles/billing").status_code == 404
    assert ops.post(f"{base}/nope/delete").status_code == 404
