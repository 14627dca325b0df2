"""The OpenAPI document at /admin/v1/openapi.json describes exactly what the server answers.

* The document is valid OpenAPI 3.1 (openapi-spec-validator).
* That it lists exactly the routes the router registers is proved in Swift
  (Tests/GatehouseWebTests/OpenAPIDocumentTests.swift, from the router's own route table).
* On a live server: every documented operation is answered (not 404/405) with a documented status
  whose body matches the documented schema; undocumented methods on documented paths are not.
* Documented request schemas are enforced: required fields are required (422 problem naming the
  field, or ``invalid_request`` on the headless API), unknown fields are rejected
  (``additionalProperties: false``).
* ``x-required-scope`` / ``x-instance-only`` match what tenant-scoped admin tokens may do.
"""

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
    assert_problem,
    describe,
    expect,
    unique_email,
)


A = "/admin/v1"
T = f"{A}/tenants/{{slug}}"

INSTANCE_ONLY = {"listTenants", "createTenant", "deleteTenant", "exportTenant", "cloneTenant", "importTenant"}
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
]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
FAKE_IDS = {
    "kind": "email",  # templates: email/verify always exists
    "name": "verify",
    "client_id": "pk_test_000000000000000000000000",
    "user_id": "usr_00000000000000000000000000",
    "session_id": "ses_00000000000000000000000000",
    "provider": "idp_00000000000000000000000000",
    "org": "org_00000000000000000000000000",
    "role": "no-such-role",
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
        self.values = {
            "slug": self.tenant.slug,
            "kind": "email",
            "name": "verify",
            "client_id": self.confidential.client_id,
            "user_id": self.user.id,
            "session_id": self.tokens["session"]["id"],
            "provider": self.provider["id"],
            "org": self.org["id"],
            "role": "member",
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


# --------------------------------------------------------------------------- the document itself


def test_document_is_valid_openapi_3_1(spec):
    from openapi_spec_validator import validate

    assert spec["openapi"].startswith("3.1."), spec["openapi"]
    validate(spec)


def test_every_operation_is_identified_and_described(spec):
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert all(ids), [f"{m} {p}" for m, p, op in operations(spec) if not op.get("operationId")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for method, path, op in operations(spec):
        where = f"{method} {path}"
        assert op.get("summary", "").strip(), f"{where} has no summary"
        assert op.get("description", "").strip(), f"{where} has no description"
        assert op.get("responses"), f"{where} has no responses"
        assert "security" in op, f"{where} does not state its security"
        params = [
            resolve(spec, p) for p in op.get("parameters", []) + spec["paths"][path].get("parameters", [])
        ]
        for param in params:
            assert param.get("schema") and param.get("description") is not None or param["in"] == "header", (
                f"{where}: parameter {param.get('name')} without schema or description"
            )
        # Every path template parameter is declared.
        declared = {p["name"] for p in params if p["in"] == "path"}
        assert declared == set(re.findall(r"\{([^}]+)\}", path)), f"{where}: path parameters {declared}"


def test_admin_operations_state_their_scope(spec):
    for method, path, op in operations(spec):
        if not path.startswith(A) or path == f"{A}/openapi.json":
            continue
        where = f"{method} {path} ({op['operationId']})"
        scope = op.get("x-required-scope")
        if op["operationId"] in INSTANCE_ONLY:
            assert op.get("x-instance-only") is True and scope is None, where
            assert op["security"] == [{"instanceAdminToken": []}], where
            assert "instance admin token only" in op["description"].lower(), where
        else:
            assert scope in ADMIN_SCOPES, f"{where}: x-required-scope {scope!r}"
            assert "x-instance-only" not in op, where
            assert {"instanceAdminToken": []} in op["security"], where
            assert {"tenantAdminToken": [scope]} in op["security"], where
            assert f"`{scope}`" in op["description"], f"{where}: the description does not name {scope}"
            write = scope.endswith(":write")
            assert write == (method != "GET"), f"{where}: {scope} for a {method}"
            assert "403" in op["responses"], where
        assert "401" in op["responses"], where


def test_error_responses_use_the_right_media_types(spec):
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            content = resolve(spec, response).get("content", {})
            if path.startswith(A):
                assert list(content) == ["application/problem+json"], (
                    f"{method} {path} {status}: {list(content)}"
                )
                assert (
                    resolve(spec, content["application/problem+json"]["schema"])
                    is spec["components"]["schemas"]["Problem"]
                )
            else:
                assert list(content) == ["application/json"], f"{method} {path} {status}: {list(content)}"
                assert (
                    resolve(spec, content["application/json"]["schema"])
                    is spec["components"]["schemas"]["OAuthError"]
                )


def test_request_bodies_reject_unknown_fields_in_the_schema(spec):
    """Every handler rejects unknown fields, so every documented body schema says so."""
    for method, path, op in operations(spec):
        schema = request_schema(spec, op)
        if schema is not None:
            assert schema.get("additionalProperties") is False, f"{method} {path}"
            assert schema.get("type") == "object", f"{method} {path}"


# --------------------------------------------------------------------------- against the live server


def ordered(spec: dict) -> list[tuple[str, str, dict]]:
    """Operations in an order that keeps the world alive: reads, writes, deletions, the tenant last."""
    rank = {"GET": 0, "OPTIONS": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 3}

    def key(item):
        method, path, op = item
        r = rank[method]
        if op["operationId"] == "headlessSignOut":
            r = 2
        if op["operationId"] == "deleteTenant":
            r = 9
        if op["operationId"] == "revokeSession":
            r = 2.5
        if op["operationId"] == "deleteOrganization":
            r = 3.5  # after its members
        return (r, path)

    return sorted(operations(spec), key=key)


def test_every_documented_operation_is_answered_as_documented(spec, world):
    for method, path, op in ordered(spec):
        schema = request_schema(spec, op)
        body = None
        if schema is not None and op["requestBody"].get("required"):
            body = {}  # syntactically valid JSON; a missing required field is a documented 4xx, not a 404
        resp = world.call(method, path, world.headers(op), body)
        assert resp.status_code not in (404, 405), f"{op['operationId']}: {describe(resp)}"
        check_response(spec, method, path, resp)


def test_undocumented_methods_are_not_answered(spec, world):
    values = {"slug": world.tenant.slug, **FAKE_IDS}
    headers = {"Authorization": f"Bearer {world.admin.token}", "X-Client-Id": world.app.client_id}
    for path, item in spec["paths"].items():
        for method in PROBE_METHODS:
            if method.lower() in item:
                continue
            resp = world.call(method, path, headers, values=values)
            assert resp.status_code in (404, 405), (
                f"undocumented {method} {path} is answered: {describe(resp)}"
            )


def test_successful_answers_match_the_documented_schemas(spec, world):
    """Real successes (not just errors) have the documented shapes."""
    w = world
    admin = {"Authorization": f"Bearer {w.admin.token}", "Accept": "application/json"}
    app = {"X-Client-Id": w.app.client_id}
    bearer = {**app, "Authorization": f"Bearer {w.tokens['access_token']}"}
    check_response(spec, "POST", "/v1/auth/sign-in", w.sign_in)
    assert "refresh_token" in w.tokens and "id_token" in w.tokens, w.tokens

    resp = w.call("POST", "/v1/auth/refresh", app, {"refresh_token": w.tokens["refresh_token"]})
    check_response(spec, "POST", "/v1/auth/refresh", expect(resp, 200))
    check_response(spec, "GET", "/v1/me", expect(w.call("GET", "/v1/me", bearer), 200))
    check_response(spec, "GET", "/v1/auth/session", expect(w.call("GET", "/v1/auth/session", bearer), 200))

    checks = [
        (
            "POST",
            f"{A}/tenants",
            {
                "slug": f"o-{w.tenant.slug}",
                "name": "OpenAPI",
                "environment": "dev",
                "settings": {"session_ttl": 3600, "signing_algorithms": ["EdDSA", "RS256"]},
            },
            201,
        ),
        ("GET", f"{A}/tenants", None, 200),
        ("GET", T, None, 200),
        (
            "PATCH",
            T,
            {
                "name": "Renamed",
                "settings": {
                    "mfa_policy": "optional",
                    "allowed_origins": ["https://app.example"],
                    "signing_algorithms": ["EdDSA", "ES256"],
                },
            },
            200,
        ),
        (
            "POST",
            f"{T}/clients",
            {
                "name": "c",
                "type": "confidential",
                "redirect_uris": ["https://rp.example/cb"],
                "allowed_scopes": "openid clients:read",
                "access_token_signing_alg": "ES256",
            },
            201,
        ),
        ("POST", f"{T}/clients", {"name": "p", "type": "public", "grant_types": ["refresh_token"]}, 201),
        ("GET", f"{T}/clients", None, 200),
        ("GET", f"{T}/clients/{{client_id}}", None, 200),
        (
            "PATCH",
            f"{T}/clients/{{client_id}}",
            {"first_party": True, "id_token_signed_response_alg": "ES256"},
            200,
        ),
        ("POST", f"{T}/clients/{{client_id}}/rotate-secret", {"overlap_seconds": 60}, 200),
        ("POST", f"{T}/users", {"email": unique_email(), "email_verified": True}, 201),
        ("GET", f"{T}/users", None, 200),
        ("GET", f"{T}/users/{{user_id}}", None, 200),
        ("PATCH", f"{T}/users/{{user_id}}", {"name": "Grace"}, 200),
        ("GET", f"{T}/sessions", None, 200),
        ("GET", f"{T}/keys", None, 200),
        ("POST", f"{T}/keys/rotate", {"algorithms": ["ES256"]}, 200),
        ("POST", f"{T}/providers", {"kind": "github", "name": "GitHub", "client_id": "gh", "client_secret": "x"}, 201),
        ("POST", f"{T}/providers", {"kind": "microsoft", "name": "Work account", "client_id": "ms"}, 201),
        ("GET", f"{T}/providers", None, 200),
        ("GET", f"{T}/providers/{{provider}}", None, 200),
        ("POST", f"{T}/organizations", {"name": "Docs", "slug": "docs", "public_metadata": {"a": 1}}, 201),
        ("GET", f"{T}/organizations", None, 200),
        ("GET", f"{T}/organizations/{{org}}", None, 200),
        ("PATCH", f"{T}/organizations/{{org}}", {"mfa_required": True, "private_metadata": {"crm": 7}}, 200),
        ("POST", f"{T}/roles", {"name": "auditor", "permissions": ["reports:read"], "description": "R"}, 201),
        ("GET", f"{T}/roles", None, 200),
        ("GET", f"{T}/roles/{{role}}", None, 200),
        ("PATCH", f"{T}/roles/{{role}}", {"permissions": ["org:read"]}, 200),
        ("POST", f"{T}/organizations/{{org}}/members", {"user_id": w.newcomer.id, "role": "auditor"}, 201),
        ("GET", f"{T}/organizations/{{org}}/members", None, 200),
        ("GET", f"{T}/organizations/{{org}}/members/{{user_id}}", None, 200),
        ("PATCH", f"{T}/organizations/{{org}}/members/{{user_id}}", {"role": "owner"}, 200),
        ("PATCH", f"{T}/providers/{{provider}}", {"enabled": False, "scopes": ["openid", "email"]}, 200),
        ("DELETE", f"{T}/providers/{{provider}}", None, 204),
        ("DELETE", f"{T}/sessions/{{session_id}}", None, 204),
        ("DELETE", f"{T}/clients/{{client_id}}", None, 204),
        ("DELETE", f"{T}/users/{{user_id}}", None, 204),
        ("DELETE", T, None, 204),
    ]
    for method, path, body, status in checks:
        resp = w.call(method, path, admin, body)
        assert resp.status_code == status, describe(resp)
        check_response(spec, method, path, resp)
        if path == f"{A}/tenants" and method == "POST":
            expect(w.admin.delete(f"/tenants/{resp.json()['slug']}"), 204)
        if path.endswith("/sessions") and method == "GET":
            assert resp.json()["sessions"], "the world's session is listed"


def test_documented_required_fields_are_required(spec, world):
    for method, path, op in operations(spec):
        schema = request_schema(spec, op)
        if schema is None or not schema.get("required"):
            continue
        full = example_body(schema)  # optional fields too: some are conditionally required
        headers = world.headers(op)
        if "userAccessToken" in str(op["security"]):
            headers.pop("Authorization", None)  # sign-out: the body is read only without an access token
        for field in schema["required"]:
            body = {k: v for k, v in full.items() if k != field}
            resp = world.call(method, path, headers, body)
            where = f"{op['operationId']} without {field!r}"
            if path.startswith(A):
                problem = assert_problem(resp, 422)
                fields = [e["field"] for e in problem.get("errors", [])]
                assert field in fields, f"{where}: {problem}"
                assert all(f == field for f in fields), f"{where}: other fields blamed: {problem}"
            else:
                assert resp.status_code == 400, f"{where}: {describe(resp)}"
                error = resp.json()
                assert error["error"] == "invalid_request" and field in error["error_description"], (
                    f"{where}: {error}"
                )
            check_response(spec, method, path, resp)


def test_documented_examples_make_a_valid_body(spec, world):
    """The control for the test above: the documented examples pass validation."""
    for method, path, op in operations(spec):
        schema = request_schema(spec, op)
        if schema is None or not schema.get("required"):
            continue
        body = example_body(schema)
        if op["operationId"] == "createTenant":
            body["slug"] = f"x-{world.tenant.slug}"
        if op["operationId"] == "addOrganizationMember":
            body["user_id"] = world.newcomer.id  # the example names no user of this tenant
        headers = world.headers(op)
        if "userAccessToken" in str(op["security"]):
            headers.pop("Authorization", None)
        resp = world.call(method, path, headers, body)
        where = f"{op['operationId']} with {body}"
        if path.startswith(A):
            assert resp.status_code in (200, 201), f"{where}: {describe(resp)}"
        else:
            # Example credentials and tokens are not real: anything but a malformed request.
            assert resp.status_code in (200, 204) or resp.json()["error"] != "invalid_request", (
                f"{where}: {describe(resp)}"
            )
        check_response(spec, method, path, resp)
        if op["operationId"] == "createTenant":
            expect(world.admin.delete(f"/tenants/{body['slug']}"), 204)


def test_client_redirect_uris_are_conditionally_required(spec, world):
    schema = spec["components"]["schemas"]["ClientCreate"]
    assert schema["then"]["required"] == ["redirect_uris"]
    path = f"{T}/clients"
    admin = {"Authorization": f"Bearer {world.admin.token}"}
    problem = assert_problem(world.call("POST", path, admin, {"name": "n", "type": "public"}), 422)
    assert [e["field"] for e in problem["errors"]] == ["redirect_uris"], problem
    resp = world.call(
        "POST", path, admin, {"name": "n", "type": "confidential", "grant_types": ["client_credentials"]}
    )
    check_response(spec, "POST", path, expect(resp, 201))


def unknown_field_answer(spec: dict, world: World, method: str, path: str, op: dict) -> requests.Response:
    schema = request_schema(spec, op)
    body = {**example_body(schema, only_required=True), UNKNOWN_FIELD: 1}
    headers = world.headers(op)
    if "userAccessToken" in str(op["security"]):
        headers.pop("Authorization", None)
    return world.call(method, path, headers, body)


# Known server bug, tested on its own below.
UNKNOWN_FIELD_BUGS = {"headlessSignOut"}


def test_unknown_fields_are_rejected(spec, world):
    for method, path, op in operations(spec):
        schema = request_schema(spec, op)
        if schema is None or op["operationId"] in UNKNOWN_FIELD_BUGS:
            continue
        resp = unknown_field_answer(spec, world, method, path, op)
        where = f"{op['operationId']} with an unknown field"
        if path.startswith(A):
            problem = assert_problem(resp, 422)
            assert UNKNOWN_FIELD in [e["field"] for e in problem.get("errors", [])], f"{where}: {problem}"
        else:
            assert resp.status_code == 400 and UNKNOWN_FIELD in resp.json()["error_description"], (
                f"{where}: {describe(resp)}"
            )
        check_response(spec, method, path, resp)
    # Nested settings objects are closed too.
    problem = assert_problem(
        world.admin.patch(f"/tenants/{world.tenant.slug}", json={"settings": {UNKNOWN_FIELD: 1}}), 422
    )
    assert f"settings.{UNKNOWN_FIELD}" in [e["field"] for e in problem["errors"]], problem
    assert spec["components"]["schemas"]["TenantSettingsInput"]["additionalProperties"] is False


def test_sign_out_rejects_unknown_fields(spec, world):
    path = "/v1/auth/sign-out"
    resp = unknown_field_answer(spec, world, "POST", path, spec["paths"][path]["post"])
    assert resp.status_code == 400 and UNKNOWN_FIELD in resp.json()["error_description"], describe(resp)


def test_documented_value_ranges_are_enforced(spec, world):
    """Spot checks of documented bounds: TTL ranges, password length, overlap."""
    settings = spec["components"]["schemas"]["TenantSettingsInput"]["properties"]
    for name in (
        "access_token_ttl",
        "id_token_ttl",
        "refresh_token_ttl",
        "session_ttl",
        "authorization_code_ttl",
    ):
        prop = settings[name]
        for value, ok in (
            (prop["minimum"], True),
            (prop["maximum"], True),
            (prop["minimum"] - 1, False),
            (prop["maximum"] + 1, False),
        ):
            resp = world.admin.patch(f"/tenants/{world.tenant.slug}", json={"settings": {name: value}})
            if ok:
                assert expect(resp, 200).json()["settings"][name] == value
            else:
                problem = assert_problem(resp, 422)
                assert f"settings.{name}" in [e["field"] for e in problem["errors"]], problem
    user = spec["components"]["schemas"]["UserCreate"]["properties"]["password"]
    short = "x" * (user["minLength"] - 1)
    problem = assert_problem(
        world.admin.post(
            f"/tenants/{world.tenant.slug}/users", json={"email": unique_email(), "password": short}
        ),
        422,
    )
    assert [e["field"] for e in problem["errors"]] == ["password"], problem
    overlap = spec["components"]["schemas"]["SecretRotation"]["properties"]["overlap_seconds"]
    resp = world.admin.post(
        f"/tenants/{world.tenant.slug}/clients/{world.confidential.client_id}/rotate-secret",
        json={"overlap_seconds": overlap["maximum"] + 1},
    )
    assert [e["field"] for e in assert_problem(resp, 422)["errors"]] == ["overlap_seconds"]


# --------------------------------------------------------------------------- scopes


def test_required_scopes_match_tenant_scoped_tokens(spec, world):
    """x-required-scope is the scope a tenant-scoped admin token needs; x-instance-only ones are 404 to it."""
    tenant = world.tenant
    operator = tenant.create_client(
        "confidential", grant_types=["client_credentials"], allowed_scopes=" ".join(ADMIN_SCOPES)
    )
    everything = token_for(tenant, operator, " ".join(ADMIN_SCOPES))
    values = {"slug": tenant.slug, **FAKE_IDS}
    for method, path, op in operations(spec):
        if not path.startswith(A) or path == f"{A}/openapi.json":
            continue
        # A body that fails validation (never mutates) but only after authorization.
        body = {UNKNOWN_FIELD: 1} if request_schema(spec, op) is not None else None
        where = op["operationId"]
        if op.get("x-instance-only"):
            resp = world.call(method, path, {"Authorization": f"Bearer {everything}"}, body, values)
            assert_problem(resp, 404)
            check_response(spec, method, path, resp)
            continue
        scope = op["x-required-scope"]
        without = token_for(tenant, operator, " ".join(s for s in ADMIN_SCOPES if s != scope))
        resp = world.call(method, path, {"Authorization": f"Bearer {without}"}, body, values)
        problem = assert_problem(resp, 403)
        assert scope in problem["detail"], f"{where}: {problem}"
        check_response(spec, method, path, resp)
        only = token_for(tenant, operator, scope)
        resp = world.call(method, path, {"Authorization": f"Bearer {only}"}, body, values)
        assert resp.status_code not in (401, 403), f"{where} with only {scope}: {describe(resp)}"
        check_response(spec, method, path, resp)


def test_tenant_scoped_tokens_do_not_reach_other_tenants(spec, admin, world):
    other = admin.create_tenant()
    operator = world.tenant.create_client(
        "confidential", grant_types=["client_credentials"], allowed_scopes=" ".join(ADMIN_SCOPES)
    )
    token = token_for(world.tenant, operator, " ".join(ADMIN_SCOPES))
    resp = world.call("GET", T, {"Authorization": f"Bearer {token}"}, values={"slug": other.slug})
    assert_problem(resp, 404)
    resp = world.call("GET", T, {"Authorization": f"Bearer {token}"})
    check_response(spec, "GET", T, expect(resp, 200))


def test_admin_operations_require_a_token(spec, world):
    for method, path, op in operations(spec):
        if not path.startswith(A) or not op["security"]:
            continue  # the headless API and the public document
        resp = world.call(
            method, path, {"Accept": "application/json"}, values={"slug": world.tenant.slug, **FAKE_IDS}
        )
        assert_problem(resp, 401)
        check_response(spec, method, path, resp)
