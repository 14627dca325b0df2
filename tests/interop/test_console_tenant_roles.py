"""Tenant administrators in the admin console (docs/contract.md A10): a tenant grants one of its
users `tenant_admin` or `tenant_viewer` (admin API or console), the user signs in at
``/admin/t/{slug}`` through the tenant's own login and sees that tenant only; and the
authorization matrix: operator, tenant admin of A, tenant viewer of A, a plain user of A and an
anonymous browser against every console route and method, exactly the allowed ones pass."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cli_helpers import cli  # noqa: F401 - fixture
from console_helpers import Ops, by_operator, operator, ops, soup  # noqa: F401 - operator and ops are fixtures
from gatehouse_client import Browser, describe, find_form, is_login_form

ROLE = "/tenants/{slug}/users/{user}/console-role"


def grant(admin, tenant, user, role: str | None) -> None:
    path = ROLE.format(slug=tenant.slug, user=user.id)
    resp = admin.put(path, json={"role": role}) if role else admin.delete(path)
    assert resp.status_code in (200, 204), describe(resp)


def tenant_sign_in(public_url: str, tenant, user) -> tuple[Browser, requests.Response]:
    """Signs ``user`` in at ``/admin/t/{slug}`` through the tenant's login; returns the browser
    and the page after the console's callback."""
    browser = Browser()
    page = browser.follow(browser.get(f"{public_url}/admin/t/{tenant.slug}"))
    login = find_form(page.text, is_login_form)
    assert login is not None and f"/t/{tenant.slug}/" in page.url, describe(page)
    return browser, browser.follow(browser.submit(page, login, {"email": user.email, "password": user.password}))


def console_of(public_url: str, tenant, user) -> Ops:
    browser, page = tenant_sign_in(public_url, tenant, user)
    assert page.status_code == 200, describe(page)
    return Ops(public_url, browser.http, start=f"/tenants/{tenant.slug}")


def test_roles_through_the_admin_api(admin, tenant):
    user = tenant.create_user()
    path = ROLE.format(slug=tenant.slug, user=user.id)
    assert admin.get(path).json() == {"role": None}
    assert admin.put(path, json={"role": "tenant_viewer"}).json() == {"role": "tenant_viewer"}
    assert admin.get(path).json() == {"role": "tenant_viewer"}
    bad = admin.put(path, json={"role": "owner"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "role", describe(bad)
    assert admin.put(ROLE.format(slug=tenant.slug, user="usr_01ARZ3NDEKTSV4RRFFQ69G5FAV"), json={"role": "tenant_admin"}).status_code == 404
    events = admin.get(f"/tenants/{tenant.slug}/audit", params={"type": "user.console_role_changed"}).json()["events"]
    assert events and events[0]["target_id"] == user.id, events
    assert admin.delete(path).status_code == 204 and admin.get(path).json() == {"role": None}


def test_a_tenant_admin_sees_and_changes_its_tenant_only(public_url, admin, tenant, other_tenant):
    alice, target = tenant.create_user(), tenant.create_user()
    grant(admin, tenant, alice, "tenant_admin")
    console = console_of(public_url, tenant, alice)
    home = console.get("/tenants")
    assert home.status_code == 303 and home.headers["Location"].endswith(f"/admin/tenants/{tenant.slug}"), describe(home)
    page = console.get(f"/tenants/{tenant.slug}")
    assert page.status_code == 200 and soup(page).select_one("#delete-tenant") is None, describe(page)
    disabled = console.post(f"/tenants/{tenant.slug}/users/{target.id}/disable")
    assert disabled.status_code == 303 and admin.get(f"/tenants/{tenant.slug}/users/{target.id}").json()["disabled"] is True
    entry = admin.get(f"/tenants/{tenant.slug}/audit", params={"type": "user.updated"}).json()["events"][0]
    assert entry["actor"] == {"type": "user", "id": alice.id}, entry
    # Another tenant does not exist for it; creating or deleting tenants is for operators.
    assert console.get(f"/tenants/{other_tenant.slug}").status_code == 404
    assert console.get(f"/tenants/{other_tenant.slug}/users").status_code == 404
    assert console.get("/tenants/new").status_code == 403
    assert console.post("/tenants", {"slug": "stolen", "name": "x", "environment": "live"}).status_code == 403
    assert console.post(f"/tenants/{tenant.slug}/delete", {"confirm": tenant.slug}).status_code == 403
    assert admin.get(f"/tenants/{tenant.slug}").status_code == 200
    # Its own role stays; once the tenant takes the role away, the next request signs in again.
    assert console.post(f"/tenants/{tenant.slug}/users/{alice.id}/console-role", {"role": ""}).status_code == 409
    grant(admin, tenant, alice, None)
    gone = console.get(f"/tenants/{tenant.slug}")
    assert gone.status_code in (302, 303) and "/authorize" in gone.headers["Location"], describe(gone)


def test_a_viewer_reads_and_a_plain_user_is_refused(public_url, admin, tenant):
    viewer, plain = tenant.create_user(), tenant.create_user()
    grant(admin, tenant, viewer, "tenant_viewer")
    console = console_of(public_url, tenant, viewer)
    assert console.get(f"/tenants/{tenant.slug}/users/{plain.id}").status_code == 200
    refused = console.post(f"/tenants/{tenant.slug}/users/{plain.id}/disable")
    assert refused.status_code == 403 and admin.get(f"/tenants/{tenant.slug}/users/{plain.id}").json()["disabled"] is False
    _, page = tenant_sign_in(public_url, tenant, plain)
    assert page.status_code == 403 and "no console role" in page.text, describe(page)


def test_the_operator_grants_a_role_in_the_console(ops, admin, tenant, operator):  # noqa: F811
    user = tenant.create_user()
    page = ops.get(f"/tenants/{tenant.slug}/users/{user.id}")
    assert soup(page).select_one("#role-none").has_attr("checked"), describe(page)
    assert ops.post(f"/tenants/{tenant.slug}/users/{user.id}/console-role", {"role": "root"}).status_code == 422
    saved = ops.post(f"/tenants/{tenant.slug}/users/{user.id}/console-role", {"role": "tenant_admin"})
    assert saved.status_code == 303, describe(saved)
    assert admin.get(ROLE.format(slug=tenant.slug, user=user.id)).json() == {"role": "tenant_admin"}
    assert by_operator(admin, tenant.slug, "user.console_role_changed", operator)["target_id"] == user.id


# --------------------------------------------------------------------------- matrix

FAKE_EVT = "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"
FAKE_SES = "ses_01ARZ3NDEKTSV4RRFFQ69G5FAV"
FAKE_DLV = "dlv_01ARZ3NDEKTSV4RRFFQ69G5FAV"

# (method, path under /admin, scope): "tenant" routes are A's; "instance" routes are operators' only.
ROUTES = [
    ("GET", "/tenants/{a}", "tenant"), ("POST", "/tenants/{a}", "tenant"),
    ("GET", "/tenants/{a}/users", "tenant"), ("GET", "/tenants/{a}/users/new", "tenant"), ("POST", "/tenants/{a}/users", "tenant"),
    ("GET", "/tenants/{a}/users/{user}", "tenant"),
    *[("POST", f"/tenants/{{a}}/users/{{user}}/{action}", "tenant") for action in (
        "disable", "enable", "verify-email", "reset-password", "reset-mfa", "metadata", "profile", "delete", "console-role",
        f"sessions/{FAKE_SES}/revoke", "passkeys/psk_01ARZ3NDEKTSV4RRFFQ69G5FAV/remove",
    )],
    ("GET", "/tenants/{a}/clients", "tenant"), ("GET", "/tenants/{a}/clients/new", "tenant"), ("POST", "/tenants/{a}/clients", "tenant"),
    ("GET", "/tenants/{a}/clients/{client}", "tenant"), ("POST", "/tenants/{a}/clients/{client}", "tenant"),
    ("POST", "/tenants/{a}/clients/{client}/rotate-secret", "tenant"), ("POST", "/tenants/{a}/clients/{client}/delete", "tenant"),
    ("GET", "/tenants/{a}/audit", "tenant"), ("GET", f"/tenants/{{a}}/audit/{FAKE_EVT}", "tenant"),
    ("GET", "/tenants/{a}/webhooks", "tenant"), ("GET", "/tenants/{a}/webhooks/new", "tenant"), ("POST", "/tenants/{a}/webhooks", "tenant"),
    ("GET", "/tenants/{a}/webhooks/{hook}", "tenant"), ("POST", "/tenants/{a}/webhooks/{hook}", "tenant"),
    *[("POST", f"/tenants/{{a}}/webhooks/{{hook}}/{action}", "tenant") for action in (
        "disable", "enable", "rotate-secret", "delete", f"deliveries/{FAKE_DLV}/redeliver",
    )],
    ("GET", "/tenants/{a}/webhooks/{hook}/deliveries", "tenant"),
    ("GET", "/tenants/{a}/keys", "tenant"), ("POST", "/tenants/{a}/keys/rotate", "tenant"),
    ("GET", "/tenants/{a}/templates", "tenant"), ("GET", "/tenants/{a}/templates/page/consent", "tenant"),
    ("POST", "/tenants/{a}/templates/page/consent", "tenant"), ("POST", "/tenants/{a}/templates/page/consent/preview", "tenant"),
    ("GET", "/tenants/{a}/templates/page/consent/preview", "tenant"), ("POST", "/tenants/{a}/templates/page/consent/reset", "tenant"),
    ("POST", "/tenants/{a}/templates/page/consent/versions/1/restore", "tenant"), ("POST", "/tenants/{a}/templates/email/code/test", "tenant"),
    ("GET", "/tenants/{a}/organizations", "tenant"), ("GET", "/tenants/{a}/organizations/new", "tenant"),
    ("POST", "/tenants/{a}/organizations", "tenant"), ("GET", "/tenants/{a}/organizations/{org}", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}", "tenant"), ("POST", "/tenants/{a}/organizations/{org}/delete", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}/members", "tenant"), ("POST", "/tenants/{a}/organizations/{org}/members/{user}", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}/members/{user}/remove", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}/invitations", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}/domains", "tenant"), ("POST", "/tenants/{a}/organizations/{org}/domains/x.example/verify", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}/domains/x.example/remove", "tenant"), ("POST", "/tenants/{a}/organizations/{org}/sso", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}/sso/remove", "tenant"),
    ("GET", "/tenants/{a}/roles", "tenant"), ("POST", "/tenants/{a}/roles", "tenant"), ("POST", "/tenants/{a}/roles/member", "tenant"),
    ("POST", "/tenants/{a}/roles/nope/delete", "tenant"),
    ("POST", "/tenants/{a}/organizations/{org}/invitations/inv_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke", "tenant"),
    ("GET", "/tenants/{a}/providers", "tenant"), ("GET", "/tenants/{a}/providers/new", "tenant"), ("POST", "/tenants/{a}/providers", "tenant"),
    ("GET", "/tenants/{a}/providers/{provider}", "tenant"), ("POST", "/tenants/{a}/providers/{provider}", "tenant"),
    ("POST", "/tenants/{a}/providers/{provider}/delete", "tenant"),
    ("GET", "/tenants/new", "instance"), ("POST", "/tenants", "instance"), ("POST", "/tenants/{a}/delete", "instance"),
]


def outcome(resp: requests.Response) -> str:
    """``signin`` (sent to sign in), ``refused`` (400 form without session, 403, or the tenant's
    404), or ``allowed`` (anything the route itself answered: a page, a redirect within the
    console, 409, 422, a 404 for an item of the tenant)."""
    location = resp.headers.get("Location", "")
    if resp.status_code in (302, 303) and "/authorize" in location:
        return "signin"
    if resp.status_code in (400, 403) or (resp.status_code == 404 and "No such tenant" in resp.text):
        return "refused"
    return "allowed"


@pytest.fixture
def world(admin, tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    hook = admin.post(f"/tenants/{tenant.slug}/webhooks", json={"url": "https://hooks.example.com/in"}).json()
    org = admin.post(f"/tenants/{tenant.slug}/organizations", json={"name": "Matrix", "slug": "matrix"}).json()
    provider = admin.post(f"/tenants/{tenant.slug}/providers", json={"kind": "github", "name": "GH", "client_id": "c", "client_secret": "s"}).json()
    return {"a": tenant.slug, "user": user.id, "client": client.client_id, "hook": hook["id"], "org": org["id"], "provider": provider["id"]}


def run(console: Ops, world: dict, slug: str | None = None, csrf: str | None = "ok") -> dict[tuple[str, str], str]:
    values = {**world, "a": slug or world["a"]}
    seen = {}
    for method, path, _ in ROUTES:
        url = path.format(**values)
        resp = console.get(url) if method == "GET" else console.post(url, {}, csrf=csrf)
        seen[(method, path)] = outcome(resp)
    return seen


def test_authorization_matrix(public_url, admin, tenant, other_tenant, ops, world):  # noqa: F811
    viewer, tenant_admin, plain = tenant.create_user(), tenant.create_user(), tenant.create_user()
    grant(admin, tenant, viewer, "tenant_viewer")
    grant(admin, tenant, tenant_admin, "tenant_admin")
    anonymous = Ops(public_url, requests.Session(), start=None)
    _, refused = tenant_sign_in(public_url, tenant, plain)
    assert refused.status_code == 403
    results = {
        "anonymous": run(anonymous, world),
        "viewer of A": run(console_of(public_url, tenant, viewer), world),
        "viewer of A at B": run(console_of(public_url, tenant, viewer), world, other_tenant.slug),
        "admin of A at B": run(console_of(public_url, tenant, tenant_admin), world, other_tenant.slug),
        "admin of A": run(console_of(public_url, tenant, tenant_admin), world),
        "operator, no CSRF token": run(ops, world, csrf=None),
        "operator, forged CSRF token": run(ops, world, csrf="forged"),
        "operator": run(ops, world),
    }
    wrong = []
    for method, path, scope in ROUTES:
        expected = {
            "anonymous": "signin" if method == "GET" else "refused",
            "viewer of A": "allowed" if method == "GET" and scope == "tenant" else "refused",
            "viewer of A at B": "refused",
            "admin of A at B": "refused",
            "admin of A": "allowed" if scope == "tenant" else "refused",
            "operator, no CSRF token": "allowed" if method == "GET" else "refused",
            "operator, forged CSRF token": "allowed" if method == "GET" else "refused",
            "operator": "allowed",
        }
        for who, want in expected.items():
            if results[who][(method, path)] != want:
                wrong.append(f"{who}: {method} {path} -> {results[who][(method, path)]}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_the_tenants_admin_console_client_is_the_servers(public_url, admin, tenant):
    """The built-in client tenant users sign in to the console with is neither listed nor changed."""
    alice = tenant.create_user()
    grant(admin, tenant, alice, "tenant_admin")
    console_of(public_url, tenant, alice)
    start = requests.get(f"{public_url}/admin/t/{tenant.slug}", allow_redirects=False, timeout=15)
    client_id = parse_qs(urlsplit(start.headers["Location"]).query)["client_id"][0]
    listed = [c["client_id"] for c in admin.get(f"/tenants/{tenant.slug}/clients").json()["clients"]]
    assert client_id not in listed
    changed = admin.patch(f"/tenants/{tenant.slug}/clients/{client_id}", json={"redirect_uris": ["https://evil.example/cb"]})
    assert changed.status_code == 409, describe(changed)
    assert admin.delete(f"/tenants/{tenant.slug}/clients/{client_id}").status_code == 409


def test_the_cli_grants_shows_and_removes_a_role(cli, tenant):  # noqa: F811 - fixture
    user = tenant.create_user()
    assert "console role none" in cli.ok("user", "console-role", user.id, "--tenant", tenant.slug)
    assert cli.json("user", "console-role", user.id, "--tenant", tenant.slug, "--role", "tenant_viewer") == {"role": "tenant_viewer"}
    assert "console role tenant_viewer" in cli.ok("user", "console-role", user.id, "--tenant", tenant.slug)
    assert "console role none" in cli.ok("user", "console-role", user.id, "--tenant", tenant.slug, "--role", "none")
    assert "--role" in cli.fails("user", "console-role", user.id, "--tenant", tenant.slug, "--role", "root")
