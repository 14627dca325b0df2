"""The OpenAPI document at /admin/v1/openapi.json, read on its own.

* The document is valid OpenAPI 3.1 (openapi-spec-validator).
* That it lists exactly the routes the router registers is proved in Swift
  (Tests/GatehouseWebTests/OpenAPIDocumentTests.swift, from the router's own route table).
* Every operation is identified and described, states its scope, uses the right error media types;
  request bodies reject unknown fields in the schema.
"""

from __future__ import annotations

import re

from openapi_helpers import (
    A,
    ADMIN_SCOPES,
    INSTANCE_ONLY,
    operations,
    request_schema,
    resolve,
)
from openapi_helpers import spec  # noqa: F401 - fixtures


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
