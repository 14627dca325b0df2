"""The tenancy model (issue 3): tenant-scoped admin tokens (scopes, limits, revocation with their client)
and deleting a tenant (its data removed, its tokens stopped).
"""

from __future__ import annotations

import uuid

import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    assert_invalid_token,
    assert_oauth_error,
    assert_problem,
    authorization_request,
    code_flow,
    describe,
    expect,
    unique_slug,
)
from tenancy_helpers import (
    admin_token,
    client_credentials,
    create_admin_client,
    headless,
    is_active,
    jwks_kids,
    scoped_admin,
    signed_in,
    unverified,
)

# --------------------------------------------------------------------------- tenant-scoped admin


def test_tenant_scoped_admin_token_with_users_read(tenant, other_tenant, admin):
    backend = create_admin_client(tenant, scopes="users:read")
    user = tenant.create_user()
    other_user = other_tenant.create_user()
    token = admin_token(tenant, backend)
    _, claims = unverified(token)
    assert claims["scope"] == "users:read" and claims["sub"] == backend.client_id and "sid" not in claims, (
        claims
    )
    api = scoped_admin(tenant, token)

    users = expect(api.get(f"/tenants/{tenant.slug}/users"), 200).json()["users"]
    assert user.id in {u["id"] for u in users}
    assert expect(api.get(f"/tenants/{tenant.slug}/users/{user.id}"), 200).json()["email"] == user.email

    body = assert_problem(
        api.post(
            f"/tenants/{tenant.slug}/users",
            json={"email": f"new-{uuid.uuid4().hex[:6]}@example.test", "password": "x" * 12},
        ),
        403,
    )
    assert "users:write" in body["detail"], body
    assert_problem(api.get(f"/tenants/{tenant.slug}"), 403)  # needs tenant:read
    assert_problem(api.get(f"/tenants/{tenant.slug}/clients"), 403)  # needs clients:read
    assert_problem(api.post(f"/tenants/{tenant.slug}/keys/rotate"), 403)

    for resp in (
        api.get("/tenants"),
        api.post("/tenants", json={"slug": unique_slug(), "name": "Nope", "environment": "test"}),
        api.get(f"/tenants/{other_tenant.slug}"),
        api.get(f"/tenants/{other_tenant.slug}/users"),
        api.get(f"/tenants/{other_tenant.slug}/users/{other_user.id}"),
        api.delete(f"/tenants/{tenant.slug}"),  # deleting a tenant is for the instance admin
        api.get("/tenants/no-such-tenant/users"),
    ):
        body = assert_problem(resp, 404)
        assert other_tenant.slug not in resp.text and other_user.email not in resp.text, body

    # The instance admin token reaches every tenant.
    for t in (tenant, other_tenant):
        expect(admin.get(f"/tenants/{t.slug}/users"), 200)
        expect(admin.get(f"/tenants/{t.slug}"), 200)
    assert {tenant.slug, other_tenant.slug} <= {t["slug"] for t in admin.all_tenants()}


def test_tenant_scoped_admin_token_with_users_write(tenant):
    backend = create_admin_client(tenant, scopes="users:read users:write")
    api = scoped_admin(tenant, admin_token(tenant, backend))
    email = f"made-{uuid.uuid4().hex[:6]}@example.test"
    created = expect(
        api.post(f"/tenants/{tenant.slug}/users", json={"email": email, "password": "x" * 12}), 201
    ).json()
    assert created["id"].startswith("usr_")
    expect(api.delete(f"/tenants/{tenant.slug}/users/{created['id']}"), 204)


def test_admin_scopes_are_limited_to_the_clients_allowed_scopes(tenant):
    backend = create_admin_client(tenant, scopes="users:read")
    resp = client_credentials(tenant, backend, scope="users:read users:write")
    assert_oauth_error(resp, "invalid_scope", 400)
    # A client without admin scopes gets a token that the admin API does not accept.
    plain = tenant.create_client("confidential")
    token = expect(client_credentials(tenant, plain), 200).json()["access_token"]
    assert_problem(scoped_admin(tenant, token).get(f"/tenants/{tenant.slug}/users"), 403, 404)


def test_user_flows_never_carry_admin_scopes(tenant):
    client = tenant.create_client(
        "confidential", allowed_scopes="openid profile email users:read users:write"
    )
    user = tenant.create_user()
    _, url, state, _, _ = authorization_request(tenant, client, scope="openid users:read")
    result = Browser().authorize(url, client.redirect_uri, user=user)
    assert result.kind == "redirect" and result.error == "invalid_scope", result.trace()
    assert result.params.get("state") == state and result.params.get("iss") == tenant.issuer
    assert "code" not in result.params

    # A user's access token (with a session) is no admin token, whatever its scopes.
    flow = code_flow(tenant, client, user, scope="openid")
    resp = scoped_admin(tenant, flow.access_token).get(f"/tenants/{tenant.slug}/users")
    assert_problem(resp, 401)
    # The same client may use its admin scopes through client_credentials only.
    token = admin_token(tenant, client, scope="users:read")
    expect(scoped_admin(tenant, token).get(f"/tenants/{tenant.slug}/users"), 200)


def test_admin_token_stops_working_when_its_client_is_deleted(tenant, admin):
    backend = create_admin_client(tenant, scopes="users:read")
    api = scoped_admin(tenant, admin_token(tenant, backend))
    expect(api.get(f"/tenants/{tenant.slug}/users"), 200)
    expect(admin.delete(f"/tenants/{tenant.slug}/clients/{backend.client_id}"), 204)
    assert_problem(api.get(f"/tenants/{tenant.slug}/users"), 401)


# --------------------------------------------------------------------------- deleting a tenant


def tenant_files(server, tenant_id):
    """The tenant's database files (SQLite), or its schema (PostgreSQL)."""
    if server.database_url:
        from postgres_helpers import psql

        schema = f"gatehouse_t_{tenant_id.lower()}"
        return psql(server.database_url, f"SELECT nspname FROM pg_namespace WHERE nspname = '{schema}'").split()
    return sorted(p.name for p in (server.data_dir / "tenants").glob(f"{tenant_id}*"))


def test_deleting_a_tenant_removes_its_data_and_stops_its_tokens(admin, server, other_tenant):
    tenant = admin.create_tenant()
    client = tenant.create_client("confidential")
    app = tenant.create_client("public", first_party=True)
    backend = tenant.create_client(
        "confidential", first_party=True, grant_types=["client_credentials"], allowed_scopes="users:read"
    )
    user = tenant.create_user()
    flow = code_flow(tenant, client, user)
    hl = signed_in(tenant.public_url, app, user)
    admin_tok = admin_token(tenant, backend)
    expect(tenant.userinfo(flow.access_token), 200)
    assert tenant_files(server, tenant.id)
    other_client = other_tenant.create_client("confidential")
    discovery = tenant.discovery  # cached before deletion

    resp = admin.delete(f"/tenants/{tenant.slug}")
    assert resp.status_code == 204, describe(resp)

    assert tenant_files(server, tenant.id) == [], "the tenant's database files are still there"
    for url in (
        f"{tenant.issuer}/.well-known/openid-configuration",
        f"{tenant.public_url}/.well-known/oauth-authorization-server/t/{tenant.slug}",
        discovery["jwks_uri"],
    ):
        assert requests.get(url, timeout=HTTP_TIMEOUT).status_code == 404, url
    assert_problem(admin.get(f"/tenants/{tenant.slug}"), 404)
    assert tenant.slug not in expect(admin.get("/tenants"), 200).text

    # Its tokens stop verifying at once, at its own (gone) endpoints and everywhere else.
    for token in (flow.access_token, hl["access_token"]):
        gone = requests.get(
            discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT
        )
        assert gone.status_code in (401, 404), describe(gone)
        gone = requests.post(
            discovery["introspection_endpoint"],
            data={"token": token},
            headers=client.basic_auth(),
            timeout=HTTP_TIMEOUT,
        )
        assert gone.status_code in (401, 404), describe(gone)
        assert_invalid_token(other_tenant.userinfo(token))
        assert not is_active(other_tenant, other_client, token)
    assert not is_active(other_tenant, other_client, flow.refresh_token)

    # Its keys no longer resolve in the headless API nor the admin API.
    for resp in (
        headless(
            tenant.public_url,
            "POST",
            "auth/sign-in",
            client_id=app.client_id,
            body={"email": user.email, "password": user.password},
        ),
        headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"]),
        headless(
            tenant.public_url,
            "POST",
            "auth/refresh",
            client_id=app.client_id,
            body={"refresh_token": hl["refresh_token"]},
        ),
        headless(
            tenant.public_url,
            "POST",
            "auth/refresh",
            secret=backend.client_secret,
            body={"refresh_token": hl["refresh_token"]},
        ),
    ):
        assert_oauth_error(resp, "invalid_client", 401)
    assert_problem(scoped_admin(tenant, admin_tok).get(f"/tenants/{tenant.slug}/users"), 401, 404)

    # A new tenant with the same slug is a different issuer: nothing of the old one works there.
    again = admin.create_tenant(slug=tenant.slug)
    assert again.id != tenant.id and again.issuer == tenant.issuer
    assert not (jwks_kids(again) & {unverified(flow.access_token)[0]["kid"]})
    assert_invalid_token(again.userinfo(flow.access_token))
    fresh = again.create_client("confidential")
    assert not is_active(again, fresh, flow.access_token)
    assert not is_active(again, fresh, flow.refresh_token)
    assert_oauth_error(
        again.token_request({"grant_type": "client_credentials"}, client), "invalid_client", 401
    )
    assert_oauth_error(
        headless(tenant.public_url, "GET", "me", client_id=app.client_id, bearer=hl["access_token"]),
        "invalid_client",
        401,
    )
    expect(admin.delete(f"/tenants/{again.slug}"), 204)
