"""Instance admin API: tenants, clients, users, RFC 9457 problems, bearer auth."""

import uuid

import pytest
import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    assert_problem,
    expect,
    unique_email,
    unique_slug,
)


def uuid_hex(n):
    return uuid.uuid4().hex[:n]


def test_create_tenant_returns_201_with_issuer_and_settings(admin, public_url):
    slug = unique_slug()
    resp = expect(admin.post("/tenants", json={"slug": slug, "name": "Acme", "environment": "live"}), 201)
    body = resp.json()
    assert body["id"].startswith("ten_"), body
    assert body["slug"] == slug
    assert body["name"] == "Acme"
    assert body["environment"] == "live"
    assert body["issuer"] == f"{public_url}/t/{slug}"
    assert isinstance(body["settings"], dict), body


def test_tenant_crud(admin):
    tenant = admin.create_tenant(environment="dev")
    assert tenant.slug in {t["slug"] for t in admin.all_tenants()}

    got = expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()
    assert got["id"] == tenant.id and got["environment"] == "dev"

    patched = expect(
        admin.patch(
            f"/tenants/{tenant.slug}", json={"name": "Renamed", "settings": {"access_token_ttl": 600}}
        ),
        200,
    ).json()
    assert patched["name"] == "Renamed"
    assert patched["settings"]["access_token_ttl"] == 600
    again = expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()
    assert again["name"] == "Renamed" and again["settings"]["access_token_ttl"] == 600

    assert admin.delete(f"/tenants/{tenant.slug}").status_code in (200, 204)
    assert_problem(admin.get(f"/tenants/{tenant.slug}"), 404)
    discovery = requests.get(f"{tenant.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
    assert discovery.status_code == 404


@pytest.mark.parametrize(
    "field,value",
    [
        ("mfa_policy", "required"),
        ("refresh_token_ttl", 86400),
        ("session_ttl", 3600),
        ("allowed_origins", ["https://app.acme.example"]),
    ],
)
def test_patch_accepts_contract_settings(admin, field, value):
    tenant = admin.create_tenant()
    body = expect(admin.patch(f"/tenants/{tenant.slug}", json={"settings": {field: value}}), 200).json()
    assert body["settings"][field] == value, body


def test_duplicate_slug_is_409_problem(admin):
    tenant = admin.create_tenant()
    resp = admin.post("/tenants", json={"slug": tenant.slug, "name": "Twin", "environment": "test"})
    assert_problem(resp, 409)


@pytest.mark.parametrize(
    "slug",
    ["A-upper", "x", "has space", "under_score", "a" * 64, "", "dot.ted", "ünï"],
    ids=["upper", "too_short", "space", "underscore", "too_long", "empty", "dot", "non_ascii"],
)
def test_bad_slug_is_a_problem(admin, slug):
    resp = admin.post("/tenants", json={"slug": slug, "name": "Bad", "environment": "test"})
    assert_problem(resp, 400, 422)


def test_slug_length_bounds_are_accepted(admin):
    for slug in (uuid_hex(2), "a" * 53 + uuid_hex(10)):
        assert len(slug) in (2, 63)
        resp = admin.post("/tenants", json={"slug": slug, "name": "Edge", "environment": "test"})
        expect(resp, 201)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "No slug", "environment": "test"},
        {"slug": "s-" + uuid_hex(8), "name": "Bad env", "environment": "prod"},
        {"slug": 42, "name": "Wrong type", "environment": "test"},
        {"slug": "s-" + uuid_hex(8), "name": ["x"], "environment": "test"},
    ],
    ids=["empty", "missing_slug", "bad_environment", "slug_not_string", "name_not_string"],
)
def test_invalid_tenant_body_is_a_problem(admin, body):
    assert_problem(admin.post("/tenants", json=body), 400, 422)


@pytest.mark.parametrize("raw", ["{not json", "", "[]", "null"])
def test_malformed_json_is_a_problem(admin, raw):
    resp = admin.post("/tenants", data=raw, headers={"Content-Type": "application/json"})
    assert_problem(resp, 400, 415, 422)


def test_unknown_tenant_is_404_problem(admin):
    assert_problem(admin.get("/tenants/no-such-tenant-0000"), 404)
    resp = admin.post(
        "/tenants/no-such-tenant-0000/users",
        json={"email": unique_email(), "password": "pw-long-enough-1", "name": "X", "email_verified": True},
    )
    assert_problem(resp, 404)


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic YWRtaW46YWRtaW4="])
@pytest.mark.parametrize(
    "method,path", [("GET", "/tenants"), ("POST", "/tenants"), ("GET", "/tenants/default")]
)
def test_admin_api_requires_the_admin_bearer_token(public_url, authorization, method, path):
    headers = {"Authorization": authorization} if authorization else {}
    resp = requests.request(
        method,
        f"{public_url}/admin/v1{path}",
        headers=headers,
        json={"slug": unique_slug(), "name": "X", "environment": "test"} if method == "POST" else None,
        timeout=HTTP_TIMEOUT,
    )
    assert_problem(resp, 401)


def test_openapi_document_is_valid(admin, public_url):
    from openapi_spec_validator import validate

    resp = requests.get(f"{public_url}/admin/v1/openapi.json", timeout=HTTP_TIMEOUT)
    if resp.status_code == 401:
        resp = admin.get("/openapi.json")
    expect(resp, 200)
    spec = resp.json()
    validate(spec)
    paths = spec["paths"]
    for path in ("/admin/v1/tenants", "/admin/v1/tenants/{slug}"):
        assert path in paths or path.removeprefix("/admin/v1") in paths, sorted(paths)


# --------------------------------------------------------------------------- clients


@pytest.mark.parametrize("environment", ["live", "test", "dev"])
def test_client_ids_carry_the_environment(admin, environment):
    tenant = admin.create_tenant(environment=environment)
    public = tenant.create_client("public")
    assert public.client_id.startswith(f"pk_{environment}_"), public.raw
    assert "client_secret" not in public.raw or not public.raw["client_secret"], public.raw
    confidential = tenant.create_client("confidential")
    assert confidential.client_id.startswith(f"pk_{environment}_"), confidential.raw
    assert confidential.client_secret.startswith(f"sk_{environment}_"), confidential.raw
    assert public.client_id != confidential.client_id


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad type", "type": "secret", "redirect_uris": ["https://rp.example/cb"]},
        {"name": "bad uri", "type": "public", "redirect_uris": ["not a uri"]},
        {"name": "fragment", "type": "public", "redirect_uris": ["https://rp.example/cb#x"]},
        {
            "name": "bad grant",
            "type": "confidential",
            "redirect_uris": ["https://rp.example/cb"],
            "grant_types": ["password"],
        },
    ],
    ids=["bad_type", "bad_redirect_uri", "fragment_in_redirect_uri", "unsupported_grant"],
)
def test_invalid_client_body_is_a_problem(tenant, body):
    resp = tenant.admin.post(f"/tenants/{tenant.slug}/clients", json=body)
    assert_problem(resp, 400, 422)


# --------------------------------------------------------------------------- users


def test_create_user_and_duplicate_email_is_409(tenant):
    email = unique_email()
    user = tenant.create_user(email=email)
    assert user.id.startswith("usr_"), user.raw
    assert user.raw["email"] == email
    assert "password" not in user.raw and "password_hash" not in user.raw, user.raw
    resp = tenant.admin.post(
        f"/tenants/{tenant.slug}/users",
        json={"email": email, "password": "another password 1", "name": "Twin", "email_verified": False},
    )
    assert_problem(resp, 409)


def test_same_email_may_exist_in_two_tenants(tenant, other_tenant):
    email = unique_email()
    a = tenant.create_user(email=email)
    b = other_tenant.create_user(email=email)
    assert a.id != b.id


@pytest.mark.parametrize(
    "body",
    [
        {"password": "long enough password", "name": "No email"},
        {"email": "not-an-email", "password": "long enough password", "name": "Bad"},
    ],
    ids=["missing_email", "bad_email"],
)
def test_invalid_user_body_is_a_problem(tenant, body):
    resp = tenant.admin.post(f"/tenants/{tenant.slug}/users", json=body)
    assert_problem(resp, 400, 422)


def test_settings_list_the_overridden_email_templates(admin):
    """`settings.email_templates` (read-only) names the email templates the tenant overrides."""
    tenant = admin.create_tenant()
    path = f"/tenants/{tenant.slug}/templates/email/verify"
    assert expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"]["email_templates"] == []
    body = {"subject": "Verify {{tenant_name}}", "text": "Code {{code}}: {{link}}"}
    expect(admin.request("PUT", path, json=body), 200)
    assert expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"]["email_templates"] == ["email/verify"]
    expect(admin.request("DELETE", path), 204)
    assert expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"]["email_templates"] == []
