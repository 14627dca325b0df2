"""Tenant-scoped admin tokens: every admin route × every admin scope, and no escalation.

The route list comes from the served OpenAPI document, so a new route cannot be forgotten: each
operation states its `x-required-scope` (or `x-instance-only`). A token holding one scope gets 403
on every route needing another, is let through (never 401/403, never 5xx) where it suffices, and no
answer ever carries a credential of a client holding admin scopes beyond the caller's
(issue 8 item 2: `clients:write` could rotate the secret of a client with `users:*` and act as it).
"""

from __future__ import annotations

import re

import pytest
import requests

from gatehouse_client import HTTP_TIMEOUT, assert_problem, describe, expect
from tenancy_helpers import ADMIN_SCOPES, client_credentials, scoped_admin

A = "/admin/v1"
SCOPES = ADMIN_SCOPES.split()
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
# Validation fails on this field after authorization, so the sweep never changes anything.
UNKNOWN = {"x_not_a_field": 1}
# DELETE has no body to fail: it is aimed at objects that do not exist (404 after authorization).
MISSING = {
    "client_id": "pk_test_missing", "user_id": "usr_00000000000000000000000000", "provider": "idp-missing",
    "org": "org_00000000000000000000000000", "role": "no-such-role",
}


@pytest.fixture(scope="module")
def spec(public_url) -> dict:
    return expect(requests.get(f"{public_url}{A}/openapi.json", timeout=HTTP_TIMEOUT), 200).json()


def admin_operations(spec: dict) -> list[tuple[str, str, dict]]:
    ops = [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS and path.startswith(A) and path != f"{A}/openapi.json"
    ]
    assert len(ops) >= 25, ops  # the document lists the whole admin API
    return ops


class Setting:
    """A tenant with one client per admin scope, an ordinary client, a user and a provider."""

    def __init__(self, admin):
        self.admin = admin
        self.tenant = admin.create_tenant()
        self.plain = self.tenant.create_client("confidential")
        self.holders = {
            scope: self.tenant.create_client(
                "confidential", grant_types=["client_credentials"], allowed_scopes=scope, name=f"holds {scope}"
            )
            for scope in SCOPES
        }
        self.powerful = self.tenant.create_client(
            "confidential", grant_types=["client_credentials"], allowed_scopes=ADMIN_SCOPES, name="operator"
        )
        self.user = self.tenant.create_user()
        provider = admin.post(
            f"/tenants/{self.tenant.slug}/providers",
            json={"kind": "oidc", "name": "Scopes SSO", "client_id": "scopes",
                  "discovery_url": "https://sso.scopes.example/.well-known/openid-configuration"},
        )
        organization = {"name": "Scopes", "slug": "scopes", "owner_user_id": self.user.id}
        created = admin.post(f"/tenants/{self.tenant.slug}/organizations", json=organization)
        self.organization = expect(created, 201).json()
        hook = admin.post(f"/tenants/{self.tenant.slug}/webhooks", json={"url": "https://hooks.scopes.example/x"})
        self.webhook = expect(hook, 201).json()
        self.values = {
            "slug": self.tenant.slug,
            "org": self.organization["id"],
            "role": "member",
            "client_id": self.plain.client_id,
            "user_id": self.user.id,
            "operator_id": "usr_00000000000000000000000000",
            "session_id": "ses_00000000000000000000000000",
            "provider": expect(provider, 201).json()["id"],
            "kind": "email",
            "name": "verify",
            "invitation_id": "inv_00000000000000000000000000",
            "domain": "no-such-domain.example",
            "webhook_id": self.webhook["id"],
            "delivery_id": "whd_00000000000000000000000000",
            "version": "999999999",
            "token_id": "rat_00000000000000000000000000",
            "passkey_id": "psk_00000000000000000000000000",
        }

    def token(self, scope: str) -> str:
        resp = client_credentials(self.tenant, self.holders[scope], scope=scope)
        return expect(resp, 200).json()["access_token"]

    def call(self, token: str, method: str, path: str, body=None, values: dict | None = None) -> requests.Response:
        values = {**self.values, **(values or {})}
        url = self.admin.public_url + re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)
        kw = {"json": body} if body is not None else {}
        return requests.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT, **kw)


@pytest.fixture(scope="module")
def setting(admin) -> Setting:
    return Setting(admin)


def admin_scopes_of(client_json: dict) -> set[str]:
    return set((client_json.get("allowed_scopes") or "").split()) & set(SCOPES)


def assert_no_escalation(resp: requests.Response, held: set[str], where: str) -> None:
    """An answer with a client secret describes a client whose admin scopes the caller holds."""
    if not resp.headers.get("Content-Type", "").startswith("application/json"):
        return
    body = resp.json()
    for item in [body, *body.get("clients", [])] if isinstance(body, dict) else []:
        if isinstance(item, dict) and item.get("client_secret"):
            assert admin_scopes_of(item) <= held, f"{where}: a credential beyond {held}: {item}"


@pytest.mark.parametrize("scope", SCOPES)
def test_every_route_with_every_scope(spec, setting, scope):
    token = setting.token(scope)
    for method, path, op in admin_operations(spec):
        where = f"{op['operationId']} with {scope}"
        body = UNKNOWN if "requestBody" in op else None
        resp = setting.call(token, method, path, body, MISSING if method == "DELETE" else None)
        assert resp.status_code < 500, f"{where}: {describe(resp)}"
        if op.get("x-instance-only"):
            assert_problem(resp, 404)  # other tenants and instance routes do not exist for it
        elif op["x-required-scope"] != scope:
            problem = assert_problem(resp, 403)
            assert op["x-required-scope"] in problem["detail"], f"{where}: {problem}"
        else:
            assert resp.status_code not in (401, 403), f"{where}: {describe(resp)}"
        assert_no_escalation(resp, {scope}, where)


def credential_operations(setting: Setting, target) -> list[tuple[str, str, dict | None]]:
    """Every admin operation that creates, returns or changes a client credential."""
    base = f"{A}/tenants/{setting.tenant.slug}/clients"
    return [
        ("POST", f"{base}/{target.client_id}/rotate-secret", None),
        ("POST", f"{base}/{target.client_id}/rotate-secret", {"overlap_seconds": 60}),
        ("PATCH", f"{base}/{target.client_id}", {"grant_types": ["client_credentials"]}),
        ("PATCH", f"{base}/{target.client_id}", {"name": "renamed"}),
        ("DELETE", f"{base}/{target.client_id}", None),
    ]


def test_clients_write_cannot_take_over_a_more_powerful_client(setting):
    """The reported escalation: rotate the secret of a client holding users:*, then list users."""
    attacker = setting.tenant.create_client(
        "confidential", grant_types=["client_credentials"], allowed_scopes="clients:read clients:write"
    )
    token = expect(client_credentials(setting.tenant, attacker), 200).json()["access_token"]
    api = scoped_admin(setting.tenant, token)
    assert_problem(api.get(f"/tenants/{setting.tenant.slug}/users"), 403)
    for target in (setting.powerful, setting.holders["users:read"], setting.holders["keys:write"]):
        for method, path, body in credential_operations(setting, target):
            resp = setting.call(token, method, path, body)
            problem = assert_problem(resp, 403)
            assert "lacks" in problem["detail"], problem
    # The old secret still works and nothing the attacker did gave it users:read.
    expect(client_credentials(setting.tenant, setting.powerful), 200)
    assert_problem(api.get(f"/tenants/{setting.tenant.slug}/users"), 403)


def test_created_and_updated_clients_stay_within_the_callers_scopes(setting):
    token = setting.token("clients:write")
    api = scoped_admin(setting.tenant, token)
    base = f"/tenants/{setting.tenant.slug}/clients"
    body = {"name": "b", "type": "confidential", "grant_types": ["client_credentials"]}
    for scopes in ("users:read", "clients:write users:write", ADMIN_SCOPES):
        resp = api.post(base, json={**body, "allowed_scopes": scopes})
        assert "users:" in assert_problem(resp, 403)["detail"]
    own = expect(api.post(base, json={**body, "allowed_scopes": "clients:write openid"}), 201).json()
    assert own["client_secret"] and admin_scopes_of(own) == {"clients:write"}
    resp = api.patch(f"{base}/{own['client_id']}", json={"allowed_scopes": "clients:write users:read"})
    assert_problem(resp, 403)
    # Within its own scopes it may do everything: rotate, change, delete.
    rotated = expect(api.post(f"{base}/{own['client_id']}/rotate-secret"), 200).json()
    assert rotated["client_secret"] != own["client_secret"]
    expect(api.patch(f"{base}/{own['client_id']}", json={"name": "renamed"}), 200)
    expect(api.delete(f"{base}/{own['client_id']}"), 204)
    # Rotating an ordinary client (no admin scopes) is what clients:write is for.
    expect(api.post(f"{base}/{setting.plain.client_id}/rotate-secret"), 200)


def test_the_instance_admin_token_may_handle_every_credential(admin, setting):
    base = f"/tenants/{setting.tenant.slug}/clients/{setting.holders['users:write'].client_id}"
    rotated = expect(admin.post(f"{base}/rotate-secret"), 200).json()
    assert admin_scopes_of(rotated) == {"users:write"} and rotated["client_secret"]


def test_only_the_instance_admin_moves_a_tenant_to_its_own_host(setting):
    """The issuer follows the host: a tenant admin who set `hostname` would end every token of the
    tenant, its own admin token included, with only the instance admin able to undo it."""
    token = setting.token("tenant:write")
    api = scoped_admin(setting.tenant, token)
    path = f"/tenants/{setting.tenant.slug}"
    problem = assert_problem(api.patch(path, json={"settings": {"hostname": "login.example.com"}}), 403)
    assert "instance administrator" in problem["detail"], problem
    # Other settings stay the tenant admin's, and the token keeps working.
    assert expect(api.patch(path, json={"settings": {"session_ttl": 7200}}), 200).json()["settings"].get("hostname") is None
