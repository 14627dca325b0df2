"""The admin console's whole journey in one Chromium session, as the issue states it: an operator
signs in with TOTP, creates a tenant, a client and a user, edits the tenant's login template with
a preview, sees the change on the tenant's login page, rolls it back and sees it gone. A
screenshot of every step lands in ``artifacts/``."""

from __future__ import annotations

import secrets

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from accounts_chromium import chromium_driver, click_css, fill, save, wait_heading
from console_helpers import PASSWORD, click_to_page, operator_made, sign_in_with_enrolment
from gatehouse_client import unique_email

MARK = "Welcome to the journey tenant"


def test_operator_journey_in_chromium(public_url, admin, artifacts_dir):
    slug = f"journey-{secrets.token_hex(3)}"
    address = unique_email("journey")
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, public_url, operator_made(admin), artifacts_dir)
        click_css(drv, "#new-tenant")
        wait_heading(drv, "New tenant")
        fill(drv, slug=slug, name="Journey Co")
        click_css(drv, "#create")
        wait_heading(drv, f"Tenant {slug}")
        save(drv, artifacts_dir, "journey-1-tenant.png")

        drv.get(f"{public_url}/admin/tenants/{slug}/clients/new")
        wait_heading(drv, "New client")
        fill(drv, name="Journey app", redirect_uris="https://journey.example/cb")
        click_css(drv, "#create")
        wait_heading(drv, "Client Journey app")
        assert drv.find_element(By.ID, "client-secret").text.startswith("sk_")
        save(drv, artifacts_dir, "journey-2-client.png")

        drv.get(f"{public_url}/admin/tenants/{slug}/users/new")
        wait_heading(drv, "New user")
        fill(drv, email=address, name="Journey User", password=PASSWORD)
        click_css(drv, "#create")
        wait_heading(drv, f"User {address}")
        save(drv, artifacts_dir, "journey-3-user.png")

        drv.get(f"{public_url}/admin/tenants/{slug}/templates/page/login")
        wait_heading(drv, "Template page/login")
        area = drv.find_element(By.ID, "body")
        edited = area.get_attribute("value").replace("{{> _head}}", f'{{{{> _head}}}}\n<p class="lead" id="custom-note">{MARK}</p>', 1)
        drv.execute_script("arguments[0].value = arguments[1]", area, edited)
        click_css(drv, "#preview-template")
        drv.switch_to.frame("preview")
        WebDriverWait(drv, 15).until(lambda d: MARK in d.page_source)
        drv.switch_to.default_content()
        save(drv, artifacts_dir, "journey-4-preview.png")
        click_to_page(drv, "#save-template", "Template page/login")
        issuer = admin.get(f"/tenants/{slug}").json()["issuer"]
        drv.get(f"{issuer}/account")
        assert drv.find_element(By.ID, "custom-note").text == MARK
        save(drv, artifacts_dir, "journey-5-login-changed.png")

        drv.get(f"{public_url}/admin/tenants/{slug}/templates/page/login")
        wait_heading(drv, "Template page/login")
        click_to_page(drv, "#reset-template", "Template page/login")
        save(drv, artifacts_dir, "journey-6-rolled-back.png")
        drv.get(f"{issuer}/account")
        assert not drv.find_elements(By.ID, "custom-note")
        save(drv, artifacts_dir, "journey-7-login-restored.png")
