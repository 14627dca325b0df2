"""The admin console's upstream providers of a tenant: list with redirect URIs, creation through
the admin API's rules (bad input next to its field, nothing saved), the write-only client secret
(left empty it stays), deletion with the slug typed; audited as the admin API records them;
another tenant's provider a 404 page; screenshots in Chromium."""

from __future__ import annotations

from accounts_chromium import chromium_driver, click_css, save, wait_heading
from console_helpers import (  # noqa: F401 - operator and ops are fixtures
    by_operator, click_to_page, error, operator, operator_made, ops, sign_in_with_enrolment, soup,
)
from gatehouse_client import describe

FORM = {
    "kind": "oidc", "name": "Corp SSO", "client_id": "gatehouse", "client_secret": "s3cret-value",
    "discovery_url": "https://sso.example.com/.well-known/openid-configuration", "scopes": "openid email", "enabled": "on",
}


def test_providers_created_edited_and_deleted(ops, admin, tenant, other_tenant, operator):
    base = f"/tenants/{tenant.slug}/providers"
    bad = ops.post(base, {**FORM, "discovery_url": "ftp://nope", "client_id": ""})
    assert bad.status_code == 422 and error(bad, "discovery_url") and error(bad, "client_id"), describe(bad)
    assert "s3cret-value" not in bad.text and admin.get(f"/tenants/{tenant.slug}/providers").json()["providers"] == []

    made = ops.post(base, FORM)
    assert made.status_code == 303, describe(made)
    provider_id = made.headers["Location"].split("/providers/")[1].split("?")[0]
    shown = admin.get(f"/tenants/{tenant.slug}/providers/{provider_id}").json()
    assert shown["slug"] == "corp-sso" and shown["client_secret_set"] is True and shown["scopes"] == ["openid", "email"]
    entry = by_operator(admin, tenant.slug, "provider.created", operator)
    assert entry["target_id"] == provider_id and entry["data"]["client_secret"] == "[redacted]", entry
    listing = ops.get(base)
    row = soup(listing).select_one(f"tr[data-provider-id='{provider_id}']")
    assert row is not None and shown["redirect_uri"] in row.get_text(), describe(listing)
    page = ops.get(f"{base}/{provider_id}")
    assert "s3cret-value" not in page.text and soup(page).select_one("#client_secret")["value"] == ""

    # An edit with the secret left empty keeps it; turning it off hides it from the login page.
    edited = ops.post(f"{base}/{provider_id}", {**{k: v for k, v in FORM.items() if k not in ("kind", "enabled")}, "client_secret": ""})
    assert edited.status_code == 303, describe(edited)
    shown = admin.get(f"/tenants/{tenant.slug}/providers/{provider_id}").json()
    assert shown["enabled"] is False and shown["client_secret_set"] is True

    assert ops.get(f"/tenants/{other_tenant.slug}/providers/{provider_id}").status_code == 404
    wrong = ops.post(f"{base}/{provider_id}/delete", {"confirm": "nope"})
    assert wrong.status_code == 422 and error(wrong, "confirm"), describe(wrong)
    assert ops.post(f"{base}/{provider_id}/delete", {"confirm": "corp-sso"}).status_code == 303
    assert admin.get(f"/tenants/{tenant.slug}/providers/{provider_id}").status_code == 404
    assert by_operator(admin, tenant.slug, "provider.deleted", operator)["target_id"] == provider_id


def test_provider_pages_in_chromium(public_url, admin, tenant, artifacts_dir):
    made = admin.post(f"/tenants/{tenant.slug}/providers", json={
        "kind": "github", "name": "GitHub", "client_id": "gh-client", "client_secret": "gh-secret"}).json()
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, public_url, operator_made(admin), artifacts_dir)
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}")
        wait_heading(drv, f"Tenant {tenant.slug}")
        click_css(drv, "#providers-link")
        wait_heading(drv, f"Providers of {tenant.slug}")
        save(drv, artifacts_dir, "console-providers.png")
        click_to_page(drv, f"tr[data-provider-id='{made['id']}'] a", "Provider GitHub")
        save(drv, artifacts_dir, "console-provider.png")
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}/providers/new")
        wait_heading(drv, f"New provider in {tenant.slug}")
        save(drv, artifacts_dir, "console-provider-new.png")
