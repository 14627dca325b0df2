"""Invitations, domains and per-organization SSO through the admin API and the CLI (docs/contract.md
A8, A11): every route, every refusal answered with an RFC 9457 problem naming the field and
creating nothing, cursor pagination of invitations, the orgs:read / orgs:write scopes, If-Match and
Idempotency-Key, and tenant isolation."""

from __future__ import annotations

import pytest

from cli_helpers import CLI, parse_time
from gatehouse_client import assert_problem, expect, unique_slug
from tenancy_helpers import admin_token, create_admin_client, scoped_admin


@pytest.fixture
def cli(server, tmp_path) -> CLI:
    return CLI(server.public_url, server.admin_token, tmp_path)


def org_path(tenant, org: dict) -> str:
    return f"/tenants/{tenant.slug}/organizations/{org['id']}"


def create_org(admin, tenant, slug: str | None = None) -> dict:
    slug = slug or unique_slug("org")
    return expect(admin.post(f"/tenants/{tenant.slug}/organizations", json={"name": slug.title(),
        "slug": slug}), 201).json()


def add_provider(admin, tenant, name: str = "Okta") -> dict:
    body = {"kind": "oidc", "name": name, "client_id": "okta-client",
            "discovery_url": "https://sso.customera.example/.well-known/openid-configuration"}
    return expect(admin.post(f"/tenants/{tenant.slug}/providers", json=body), 201).json()


def fields(problem: dict) -> set[str]:
    return {e["field"] for e in problem.get("errors") or []}


def invitations(admin, path: str, **params) -> dict:
    return expect(admin.get(f"{path}/invitations", params=params), 200).json()


def test_invitation_lifecycle(admin, tenant):
    org = create_org(admin, tenant)
    path = org_path(tenant, org)
    created = expect(admin.post(f"{path}/invitations", json={"email": " Bob@CustomerA.com ",
        "role": "admin"}), 201).json()
    assert created["id"].startswith("inv_") and created["organization_id"] == org["id"]
    assert (created["email"], created["role"], created["status"]) == ("bob@customera.com", "admin", "pending")
    assert created["invited_by"] is None and created["accepted_at"] is None and created["revoked_at"] is None
    assert not any("token" in key or "url" in key for key in created), "the link token is never answered"
    assert expect(admin.get(f"{path}/invitations/{created['id']}"), 200).json() == created
    # Default lifetime 7 days; expires_in chooses another, up to 30 days.
    lifetime = parse_time(created["expires_at"]) - parse_time(created["created_at"])
    assert lifetime.total_seconds() == 7 * 86400
    short = expect(admin.post(f"{path}/invitations", json={"email": "c@customera.com",
        "expires_in": 3600}), 201).json()
    assert short["role"] == "member"
    assert (parse_time(short["expires_at"]) - parse_time(short["created_at"])).total_seconds() == 3600

    # Resend: pending stays pending with a new expiry; revoke once; a revoked one cannot be resent.
    resent = expect(admin.post(f"{path}/invitations/{created['id']}/resend",
        json={"expires_in": 86400}), 200).json()
    assert resent["status"] == "pending" and resent["id"] == created["id"]
    assert (parse_time(resent["expires_at"]) - parse_time(created["created_at"])).total_seconds() <= 86400 + 5
    expect(admin.post(f"{path}/invitations/{created['id']}/resend"), 200)
    revoked = expect(admin.post(f"{path}/invitations/{created['id']}/revoke"), 200).json()
    assert revoked["status"] == "revoked" and revoked["revoked_at"]
    problem = assert_problem(admin.post(f"{path}/invitations/{created['id']}/revoke"), 409)
    assert "revoked" in problem["detail"] and fields(problem) == {"status"}
    assert_problem(admin.post(f"{path}/invitations/{created['id']}/resend"), 409)
    # The address may be invited again once the earlier invitation is no longer pending.
    again = expect(admin.post(f"{path}/invitations", json={"email": "bob@customera.com"}), 201).json()
    assert again["id"] != created["id"]
    assert_problem(admin.get(f"{path}/invitations/inv_00000000000000000000000000"), 404)
    assert_problem(admin.get(f"{path}/invitations/nonsense"), 404)
    assert_problem(admin.post(f"{path}/invitations/inv_00000000000000000000000000/revoke"), 404)


def test_invitation_refusals_create_nothing(admin, tenant):
    org = create_org(admin, tenant)
    path = org_path(tenant, org)
    expect(admin.post(f"{path}/invitations", json={"email": "taken@customera.com"}), 201)
    for body, status, named in [
        ({"email": "not an address"}, 422, {"email"}),
        ({"email": "two@@customera.com"}, 422, {"email"}),
        ({"role": "admin"}, 422, {"email"}),
        ({"email": "x@customera.com", "role": "emperor"}, 422, {"role"}),
        ({"email": "x@customera.com", "expires_in": 30}, 422, {"expires_in"}),
        ({"email": "x@customera.com", "expires_in": 30 * 86400 + 1}, 422, {"expires_in"}),
        ({"email": "x@customera.com", "expires_in": "soon"}, 422, {"expires_in"}),
        ({"email": "x@customera.com", "token": "mine"}, 422, {"token"}),
        ({"email": "TAKEN@customera.com"}, 409, {"email"}),
    ]:
        problem = assert_problem(admin.post(f"{path}/invitations", json=body), status)
        assert named <= fields(problem), (body, problem)
    assert [i["email"] for i in invitations(admin, path)["invitations"]] == ["taken@customera.com"]
    invitation = invitations(admin, path)["invitations"][0]
    problem = assert_problem(admin.post(f"{path}/invitations/{invitation['id']}/resend",
        json={"expires_in": 1}), 422)
    assert fields(problem) == {"expires_in"}
    unknown = f"/tenants/{tenant.slug}/organizations/org_00000000000000000000000000"
    assert_problem(admin.post(f"{unknown}/invitations", json={"email": "x@customera.com"}), 404)


def test_invitations_pagination_newest_first(admin, tenant):
    org = create_org(admin, tenant)
    path = org_path(tenant, org)
    ids = [expect(admin.post(f"{path}/invitations", json={"email": f"p{i}@customera.com"}), 201).json()["id"]
           for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        page = invitations(admin, path, limit=3, **({"after": cursor} if cursor else {}))
        seen += [i["id"] for i in page["invitations"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True) and pages == 3
    assert_problem(admin.get(f"{path}/invitations", params={"after": "nope"}), 422)
    assert_problem(admin.get(f"{path}/invitations", params={"limit": 0}), 422)


def test_domains(admin, tenant):
    acme, globex = create_org(admin, tenant), create_org(admin, tenant)
    a, g = org_path(tenant, acme), org_path(tenant, globex)
    added = expect(admin.post(f"{a}/domains", json={"domain": "CustomerA.com", "auto_join": True}),
        201).json()
    assert added == {**added, "domain": "customera.com", "organization_id": acme["id"], "verified": False,
                     "verified_at": None, "auto_join": True, "default_role": "member"}
    for body, status, named in [
        ({"domain": "customera.com"}, 409, {"domain"}),
        ({"domain": "localhost"}, 422, {"domain"}),
        ({"domain": "-bad.example"}, 422, {"domain"}),
        ({"domain": "under_score.example"}, 422, {"domain"}),
        ({"domain": "ok.example", "default_role": "emperor"}, 422, {"default_role"}),
        ({"domain": "ok.example", "auto_join": "yes"}, 422, {"auto_join"}),
        ({"auto_join": True}, 422, {"domain"}),
    ]:
        problem = assert_problem(admin.post(f"{a}/domains", json=body), status)
        assert named <= fields(problem), (body, problem)
    # Held by another organization of the tenant: 409 as well.
    problem = assert_problem(admin.post(f"{g}/domains", json={"domain": "customera.com"}), 409)
    assert fields(problem) == {"domain"}
    assert expect(admin.get(f"{g}/domains"), 200).json() == {"domains": [], "next_cursor": None}
    assert [d["domain"] for d in expect(admin.get(f"{a}/domains"),
        200).json()["domains"]] == ["customera.com"]

    assert expect(admin.get(f"{a}/domains/CUSTOMERA.com"), 200).json() == added
    patched = expect(admin.patch(f"{a}/domains/customera.com", json={"auto_join": False,
        "default_role": "admin"}), 200).json()
    assert (patched["auto_join"], patched["default_role"]) == (False, "admin")
    problem = assert_problem(admin.patch(f"{a}/domains/customera.com", json={"default_role": "emperor"}), 422)
    assert fields(problem) == {"default_role"}
    verified = expect(admin.post(f"{a}/domains/customera.com/verify"), 200).json()
    assert verified["verified"] is True and verified["verified_at"]
    again = expect(admin.post(f"{a}/domains/customera.com/verify"), 200).json()
    assert again["verified_at"] == verified["verified_at"], "verifying again keeps the first time"
    assert_problem(admin.post(f"{g}/domains/customera.com/verify"), 404)
    assert_problem(admin.delete(f"{g}/domains/customera.com"), 404)
    # If-Match on a domain: a stale tag is 412.
    tag = admin.get(f"{a}/domains/customera.com").headers["ETag"]
    expect(admin.patch(f"{a}/domains/customera.com", json={"auto_join": True},
        headers={"If-Match": tag}), 200)
    assert_problem(admin.delete(f"{a}/domains/customera.com", headers={"If-Match": tag}), 412)
    expect(admin.delete(f"{a}/domains/customera.com"), 204)
    assert_problem(admin.get(f"{a}/domains/customera.com"), 404)
    # Released: the other organization may take it.
    expect(admin.post(f"{g}/domains", json={"domain": "customera.com"}), 201)


def test_sso(admin, tenant):
    org = create_org(admin, tenant)
    path = org_path(tenant, org)
    okta, azure = add_provider(admin, tenant, "Okta"), add_provider(admin, tenant, "Azure")
    assert_problem(admin.get(f"{path}/sso"), 404)
    assert_problem(admin.delete(f"{path}/sso"), 404)
    for body, named in [
        ({"provider_id": "idp_00000000000000000000000000"}, {"provider_id"}),
        ({"provider_id": "nobody"}, {"provider_id"}),
        ({"enforced": True}, {"provider_id"}),
        ({"provider_id": okta["id"], "default_role": "emperor"}, {"default_role"}),
        ({"provider_id": okta["id"], "enforced": "always"}, {"enforced"}),
    ]:
        problem = assert_problem(admin.request("PUT", f"{path}/sso", json=body), 422)
        assert named <= fields(problem), (body, problem)
    assert_problem(admin.get(f"{path}/sso"), 404)
    first = expect(admin.request("PUT", f"{path}/sso", json={"provider_id": okta["id"]}), 200).json()
    assert first == {"organization_id": org["id"], "provider_id": okta["id"], "enforced": False,
        "default_role": "member"}
    body = {"provider_id": azure["slug"], "enforced": True, "default_role": "admin"}
    replaced = expect(admin.request("PUT", f"{path}/sso", json=body), 200).json()
    assert (replaced["provider_id"], replaced["enforced"],
        replaced["default_role"]) == (azure["id"], True, "admin")
    assert expect(admin.get(f"{path}/sso"), 200).json() == replaced
    expect(admin.delete(f"{path}/sso"), 204)
    assert_problem(admin.get(f"{path}/sso"), 404)
    # Deleting the provider removes the SSO through it.
    expect(admin.request("PUT", f"{path}/sso", json={"provider_id": okta["id"]}), 200)
    expect(admin.delete(f"/tenants/{tenant.slug}/providers/{okta['id']}"), 204)
    assert_problem(admin.get(f"{path}/sso"), 404)


def test_idempotency_key_replays_an_invitation(admin, tenant):
    path = org_path(tenant, create_org(admin, tenant))
    headers = {"Idempotency-Key": "invite-once"}
    first = expect(admin.post(f"{path}/invitations", json={"email": "once@customera.com"},
        headers=headers), 201)
    again = expect(admin.post(f"{path}/invitations", json={"email": "once@customera.com"},
        headers=headers), 201)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert len(invitations(admin, path)["invitations"]) == 1


def test_deleting_the_organization_removes_them(admin, tenant):
    org = create_org(admin, tenant)
    path = org_path(tenant, org)
    provider = add_provider(admin, tenant)
    invitation = expect(admin.post(f"{path}/invitations", json={"email": "gone@customera.com"}), 201).json()
    expect(admin.post(f"{path}/domains", json={"domain": "gone.example"}), 201)
    expect(admin.request("PUT", f"{path}/sso", json={"provider_id": provider["id"]}), 200)
    expect(admin.delete(path), 204)
    assert_problem(admin.get(f"{path}/invitations/{invitation['id']}"), 404)
    other = org_path(tenant, create_org(admin, tenant))
    expect(admin.post(f"{other}/domains", json={"domain": "gone.example"}), 201)


def test_scopes(admin, tenant):
    org = create_org(admin, tenant)
    path = org_path(tenant, org)
    provider = add_provider(admin, tenant)
    reader = scoped_admin(tenant, admin_token(tenant, create_admin_client(tenant, scopes="orgs:read")))
    writer = scoped_admin(tenant, admin_token(tenant, create_admin_client(tenant,
        scopes="orgs:read orgs:write")))
    invitation = expect(writer.post(f"{path}/invitations", json={"email": "w@customera.com"}), 201).json()
    expect(writer.post(f"{path}/domains", json={"domain": "scoped.example"}), 201)
    expect(writer.request("PUT", f"{path}/sso", json={"provider_id": provider["id"]}), 200)
    for url in (f"{path}/invitations", f"{path}/invitations/{invitation['id']}", f"{path}/domains",
                f"{path}/domains/scoped.example", f"{path}/sso"):
        expect(reader.get(url), 200)
    for method, url, body in [
        ("POST", f"{path}/invitations", {"email": "r@customera.com"}),
        ("POST", f"{path}/invitations/{invitation['id']}/revoke", None),
        ("POST", f"{path}/invitations/{invitation['id']}/resend", None),
        ("POST", f"{path}/domains", {"domain": "reader.example"}),
        ("PATCH", f"{path}/domains/scoped.example", {"auto_join": True}),
        ("POST", f"{path}/domains/scoped.example/verify", None),
        ("DELETE", f"{path}/domains/scoped.example", None),
        ("PUT", f"{path}/sso", {"provider_id": provider["id"]}),
        ("DELETE", f"{path}/sso", None),
    ]:
        problem = assert_problem(reader.request(method, url, **({"json": body} if body else {})), 403)
        assert "orgs:write" in problem["detail"]
    assert expect(writer.get(f"{path}/invitations/{invitation['id']}"), 200).json()["status"] == "pending"
    users_only = scoped_admin(tenant, admin_token(tenant, create_admin_client(tenant, scopes="users:read")))
    assert_problem(users_only.get(f"{path}/invitations"), 403)


def test_tenant_isolation(admin, tenant, other_tenant):
    org = create_org(admin, tenant, "iso")
    path = org_path(tenant, org)
    invitation = expect(admin.post(f"{path}/invitations", json={"email": "i@customera.com"}), 201).json()
    expect(admin.post(f"{path}/domains", json={"domain": "isolated.example"}), 201)
    b_org = create_org(admin, other_tenant, "iso")
    b = f"/tenants/{other_tenant.slug}/organizations"
    assert_problem(admin.get(f"{b}/{org['id']}/invitations"), 404)
    assert_problem(admin.get(f"{b}/iso/invitations/{invitation['id']}"), 404)
    assert_problem(admin.post(f"{b}/iso/invitations/{invitation['id']}/revoke"), 404)
    assert_problem(admin.get(f"{b}/iso/domains/isolated.example"), 404)
    # The same domain in another tenant is another tenant's business.
    expect(admin.post(f"{b}/{b_org['id']}/domains", json={"domain": "isolated.example"}), 201)
    # A provider of tenant A is unknown in tenant B.
    provider = add_provider(admin, tenant)
    problem = assert_problem(admin.request("PUT", f"{b}/iso/sso", json={"provider_id": provider["id"]}), 422)
    assert fields(problem) == {"provider_id"}
    assert expect(admin.get(f"{path}/invitations/{invitation['id']}"), 200).json()["status"] == "pending"


def test_cli(cli: CLI, admin, tenant):
    t = ("--tenant", tenant.slug)
    cli.ok("org", "create", *t, "--name", "Customer A", "--slug", "customer-a")
    invited = cli.json("org", "invite", "customer-a", "--email", "bob@customera.com", "--role", "admin", *t)
    assert (invited["email"], invited["role"], invited["status"]) == ("bob@customera.com", "admin", "pending")
    table = cli.ok("org", "invitations", "customer-a", *t)
    assert "bob@customera.com" in table and "pending" in table
    assert [i["id"] for i in cli.json("org", "invitations", "customer-a",
        *t)["invitations"]] == [invited["id"]]
    cli.fails("org", "invite", "customer-a", "--email", "bob@customera.com", *t, status=409)
    cli.fails("org", "invite", "customer-a", "--email", "nope", *t, status=422)
    cli.fails("org", "invite", "customer-a", "--email", "x@customera.com", "--role", "emperor", *t,
        status=422)
    resent = cli.json("org", "resend", "customer-a", invited["id"], "--expires-in", "3600", *t)
    assert resent["status"] == "pending"
    assert cli.json("org", "revoke", "customer-a", invited["id"], *t)["status"] == "revoked"
    cli.fails("org", "revoke", "customer-a", invited["id"], *t, status=409)

    added = cli.json("org", "domain", "add", "customer-a", "customera.com", "--auto-join",
        "--default-role", "member", *t)
    assert (added["domain"], added["auto_join"], added["verified"]) == ("customera.com", True, False)
    cli.fails("org", "domain", "add", "customer-a", "customera.com", *t, status=409)
    cli.fails("org", "domain", "add", "customer-a", "not_a_domain", *t, status=422)
    assert cli.json("org", "domain", "verify", "customer-a", "customera.com", *t)["verified"] is True
    assert "customera.com" in cli.ok("org", "domain", "list", "customer-a", *t)
    assert [d["domain"] for d in cli.json("org", "domain", "list", "customer-a",
        *t)["domains"]] == ["customera.com"]
    cli.ok("org", "domain", "remove", "customer-a", "customera.com", *t)
    assert cli.json("org", "domain", "list", "customer-a", *t)["domains"] == []

    provider = add_provider(admin, tenant)
    sso = cli.json("org", "sso", "set", "customer-a", "--provider", provider["slug"], "--enforced", *t)
    assert (sso["provider_id"], sso["enforced"], sso["default_role"]) == (provider["id"], True, "member")
    assert cli.json("org", "sso", "show", "customer-a", *t) == sso
    cli.fails("org", "sso", "set", "customer-a", "--provider", "idp_00000000000000000000000000", *t,
        status=422)
    cli.ok("org", "sso", "remove", "customer-a", *t)
    cli.fails("org", "sso", "remove", "customer-a", *t, status=404)
