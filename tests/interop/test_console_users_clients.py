"""The admin console's users and clients pages of one tenant (docs/contract.md A10): an operator
searches users (email, name or id) a page at a time, creates them, and on a user's page disables
and enables, marks the email verified, sends a password reset link, removes the second factors,
ends sessions, edits the metadata and deletes with the email typed; lists, creates (the secret
key shown once), edits, re-keys and deletes clients. Forms are CSRF-checked, refused input comes
back with each problem next to its field (the admin API's own validation) and changes nothing,
another tenant's ids are 404 here, and every change is an audit entry of the tenant whose actor
is the operator.

Screenshots (Chromium): $ARTIFACTS_DIR/console-user-*.png, console-client-*.png."""

from __future__ import annotations

import email
import email.policy
import json
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from selenium.webdriver.common.by import By

from accounts_chromium import chromium_driver, click_css, fill, save, wait_heading
from accounts_pages import Console, follow_on, heading
from console_helpers import (  # noqa: F401 - operator and ops are fixtures
    PASSWORD, by_operator, error, operator, operator_made, ops, sign_in_with_enrolment, soup,
)
from gatehouse_client import Browser, describe, find_form, is_login_form, unique_email


def rows(resp: requests.Response, attribute: str) -> list[str]:
    return [row[attribute] for row in soup(resp).select(f"tr[{attribute}]")]


def account_sign_in(tenant, address: str, password: str) -> requests.Response:
    """A password sign-in to the tenant's account console; returns the page it ends on."""
    browser = Browser()
    page = follow_on(browser, browser.get(f"{tenant.issuer}/account"))
    form = find_form(page.text, is_login_form)
    assert form is not None, describe(page)
    return follow_on(browser, browser.submit(page, form, {"email": address, "password": password}))


# --------------------------------------------------------------------------- users


def test_users_search_pages_and_creation(ops, admin, tenant, other_tenant, operator):
    marker = secrets.token_hex(4)
    made = [tenant.create_user(name=f"Page {marker} {i}", email_verified=False) for i in range(3)]
    first = ops.get(f"/tenants/{tenant.slug}/users", q=marker, limit=2)
    assert first.status_code == 200, describe(first)
    link = soup(first).select_one("#next-page")
    assert len(rows(first, "data-user-id")) == 2 and link is not None, describe(first)
    second = ops.http.get(ops.base.removesuffix("/admin") + link["href"], allow_redirects=False)
    assert soup(second).select_one("#next-page") is None, describe(second)
    shown = rows(first, "data-user-id") + rows(second, "data-user-id")
    assert shown == sorted(u.id for u in made), shown
    # By id, by part of the email; another tenant's id finds nothing here.
    assert rows(ops.get(f"/tenants/{tenant.slug}/users", q=made[1].id), "data-user-id") == [made[1].id]
    part = made[2].email.split("@")[0][-8:]
    assert rows(ops.get(f"/tenants/{tenant.slug}/users", q=part), "data-user-id") == [made[2].id]
    stranger = other_tenant.create_user()
    assert rows(ops.get(f"/tenants/{tenant.slug}/users", q=stranger.id), "data-user-id") == []
    resp = ops.get(f"/tenants/{tenant.slug}/users/{stranger.id}")
    assert resp.status_code == 404 and "No such user" in resp.text, describe(resp)
    resp = ops.post(f"/tenants/{tenant.slug}/users/{stranger.id}/disable")
    assert resp.status_code == 404, describe(resp)
    assert admin.get(f"/tenants/{other_tenant.slug}/users/{stranger.id}").json()["disabled"] is False
    assert ops.get("/tenants/no-such-tenant/users").status_code == 404
    # The tenant page links here.
    page = soup(ops.get(f"/tenants/{tenant.slug}"))
    assert page.select_one("#users-link")["href"] == f"/admin/tenants/{tenant.slug}/users"
    assert page.select_one("#clients-link")["href"] == f"/admin/tenants/{tenant.slug}/clients"

    # Creation: refused input next to its fields, nothing created; then created.
    address = unique_email("made")
    resp = ops.post(f"/tenants/{tenant.slug}/users", {"email": "not an address", "password": "short"})
    assert resp.status_code == 422, describe(resp)
    assert "not an email address" in error(resp, "email") and "at least 8" in error(resp, "password")
    resp = ops.post(f"/tenants/{tenant.slug}/users", {"email": made[0].email, "name": "Dup"})
    assert resp.status_code == 422 and "already exists" in error(resp, "email"), describe(resp)
    assert soup(resp).select_one("#name")["value"] == "Dup", "shown as submitted"
    resp = ops.post(f"/tenants/{tenant.slug}/users", {"email": address, "email_verified": "", "password": ""}, csrf=None)
    assert resp.status_code == 400, describe(resp)
    form = {"email": address, "name": "Made Here", "password": PASSWORD, "email_verified": "on"}
    resp = ops.post(f"/tenants/{tenant.slug}/users", form)
    assert resp.status_code == 303, describe(resp)
    user_id = resp.headers["Location"].split("/users/")[1].split("?")[0]
    shown = admin.get(f"/tenants/{tenant.slug}/users/{user_id}").json()
    assert shown["email"] == address and shown["name"] == "Made Here" and shown["email_verified"] is True, shown
    assert "Your account" in heading(account_sign_in(tenant, address, PASSWORD))
    entry = by_operator(admin, tenant.slug, "user.created", operator)
    assert entry["target_id"] == user_id and entry["data"]["password"] == "[redacted]", entry
    assert PASSWORD not in json.dumps(entry)


def outbox_text(server, to: str, containing: str, timeout: float = 10.0) -> str:
    """The text of the first mail to ``to`` in the outbox folder whose text contains ``containing``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted((Path(server.data_dir) / "outbox").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(("plain",)).get_content()
            if message["To"] == to and containing in text:
                return text
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} with {containing!r} in the outbox")


def test_a_users_page_and_its_forms(ops, admin, tenant, server, operator):
    user = tenant.create_user(email_verified=False)
    path = f"/tenants/{tenant.slug}/users/{user.id}"
    console = Console(tenant, Browser())
    console.sign_in(user.email, user.password)
    console.enrol_totp()
    page = ops.get(path)
    assert page.status_code == 200 and user.email in soup(page).select_one("#page-title").get_text(), describe(page)
    sessions = [li["data-session-id"] for li in soup(page).select("li[data-session-id]")]
    assert len(sessions) == 1 and "totp" in soup(page).select_one("#factors").get_text(), describe(page)

    # Without the CSRF token, or with another, nothing changes.
    for token in (None, "forged", ops.csrf[:-2] + "xx"):
        for action in ("/disable", "/delete", f"/sessions/{sessions[0]}/revoke", "/reset-mfa"):
            resp = ops.post(path + action, {"confirm": user.email}, csrf=token)
            assert resp.status_code == 400, describe(resp)
    assert admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()["disabled"] is False

    # A session ended here is gone: from the page, the admin API and the user's browser.
    resp = ops.post(f"{path}/sessions/{sessions[0]}/revoke")
    assert resp.status_code == 303 and "notice=session-revoked" in resp.headers["Location"], describe(resp)
    assert soup(ops.get(path)).select("li[data-session-id]") == []
    listed = admin.get(f"/tenants/{tenant.slug}/sessions", params={"user_id": user.id}).json()["sessions"]
    assert listed == [], listed
    assert heading(console.open()) != "Your account"
    assert ops.post(f"{path}/sessions/{sessions[0]}/revoke").status_code == 404
    assert by_operator(admin, tenant.slug, "session.revoked", operator)["target_id"] == sessions[0]

    # Second factors removed: the password alone signs in again.
    assert ops.post(f"{path}/reset-mfa").status_code == 303
    assert "No second factor" in soup(ops.get(path)).select_one("#factors").get_text()
    assert by_operator(admin, tenant.slug, "user.mfa_disabled", operator)["data"]["factor"] == "totp"
    assert "notice=mfa-none" in ops.post(f"{path}/reset-mfa").headers["Location"]

    assert ops.post(f"{path}/verify-email").status_code == 303
    assert admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()["email_verified"] is True

    # Metadata: the admin API's rules, each problem next to its field, nothing saved.
    for public, private, field, message in (
        ("{not json", "{}", "public_metadata", "valid JSON"),
        ("{}", "[1, 2]", "private_metadata", "JSON object"),
        (json.dumps({"big": "x" * 9000}), "{}", "public_metadata", "8192 bytes"),
    ):
        resp = ops.post(f"{path}/metadata", {"public_metadata": public, "private_metadata": private})
        assert resp.status_code == 422 and message in error(resp, field), describe(resp)
        assert soup(resp).select_one(f"#{field}").get_text() == (public if field.startswith("public") else private)
    assert admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()["public_metadata"] == {}
    metadata = {"public_metadata": '{"plan": "pro"}', "private_metadata": '{"crm": 42}'}
    assert ops.post(f"{path}/metadata", metadata).status_code == 303
    shown = admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()
    assert shown["public_metadata"] == {"plan": "pro"} and shown["private_metadata"] == {"crm": 42}, shown
    assert json.loads(soup(ops.get(path)).select_one("#public_metadata").get_text()) == {"plan": "pro"}

    # The "Forgot password" mail, sent by the operator.
    assert ops.post(f"{path}/reset-password").status_code == 303
    assert "reset the password" in outbox_text(server, user.email, f"{tenant.issuer}/reset?token=")
    assert by_operator(admin, tenant.slug, "user.password_reset_sent", operator)["target_id"] == user.id

    # Disabled: no sign-in and no reset mail; enabled: signs in again.
    resp = ops.post(f"{path}/disable")
    assert resp.status_code == 303 and "notice=disabled" in resp.headers["Location"], describe(resp)
    assert admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()["disabled"] is True
    assert heading(account_sign_in(tenant, user.email, user.password)) != "Your account"
    resp = ops.post(f"{path}/reset-password")
    assert resp.status_code == 422 and "enable the user first" in resp.text, describe(resp)
    assert by_operator(admin, tenant.slug, "user.updated", operator)["changes"] == ["disabled"]
    assert ops.post(f"{path}/enable").status_code == 303
    assert heading(account_sign_in(tenant, user.email, user.password)) == "Your account"

    # Deleting needs the email typed exactly.
    resp = ops.post(f"{path}/delete", {"confirm": "someone@else"})
    assert resp.status_code == 422 and user.email in error(resp, "confirm"), describe(resp)
    resp = ops.post(f"{path}/delete", {"confirm": user.email})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/users?notice=deleted"), describe(resp)
    assert admin.get(f"/tenants/{tenant.slug}/users/{user.id}").status_code == 404
    assert by_operator(admin, tenant.slug, "user.deleted", operator)["target_id"] == user.id
    assert ops.get(path).status_code == 404


# --------------------------------------------------------------------------- clients


def client_form(name: str, kind: str | None, uris: str, grants: list[str], **extra) -> list:
    form = [("name", name), ("redirect_uris", uris), ("post_logout_redirect_uris", "")]
    if kind:
        form.append(("type", kind))
    return form + [("grant_types", g) for g in grants] + list(extra.items())


def credentials_work(tenant, client_id: str, secret: str) -> bool:
    resp = requests.post(
        tenant.endpoint("token_endpoint"), data={"grant_type": "client_credentials"},
        auth=(client_id, secret), timeout=15)
    return resp.status_code == 200


def test_clients_created_with_the_secret_shown_once_edited_rekeyed_deleted(ops, admin, tenant, other_tenant, operator):
    base = f"/tenants/{tenant.slug}/clients"
    before = len(admin.get(f"/tenants/{tenant.slug}/clients").json()["clients"])
    # Refused: the admin API's problems, next to their fields.
    bad = client_form("  ", "public", "https://ok.example/cb\nnot a uri", ["client_credentials", "authorization_code"])
    resp = ops.post(base, bad)
    assert resp.status_code == 422, describe(resp)
    assert error(resp, "name") and error(resp, "redirect_uris")
    assert "client_credentials" in error(resp, "grant_types")
    assert "not a uri" in soup(resp).select_one("#redirect_uris").get_text(), "shown as submitted"
    assert "public or confidential" in error(ops.post(base, client_form("X", "sideways", "", [])), "type")
    assert ops.post(base, client_form("CSRF", "public", "", []), csrf=None).status_code == 400
    assert len(admin.get(f"/tenants/{tenant.slug}/clients").json()["clients"]) == before

    grants = ["authorization_code", "refresh_token", "client_credentials"]
    resp = ops.post(base, client_form("Billing", "confidential", "https://billing.example/cb", grants, first_party="on"))
    assert resp.status_code == 201, describe(resp)
    client_id = soup(resp).select_one("#client-id").get_text(strip=True)
    secret = soup(resp).select_one("#client-secret").get_text(strip=True)
    assert client_id.startswith("pk_") and secret.startswith("sk_"), describe(resp)
    assert resp.headers["Cache-Control"] == "no-store"
    shown = admin.get(f"{base}/{client_id}").json()
    assert shown["name"] == "Billing" and shown["first_party"] is True and shown["type"] == "confidential", shown
    assert shown["redirect_uris"] == ["https://billing.example/cb"] and sorted(shown["grant_types"]) == sorted(grants)
    assert credentials_work(tenant, client_id, secret)
    page = ops.get(f"{base}/{client_id}")
    assert page.status_code == 200 and secret not in page.text and not soup(page).select("#client-secret")
    assert client_id in rows(ops.get(base), "data-client-id")
    created = by_operator(admin, tenant.slug, "client.created", operator)
    assert created["target_id"] == client_id and secret not in json.dumps(created), created

    # Edit: refused, then saved.
    edit = client_form("Billing v2", None, "http://insecure.example/cb", ["authorization_code"])
    edit += [("id_token_signed_response_alg", "none")]
    resp = ops.post(f"{base}/{client_id}", edit)
    assert resp.status_code == 422 and error(resp, "redirect_uris"), describe(resp)
    assert error(resp, "id_token_signed_response_alg")
    assert admin.get(f"/tenants/{tenant.slug}/clients/{client_id}").json()["name"] == "Billing"
    form = client_form("Billing v2", None, "https://billing.example/cb\nhttps://billing.example/cb2", grants)
    resp = ops.post(f"{base}/{client_id}", form)
    assert resp.status_code == 303 and "notice=saved" in resp.headers["Location"], describe(resp)
    shown = admin.get(f"/tenants/{tenant.slug}/clients/{client_id}").json()
    assert shown["name"] == "Billing v2" and len(shown["redirect_uris"]) == 2 and shown["first_party"] is False, shown
    assert "redirect_uris" in by_operator(admin, tenant.slug, "client.updated", operator)["changes"]

    # A new secret key, shown once; the old one stops working.
    resp = ops.post(f"{base}/{client_id}/rotate-secret", {"overlap_seconds": "soon"})
    assert resp.status_code == 422 and "integer" in error(resp, "overlap_seconds"), describe(resp)
    resp = ops.post(f"{base}/{client_id}/rotate-secret", {"overlap_seconds": ""})
    assert resp.status_code == 200, describe(resp)
    rotated = soup(resp).select_one("#client-secret").get_text(strip=True)
    assert rotated.startswith("sk_") and rotated != secret
    assert credentials_work(tenant, client_id, rotated) and not credentials_work(tenant, client_id, secret)
    assert by_operator(admin, tenant.slug, "client.secret_rotated", operator)["target_id"] == client_id

    # A public client has no secret and no rotation form.
    resp = ops.post(base, client_form("SPA", "public", "https://spa.example/cb", ["authorization_code"]))
    assert resp.status_code == 201 and not soup(resp).select("#client-secret, form#rotate"), describe(resp)

    # Another tenant's client is not here.
    theirs = other_tenant.create_client(name="Theirs")
    assert ops.get(f"{base}/{theirs.client_id}").status_code == 404
    assert ops.post(f"{base}/{theirs.client_id}/delete", {"confirm": theirs.client_id}).status_code == 404
    assert admin.get(f"/tenants/{other_tenant.slug}/clients/{theirs.client_id}").status_code == 200

    resp = ops.post(f"{base}/{client_id}/delete", {"confirm": "pk_wrong"})
    assert resp.status_code == 422 and client_id in error(resp, "confirm"), describe(resp)
    resp = ops.post(f"{base}/{client_id}/delete", {"confirm": client_id})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/clients?notice=deleted"), describe(resp)
    assert admin.get(f"/tenants/{tenant.slug}/clients/{client_id}").status_code == 404
    assert not credentials_work(tenant, client_id, rotated)
    assert by_operator(admin, tenant.slug, "client.deleted", operator)["target_id"] == client_id


def test_the_account_consoles_client_is_shown_but_not_changed(ops, admin, tenant):
    # As in the admin API's list, the built-in client is not listed; its page has no forms.
    start = requests.get(f"{tenant.issuer}/account", allow_redirects=False, timeout=15)
    builtin = parse_qs(urlsplit(start.headers["Location"]).query)["client_id"][0]
    assert builtin not in rows(ops.get(f"/tenants/{tenant.slug}/clients"), "data-client-id")
    page = ops.get(f"/tenants/{tenant.slug}/clients/{builtin}")
    assert page.status_code == 200 and "built-in" in page.text, describe(page)
    assert not soup(page).select("form#settings, form#rotate, form#delete"), describe(page)
    for action, form in (("/delete", {"confirm": builtin}), ("", {"name": "Mine"}), ("/rotate-secret", {})):
        resp = ops.post(f"/tenants/{tenant.slug}/clients/{builtin}{action}", form)
        assert resp.status_code == 409 and "built-in" in resp.text, describe(resp)
    assert admin.get(f"/tenants/{tenant.slug}/clients/{builtin}").json()["name"] != "Mine"


# --------------------------------------------------------------------------- Chromium


def test_operator_creates_a_user_and_a_client_in_chromium(public_url, admin, tenant, artifacts_dir):
    operator = operator_made(admin)
    address = unique_email("chromium")
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, public_url, operator, artifacts_dir)
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}")
        wait_heading(drv, f"Tenant {tenant.slug}")
        click_css(drv, "#users-link")
        wait_heading(drv, f"Users of {tenant.slug}")
        click_css(drv, "#new-user")
        wait_heading(drv, "New user")
        fill(drv, email="not an address", name="Grace Hopper")
        click_css(drv, "#create")
        wait_heading(drv, "New user")
        assert "email address" in drv.find_element(By.ID, "email-error").text
        save(drv, artifacts_dir, "console-user-new-errors.png")
        fill(drv, email=address, password=PASSWORD)
        click_css(drv, "#email_verified")
        click_css(drv, "#create")
        wait_heading(drv, f"User {address}")
        assert "created" in drv.find_element(By.CSS_SELECTOR, ".notice").text
        save(drv, artifacts_dir, "console-user-created.png")
        found = admin.get(f"/tenants/{tenant.slug}/users", params={"email": address}).json()["users"]
        assert found and found[0]["name"] == "Grace Hopper" and found[0]["email_verified"] is True, found

        drv.get(f"{public_url}/admin/tenants/{tenant.slug}/clients")
        wait_heading(drv, f"Clients of {tenant.slug}")
        click_css(drv, "#new-client")
        wait_heading(drv, "New client")
        fill(drv, name="Chromium app", redirect_uris="https://chromium.example/cb")
        click_css(drv, "#grant-client_credentials")
        click_css(drv, "#create")
        wait_heading(drv, "Client Chromium app")
        secret = drv.find_element(By.ID, "client-secret").text
        client_id = drv.find_element(By.ID, "client-id").text
        assert secret.startswith("sk_") and credentials_work(tenant, client_id, secret)
        save(drv, artifacts_dir, "console-client-created.png")
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}/clients/{client_id}")
        wait_heading(drv, "Client Chromium app")
        assert not drv.find_elements(By.ID, "client-secret"), "the secret is shown once"
