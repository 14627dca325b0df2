"""The OpenAPI document at /admin/v1/openapi.json describes exactly what the live server answers.

* Every documented operation is answered (not 404/405) with a documented status whose body
  matches the documented schema; undocumented methods on documented paths are not.
* Documented request schemas are enforced: required fields are required (422 problem naming the
  field, or ``invalid_request`` on the headless API), unknown fields are rejected
  (``additionalProperties: false``).
* ``x-required-scope`` / ``x-instance-only`` match what tenant-scoped admin tokens may do.
"""

from __future__ import annotations

import requests

from gatehouse_client import (
    assert_problem,
    describe,
    expect,
    unique_email,
)
from openapi_helpers import (
    A,
    ADMIN_SCOPES,
    FAKE_IDS,
    PROBE_METHODS,
    T,
    UNKNOWN_FIELD,
    World,
    check_response,
    example_body,
    operations,
    request_schema,
    token_for,
)
from openapi_helpers import spec, world  # noqa: F401 - fixtures


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


# Operations on objects that only a browser ceremony makes (WebAuthn), with the word their 404 names.
CEREMONY_MADE = {"deletePasskey": "passkey"}


def test_every_documented_operation_is_answered_as_documented(spec, world):
    for method, path, op in ordered(spec):
        schema = request_schema(spec, op)
        body = None
        if schema is not None and op["requestBody"].get("required"):
            body = {}  # syntactically valid JSON; a missing required field is a documented 4xx, not a 404
        resp = world.call(method, path, world.headers(op), body)
        if op["operationId"] in CEREMONY_MADE:
            assert_problem(resp, 404)  # the object is missing, and the route says so as a problem
            assert CEREMONY_MADE[op["operationId"]] in resp.json()["detail"], describe(resp)
        else:
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
        # The world's user is the last owner of the world's organization (409 until it goes).
        ("DELETE", f"{T}/users/{{user_id}}", None, 409),
        ("DELETE", f"{T}/organizations/{{org}}", None, 204),
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
        if op["operationId"] == "setOrganizationSSO":
            body["provider_id"] = world.provider["id"]  # the example names no provider of this tenant
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
