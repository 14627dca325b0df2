"""The headless auth API: how the client (and so the tenant) is resolved — ``X-Client-Id: pk_…`` of a
first-party public client or ``Authorization: Bearer sk_…`` of a confidential one — and malformed
input. Errors are RFC 6749 JSON with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import pytest

from gatehouse_client import check_access_token, describe, expect
from headless_helpers import assert_json_error
from tenancy_helpers import headless, is_active, sign_in, signed_in

# isort: split
# Shared fixtures come from headless_helpers.
from headless_helpers import app, user  # noqa: F401

# --------------------------------------------------------------------------- client resolution


def test_missing_x_client_id_is_invalid_client(tenant, user):
    resp = headless(
        tenant.public_url, "POST", "auth/sign-in", body={"email": user.email, "password": user.password}
    )
    assert_json_error(resp, "invalid_client", 401)
    assert resp.headers.get("WWW-Authenticate"), describe(resp)


@pytest.mark.parametrize(
    "client_id",
    [
        "pk_test_" + "A" * 24,
        "pk_live_doesnotexist",
        "sk_test_" + "B" * 43,
        "",
        "cli_01HABCDEFGHJKMNPQRSTVWXYZ0",
    ],
)
def test_unknown_publishable_key_is_invalid_client(tenant, user, client_id):
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/sign-in",
        client_id=client_id,
        body={"email": user.email, "password": user.password},
    )
    assert_json_error(resp, "invalid_client", 401)


def test_third_party_client_is_unauthorized_client(tenant, user):
    third = tenant.create_client("public", first_party=False, name="third-party app")
    resp = sign_in(tenant.public_url, third, user)
    assert_json_error(resp, "unauthorized_client", 400)
    assert user.email not in resp.text


def test_confidential_first_party_client_uses_its_secret_key(tenant, user):
    backend = tenant.create_client("confidential", first_party=True, name="first-party backend")
    assert backend.client_secret.startswith("sk_test_")
    # The publishable key alone is refused: a confidential client authenticates.
    resp = sign_in(tenant.public_url, backend, user)
    assert_json_error(resp, "invalid_client", 401)
    # A wrong secret key, or one that does not match X-Client-Id, is refused too.
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/sign-in",
        secret="sk_test_" + "Z" * 43,
        body={"email": user.email, "password": user.password},
    )
    assert_json_error(resp, "invalid_client", 401)
    other = tenant.create_client("public", first_party=True)
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/sign-in",
        secret=backend.client_secret,
        client_id=other.client_id,
        body={"email": user.email, "password": user.password},
    )
    assert_json_error(resp, "invalid_request", 400)

    body = signed_in(tenant.public_url, backend, user, use_secret=True)
    claims = check_access_token(tenant, backend, body["access_token"], user=user)
    assert claims["client_id"] == backend.client_id
    # With X-Client-Id matching the secret key it works as well.
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/sign-in",
        secret=backend.client_secret,
        client_id=backend.client_id,
        body={"email": user.email, "password": user.password},
    )
    expect(resp, 200)
    refreshed = headless(
        tenant.public_url,
        "POST",
        "auth/refresh",
        secret=backend.client_secret,
        body={"refresh_token": body["refresh_token"]},
    )
    expect(refreshed, 200)
    out = headless(
        tenant.public_url,
        "POST",
        "auth/sign-out",
        secret=backend.client_secret,
        body={"refresh_token": refreshed.json()["refresh_token"]},
    )
    assert out.status_code == 204, describe(out)
    assert not is_active(tenant, backend, refreshed.json()["refresh_token"])


def test_rotated_secret_key_in_the_headless_api(tenant, admin, user):
    backend = tenant.create_client("confidential", first_party=True)
    resp = expect(admin.post(f"/tenants/{tenant.slug}/clients/{backend.client_id}/rotate-secret"), 200)
    new_secret = resp.json()["client_secret"]
    body = {"email": user.email, "password": user.password}
    expect(headless(tenant.public_url, "POST", "auth/sign-in", secret=new_secret, body=body), 200)
    old = headless(tenant.public_url, "POST", "auth/sign-in", secret=backend.client_secret, body=body)
    assert_json_error(old, "invalid_client", 401)


def test_tokens_of_another_client_of_the_same_tenant_are_refused(tenant, app, user):
    other = tenant.create_client("public", first_party=True, name="another app")
    hl = signed_in(tenant.public_url, other, user)
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/refresh",
        client_id=app.client_id,
        body={"refresh_token": hl["refresh_token"]},
    )
    assert_json_error(resp, "invalid_grant", 400)
    # Signing out with another client's refresh token does nothing.
    resp = headless(
        tenant.public_url,
        "POST",
        "auth/sign-out",
        client_id=app.client_id,
        body={"refresh_token": hl["refresh_token"]},
    )
    assert resp.status_code in (204, 400), describe(resp)
    assert is_active(tenant, other, hl["refresh_token"])
    resp = headless(
        tenant.public_url, "POST", "auth/sign-out", client_id=app.client_id, bearer=hl["access_token"]
    )
    assert_json_error(resp, "invalid_token", 401)
    expect(
        headless(
            tenant.public_url, "GET", "auth/session", client_id=other.client_id, bearer=hl["access_token"]
        ),
        200,
    )


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "raw",
    ['{"email": "a@example.test", "password": ', "not json", "[]", '"a string"', ""],
    ids=["truncated", "not-json", "array", "string", "empty"],
)
def test_malformed_json_is_invalid_request(tenant, app, raw):
    resp = headless(tenant.public_url, "POST", "auth/sign-in", client_id=app.client_id, raw=raw)
    assert_json_error(resp, "invalid_request", 400)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.test"},
        {"password": "x" * 12},
        {"email": 5, "password": "x" * 12},
        {"email": "a@example.test", "password": "x" * 12, "remember_me": True},
    ],
    ids=["no-password", "no-email", "email-not-string", "unknown-field"],
)
def test_incomplete_sign_in_is_invalid_request(tenant, app, body):
    resp = headless(tenant.public_url, "POST", "auth/sign-in", client_id=app.client_id, body=body)
    assert_json_error(resp, "invalid_request", 400)


@pytest.mark.parametrize(
    "method,path,kwargs,error,status",
    [
        (
            "POST",
            "auth/sign-in",
            {"body": {"email": "x@example.test", "password": "wrong password 1"}},
            "invalid_grant",
            400,
        ),
        ("POST", "auth/refresh", {"body": {"refresh_token": "forged"}}, "invalid_grant", 400),
        ("POST", "auth/refresh", {"body": {}}, "invalid_request", 400),
        ("POST", "auth/sign-out", {"raw": "{"}, "invalid_request", 400),
        ("GET", "auth/session", {}, "invalid_token", 401),
        ("GET", "me", {"bearer": "a.b.c"}, "invalid_token", 401),
        ("POST", "auth/sign-in", {"client_id": "pk_test_unknown"}, "invalid_client", 401),
    ],
)
def test_errors_are_rfc6749_json_and_not_cached(tenant, app, method, path, kwargs, error, status):
    kwargs = dict(kwargs)
    client_id = kwargs.pop("client_id", app.client_id)
    resp = headless(tenant.public_url, method, path, client_id=client_id, **kwargs)
    body = assert_json_error(resp, error, status)
    assert set(body) <= {"error", "error_description", "error_uri"}, body
