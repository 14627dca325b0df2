"""Helpers for the OpenAPI interop tests (test_openapi_document, test_openapi_live): walking the
document's operations, resolving references, validating answers against the documented schemas,
example bodies, the ``spec`` fixture (the served document) and the ``world`` fixture (a tenant with
one of everything, and tenant-scoped admin tokens)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gatehouse_client import (
    HTTP_TIMEOUT,
    AdminAPI,
    Tenant,
    describe,
    expect,
)

A = "/admin/v1"
T = f"{A}/tenants/{{slug}}"

INSTANCE_ONLY = {
    "listTenants", "createTenant", "deleteTenant", "exportTenant", "cloneTenant", "importTenant",
    "listOperators", "createOperator", "removeOperator", "resetOperatorMFA",
}
ADMIN_SCOPES = [
    "tenant:read",
    "tenant:write",
    "clients:read",
    "clients:write",
    "users:read",
    "users:write",
    "sessions:read",
    "sessions:write",
    "keys:read",
    "keys:write",
    "orgs:read",
    "orgs:write",
    "audit:read",
    "webhooks:read",
    "webhooks:write",
]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
FAKE_IDS = {
    "kind": "email",  # templates: email/verify always exists
    "name": "verify",
    "client_id": "pk_test_000000000000000000000000",
    "user_id": "usr_00000000000000000000000000",
    "operator_id": "usr_00000000000000000000000000",
    "session_id": "ses_00000000000000000000000000",
    "provider": "idp_00000000000000000000000000",
    "org": "org_00000000000000000000000000",
    "role": "no-such-role",
    "invitation_id": "inv_00000000000000000000000000",
    "webhook_id": "whk_00000000000000000000000000",
    "delivery_id": "whd_00000000000000000000000000",
    "id": "inv_00000000000000000000000000",  # /v1/invitations/{id}/…
    "domain": "no-such-domain.example",
    "version": "999999999",
    "token_id": "rat_00000000000000000000",
    "passkey_id": "psk_00000000000000000000",
}
UNKNOWN_FIELD = "x_not_a_field"


# --------------------------------------------------------------------------- helpers


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    """(METHOD, path, operation) for every operation of the document."""
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def resolve(spec: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def schema_validator(spec: dict, schema: dict) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator whose local $refs resolve inside the OpenAPI document."""
    registry = Registry().with_resource(
        "urn:gatehouse:openapi", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    if "$ref" in schema:
        schema = {"$ref": "urn:gatehouse:openapi" + schema["$ref"]}
    else:
        schema = {**schema, "$id": "urn:gatehouse:openapi:inline"}
        schema = _rebase(schema)
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def _rebase(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: ("urn:gatehouse:openapi" + v if k == "$ref" and v.startswith("#/") else _rebase(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def request_schema(spec: dict, op: dict) -> dict | None:
    body = op.get("requestBody")
    if not body:
        return None
    content = resolve(spec, body)["content"]
    if "application/json" not in content:
        return None  # a file body (tenant import)
    return resolve(spec, content["application/json"]["schema"])


def check_response(spec: dict, method: str, path: str, resp: requests.Response) -> None:
    """The status is documented for the operation; the body matches the documented media type and schema."""
    op = spec["paths"][path][method.lower()]
    documented = op["responses"]
    status = str(resp.status_code)
    assert status in documented, (
        f"{method} {path}: status {status} is not documented ({sorted(documented)}): {describe(resp)}"
    )
    response = resolve(spec, documented[status])
    content = response.get("content")
    if not content:
        assert not resp.content, f"{method} {path}: documented without a body: {describe(resp)}"
        return
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    assert ctype in content, (
        f"{method} {path}: Content-Type {ctype!r}, documented {sorted(content)}: {describe(resp)}"
    )
    if "json" not in ctype:  # a file (tenant export): its media type is the contract
        assert resp.content, f"{method} {path}: an empty file"
        return
    validator = schema_validator(spec, content[ctype]["schema"])
    errors = sorted(validator.iter_errors(resp.json()), key=lambda e: list(e.absolute_path))
    assert not errors, (
        f"{method} {path} -> {status}: body does not match the schema: "
        + "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:5])
        + f"\n{describe(resp)}"
    )


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)


def example_body(schema: dict, *, only_required: bool = False) -> dict:
    """A body made of the first example of each property that has one (required properties must have one)."""
    body = {}
    for name, prop in schema.get("properties", {}).items():
        if only_required and name not in schema.get("required", []):
            continue
        if prop.get("examples"):
            body[name] = prop["examples"][0]
    missing = [f for f in schema.get("required", []) if f not in body]
    assert not missing, f"required properties without examples: {missing}"
    return body


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def spec(public_url) -> dict:
    resp = expect(requests.get(f"{public_url}/admin/v1/openapi.json", timeout=HTTP_TIMEOUT), 200)
    assert resp.headers["Content-Type"].startswith("application/json"), describe(resp)
    return resp.json()


def token_for(tenant: Tenant, client, scope: str) -> str:
    resp = tenant.token_request({"grant_type": "client_credentials", "scope": scope}, client)
    expect(resp, 200)
    return resp.json()["access_token"]


class World:
    """A fresh tenant: a confidential client, a public first-party client, a user and a headless session."""

    def __init__(self, admin: AdminAPI):
        self.admin = admin
        self.tenant = admin.create_tenant()
        self.confidential = self.tenant.create_client("confidential")
        self.app = self.tenant.create_client("public", first_party=True)
        self.user = self.tenant.create_user()
        resp = requests.post(
            f"{admin.public_url}/v1/auth/sign-in",
            json={"email": self.user.email, "password": self.user.password, "scope": "openid offline_access"},
            headers={"X-Client-Id": self.app.client_id},
            timeout=HTTP_TIMEOUT,
        )
        expect(resp, 200)
        self.sign_in = resp
        self.tokens = resp.json()
        provider = admin.post(
            f"/tenants/{self.tenant.slug}/providers",
            json={
                "kind": "oidc",
                "name": "World SSO",
                "client_id": "world",
                "discovery_url": "https://sso.world.example/.well-known/openid-configuration",
            },
        )
        self.provider = expect(provider, 201).json()
        organization = {"name": "World", "slug": "world", "owner_user_id": self.user.id}
        created = admin.post(f"/tenants/{self.tenant.slug}/organizations", json=organization)
        self.org = expect(created, 201).json()
        self.newcomer = self.tenant.create_user()  # a user of the tenant in no organization
        org_path = f"/tenants/{self.tenant.slug}/organizations/{self.org['id']}"
        invited = admin.post(f"{org_path}/invitations", json={"email": "world-invitee@world.example", "role": "member"})
        self.invitation = expect(invited, 201).json()
        # An invitation to the user's own address, for the headless /v1/invitations/{id}/… routes.
        elsewhere = {"name": "Elsewhere", "slug": "elsewhere", "owner_user_id": self.newcomer.id}
        other = expect(admin.post(f"/tenants/{self.tenant.slug}/organizations", json=elsewhere), 201).json()
        mine = {"email": self.user.email, "role": "member"}
        other_path = f"/tenants/{self.tenant.slug}/organizations/{other['id']}/invitations"
        self.my_invitation = expect(admin.post(other_path, json=mine), 201).json()
        expect(admin.post(f"{org_path}/domains", json={"domain": "world.example"}), 201)
        expect(admin.request("PUT", f"{org_path}/sso", json={"provider_id": self.provider["id"]}), 200)
        operator = {"email": f"operator-{self.tenant.slug}@world.example", "password": "correct horse battery"}
        self.operator = expect(admin.post("/operators", json=operator), 201).json()
        hook = {"url": "https://hooks.world.example/gatehouse"}
        self.webhook = expect(admin.post(f"/tenants/{self.tenant.slug}/webhooks", json=hook), 201).json()
        self.delivery = expect(admin.post(f"/tenants/{self.tenant.slug}/webhooks/{self.webhook['id']}/test"), 202).json()
        template = f"/tenants/{self.tenant.slug}/templates/email/verify"
        expect(admin.request("PUT", template, json={"subject": "World", "text": "{{link}}"}), 200)
        self.template_version = expect(admin.get(f"{template}/versions"), 200).json()["versions"][0]
        registration = f"/tenants/{self.tenant.slug}/registration-tokens"
        self.registration_token = expect(admin.post(registration, json={"description": "world"}), 201).json()
        self.values = {
            "operator_id": self.operator["id"],
            "slug": self.tenant.slug,
            "kind": "email",
            "name": "verify",
            "client_id": self.confidential.client_id,
            "user_id": self.user.id,
            "session_id": self.tokens["session"]["id"],
            "provider": self.provider["id"],
            "org": self.org["id"],
            "role": "member",
            "invitation_id": self.invitation["id"],
            "id": self.my_invitation["id"],
            "domain": "world.example",
            "webhook_id": self.webhook["id"],
            "delivery_id": self.delivery["id"],
            "version": str(self.template_version["id"]),
            "token_id": self.registration_token["id"],
            # A passkey is made only by a WebAuthn ceremony in a browser (test_passkeys.py removes a
            # real one through this route); here the route answers for a passkey the user lacks.
            "passkey_id": FAKE_IDS["passkey_id"],
        }

    def headers(self, op: dict, *, admin_token: str | None = None) -> dict[str, str]:
        """Credentials for the operation's first security requirement."""
        names = set(op["security"][0]) if op.get("security") else set()
        headers = {"Accept": "application/json"}
        if "instanceAdminToken" in names:
            headers["Authorization"] = f"Bearer {admin_token or self.admin.token}"
        if "publishableKey" in names:
            headers["X-Client-Id"] = self.app.client_id
        if "userAccessToken" in names:
            headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        return headers

    def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, values: dict | None = None
    ) -> requests.Response:
        url = self.admin.public_url + fill(path, values or self.values)
        kwargs: dict[str, Any] = {"headers": headers, "timeout": HTTP_TIMEOUT, "allow_redirects": False}
        if body is not None:
            kwargs["json"] = body
        return requests.request(method, url, **kwargs)


@pytest.fixture
def world(admin) -> World:
    return World(admin)
