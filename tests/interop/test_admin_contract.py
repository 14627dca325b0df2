"""The admin API keeps its contract (issue 8 item 14, issue 18 items 1, 4, 5).

Key rotation refuses repeated algorithms, list filters refuse empty values, `null` is refused where
the document does not allow it, an email change resets `email_verified`, test emails are rate
limited per tenant, and the account console's built-in client cannot be deleted.
"""

from __future__ import annotations

import pytest
import requests

from accounts_pages import Console
from cli_helpers import CLI
from gatehouse_client import HTTP_TIMEOUT, Browser, assert_problem, describe, expect, query_params

A = "/admin/v1"


@pytest.fixture(scope="module")
def spec(public_url) -> dict:
    return expect(requests.get(f"{public_url}{A}/openapi.json", timeout=HTTP_TIMEOUT), 200).json()


def fields(problem: dict) -> list[str]:
    return [e["field"] for e in problem.get("errors", [])]


# --------------------------------------------------------------------------- keys (issue 18 item 1)


def test_key_rotation_refuses_a_repeated_algorithm(admin, tenant, spec):
    algorithm = tenant.raw["settings"]["signing_algorithms"][0]
    path = f"/tenants/{tenant.slug}/keys/rotate"
    before = expect(admin.get(f"/tenants/{tenant.slug}/keys"), 200).json()["keys"]
    problem = assert_problem(admin.post(path, json={"algorithms": [algorithm, algorithm]}), 422)
    assert fields(problem) == ["algorithms"] and "more than once" in problem["detail"], problem
    assert expect(admin.get(f"/tenants/{tenant.slug}/keys"), 200).json()["keys"] == before
    # With a rotation pending the repeat is refused as well (it used to list the pending key twice).
    pending = expect(admin.post(path, json={"algorithms": [algorithm]}), 200).json()["keys"]
    assert len(pending) == 1
    assert_problem(admin.post(path, json={"algorithms": [algorithm, algorithm]}), 422)
    schema = spec["components"]["schemas"]
    rotation = next(s for s in schema.values() if "algorithms" in s.get("properties", {}))
    assert rotation["properties"]["algorithms"]["uniqueItems"] is True


def test_cli_key_rotation_prints_the_problem_and_fails(server, tenant, tmp_path):
    algorithm = tenant.raw["settings"]["signing_algorithms"][0]
    cli = CLI(server.public_url, server.admin_token, tmp_path)
    stderr = cli.fails("keys", "rotate", "--tenant", tenant.slug, "--algorithm", f"{algorithm},{algorithm}", status=422)
    assert "more than once" in stderr and "UNIQUE" not in stderr, stderr


# --------------------------------------------------------------------------- filters (issue 18 item 4)


@pytest.mark.parametrize("query", ["user_id=", "user_id", "user_id=usr_nope", "user_id=%ZZ", "user_id=a&user_id=b"])
def test_session_filters_that_are_empty_or_malformed_are_422(admin, tenant, query):
    user = tenant.create_user()
    resp = admin.get(f"/tenants/{tenant.slug}/sessions?{query}")
    assert fields(assert_problem(resp, 422)) == ["user_id"], describe(resp)
    expect(admin.get(f"/tenants/{tenant.slug}/sessions?user_id={user.id}"), 200)
    expect(admin.get(f"/tenants/{tenant.slug}/sessions"), 200)


# --------------------------------------------------------------------------- null (issue 18 item 5)


def test_null_is_refused_where_the_document_does_not_allow_it(admin, tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    for body, field in [
        ({"password": None}, "password"),
        ({"disabled": None}, "disabled"),
        ({"email": None}, "email"),
    ]:
        resp = admin.patch(f"/tenants/{tenant.slug}/users/{user.id}", json=body)
        assert field in fields(assert_problem(resp, 422)), describe(resp)
    resp = admin.post(f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret", json={"overlap_seconds": None})
    assert fields(assert_problem(resp, 422)) == ["overlap_seconds"], describe(resp)
    resp = admin.patch(f"/tenants/{tenant.slug}", json={"name": None})
    assert fields(assert_problem(resp, 422)) == ["name"], describe(resp)
    assert expect(admin.get(f"/tenants/{tenant.slug}/users/{user.id}"), 200).json()["name"] == user.name


def test_null_removes_a_field_as_in_json_merge_patch(admin, tenant):
    """RFC 7396 §2: where the document allows `null`, it removes the field: a user's name goes, a
    tenant setting goes back to its default; fields left out keep their values."""
    user = tenant.create_user()
    path = f"/tenants/{tenant.slug}/users/{user.id}"
    assert expect(admin.get(path), 200).json().get("name")
    patched = expect(admin.patch(path, json={"name": None}, headers={"Content-Type": "application/merge-patch+json"}), 200).json()
    assert patched.get("name") in (None, ""), patched
    assert patched["email"] == user.email

    tenant_path = f"/tenants/{tenant.slug}"
    changed = {"access_token_ttl": 120, "session_ttl": 3600, "mfa_policy": "optional",
               "allowed_origins": ["https://app.example.com"]}
    settings = expect(admin.patch(tenant_path, json={"settings": changed}), 200).json()["settings"]
    assert settings["access_token_ttl"] == 120 and settings["mfa_policy"] == "optional"
    reset = expect(admin.patch(tenant_path, json={"settings": {"access_token_ttl": None, "session_ttl": None}}), 200).json()["settings"]
    assert reset["access_token_ttl"] == 900 and reset["session_ttl"] == 14 * 86400
    # Untouched settings keep their values.
    assert reset["mfa_policy"] == "optional" and reset["allowed_origins"] == ["https://app.example.com"]
    # Tokens follow the default again.
    assert expect(admin.get(tenant_path), 200).json()["settings"]["access_token_ttl"] == 900


def test_settings_that_do_nothing_yet_are_refused(admin, tenant):
    """Webhooks are not delivered yet: a value is refused, not stored and ignored (custom claims
    work now: tests/interop/test_custom_claims.py)."""
    for field, value in (("webhooks", [{"url": "https://hooks.example.com/x", "events": ["user.created"], "enabled": True}]),):
        problem = assert_problem(admin.patch(f"/tenants/{tenant.slug}", json={"settings": {field: value}}), 422)
        assert [e["field"] for e in problem["errors"]] == [f"settings.{field}"], problem
    settings = expect(admin.patch(f"/tenants/{tenant.slug}", json={"settings": {"webhooks": [], "custom_claims": {}}}), 200).json()["settings"]
    assert settings["webhooks"] == [] and settings["custom_claims"] == {}


def test_sign_out_counts_the_refresh_token_length_in_code_points(tenant):
    app = tenant.create_client("public", first_party=True)
    # One grapheme cluster, 601 code points: beyond the documented maxLength of 512.
    token = "a" + "\u0301" * 600
    resp = requests.post(
        f"{tenant.public_url}/v1/auth/sign-out",
        json={"refresh_token": token},
        headers={"X-Client-Id": app.client_id},
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request", describe(resp)


def test_sign_up_email_schema_refuses_the_empty_string(spec):
    email = spec["components"]["schemas"]["SignUpRequest"]["properties"]["email"]
    assert email.get("minLength", 0) >= 3 and email.get("format") == "email", email


# --------------------------------------------------------------------------- email_verified (issue 8 item 14)


def test_changing_a_users_email_resets_email_verified(admin, tenant):
    user = tenant.create_user(email_verified=True)
    path = f"/tenants/{tenant.slug}/users/{user.id}"
    assert expect(admin.patch(path, json={"name": "Renamed"}), 200).json()["email_verified"] is True
    changed = expect(admin.patch(path, json={"email": f"new-{user.email}"}), 200).json()
    assert changed["email_verified"] is False, changed
    assert expect(admin.get(path), 200).json()["email_verified"] is False
    both = expect(admin.patch(path, json={"email": f"again-{user.email}", "email_verified": True}), 200).json()
    assert both["email_verified"] is True, both
    same = expect(admin.patch(path, json={"email": f"again-{user.email}"}), 200).json()
    assert same["email_verified"] is True, "the same address is no change"


# --------------------------------------------------------------------------- test mail (issue 8 item 14)


def test_test_emails_are_rate_limited_per_tenant(admin, tenant, other_tenant):
    def send(t):
        return admin.post(f"/tenants/{t.slug}/templates/email/verify/test", json={"to": "limit@example.test"})

    for _ in range(10):
        expect(send(tenant), 200)
    resp = send(tenant)
    assert_problem(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1, describe(resp)
    expect(send(other_tenant), 200)  # every tenant has its own bucket


# --------------------------------------------------------------------------- console client (issue 8 item 14)


def test_the_console_client_cannot_be_deleted_and_the_console_keeps_working(admin, tenant):
    start = Browser().get(f"{tenant.issuer}/account")
    assert start.status_code in (302, 303), describe(start)
    console_id = query_params(start.headers["Location"])["client_id"]
    path = f"/tenants/{tenant.slug}/clients/{console_id}"
    assert "console" in assert_problem(admin.delete(path), 409)["detail"]
    assert_problem(admin.patch(path, json={"redirect_uris": ["https://evil.example/cb"]}), 409)
    expect(admin.get(path), 200)
    user = tenant.create_user()
    page = Console(tenant, Browser()).sign_in(user.email, user.password)
    assert page.status_code == 200 and user.email in page.text, describe(page)
