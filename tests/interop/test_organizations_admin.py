"""Organizations, members and roles through the admin API and the CLI (docs/contract.md A8, A11):
CRUD, every bad input answered with RFC 9457 problem details that name the field and create
nothing, the last-owner rule, pagination, the orgs:read / orgs:write scopes, and tenant isolation."""

from __future__ import annotations

import pytest

from cli_helpers import CLI
from gatehouse_client import assert_problem, expect, unique_slug
from tenancy_helpers import admin_token, create_admin_client, scoped_admin


@pytest.fixture
def cli(server, tmp_path) -> CLI:
    return CLI(server.public_url, server.admin_token, tmp_path)


def orgs(tenant) -> str:
    return f"/tenants/{tenant.slug}/organizations"


def create_org(admin, tenant, slug: str | None = None, **extra) -> dict:
    slug = slug or unique_slug("org")
    body = {"name": slug.title(), "slug": slug, **extra}
    return expect(admin.post(orgs(tenant), json=body), 201).json()


def scoped(tenant, scopes: str):
    """An admin API session with a tenant-scoped token holding ``scopes``."""
    return scoped_admin(tenant, admin_token(tenant, create_admin_client(tenant, scopes=scopes)))


def fields(problem: dict) -> set[str]:
    return {e["field"] for e in problem.get("errors") or []}


def org_count(admin, tenant) -> int:
    return len(expect(admin.get(orgs(tenant)), 200).json()["organizations"])


def test_organization_crud(admin, tenant):
    alice = tenant.create_user(name="Alice")
    org = create_org(
        admin, tenant, "customer-a", owner_user_id=alice.id, public_metadata={"plan": "pro"},
        private_metadata={"crm": 42}, mfa_required=True,
    )
    assert org["id"].startswith("org_") and org["slug"] == "customer-a" and org["name"] == "Customer-A"
    assert org["public_metadata"] == {"plan": "pro"} and org["private_metadata"] == {"crm": 42}
    assert org["mfa_required"] is True and org["created_at"] and org["updated_at"]
    # {org} is the id or the slug.
    assert expect(admin.get(f"{orgs(tenant)}/{org['id']}"), 200).json() == org
    assert expect(admin.get(f"{orgs(tenant)}/customer-a"), 200).json() == org
    members = expect(admin.get(f"{orgs(tenant)}/customer-a/members"), 200).json()
    assert members["next_cursor"] is None
    assert [(m["user_id"], m["role"], m["email"], m["name"]) for m in members["members"]] == [
        (alice.id, "owner", alice.email, "Alice")
    ]
    updated = expect(
        admin.patch(
            f"{orgs(tenant)}/{org['id']}",
            json={"name": "Customer A", "slug": "cust-a", "mfa_required": False},
        ),
        200,
    ).json()
    assert (updated["name"], updated["slug"], updated["mfa_required"]) == ("Customer A", "cust-a", False)
    assert updated["public_metadata"] == {"plan": "pro"}, "fields not given are kept"
    assert_problem(admin.get(f"{orgs(tenant)}/customer-a"), 404)
    listed = expect(admin.get(orgs(tenant), params={"query": "CUST"}), 200).json()
    assert [o["id"] for o in listed["organizations"]] == [org["id"]]
    expect(admin.delete(f"{orgs(tenant)}/cust-a"), 204)
    assert_problem(admin.get(f"{orgs(tenant)}/{org['id']}"), 404)
    assert_problem(admin.delete(f"{orgs(tenant)}/{org['id']}"), 404)


def test_members_and_last_owner(admin, tenant):
    alice, bob, charlie = (tenant.create_user(name=n) for n in ("Alice", "Bob", "Charlie"))
    org = create_org(admin, tenant, owner_user_id=alice.id)
    members = f"{orgs(tenant)}/{org['id']}/members"
    added = expect(admin.post(members, json={"user_id": bob.id, "role": "admin"}), 201).json()
    got = (added["user_id"], added["role"], added["email"], added["organization_id"])
    assert got == (bob.id, "admin", bob.email, org["id"])
    expect(admin.post(members, json={"user_id": charlie.id, "role": "member"}), 201)

    # The last owner can be neither demoted nor removed; nothing changes.
    problem = assert_problem(admin.patch(f"{members}/{alice.id}", json={"role": "admin"}), 409)
    assert "last owner" in problem["detail"] and "role" in fields(problem)
    problem = assert_problem(admin.delete(f"{members}/{alice.id}"), 409)
    assert "last owner" in problem["detail"]
    roles = {m["user_id"]: m["role"] for m in expect(admin.get(members), 200).json()["members"]}
    assert roles == {alice.id: "owner", bob.id: "admin", charlie.id: "member"}

    # With a second owner, the first may go.
    assert expect(admin.patch(f"{members}/{bob.id}", json={"role": "owner"}), 200).json()["role"] == "owner"
    demoted = expect(admin.patch(f"{members}/{alice.id}", json={"role": "member"}), 200).json()
    assert demoted["role"] == "member"
    expect(admin.delete(f"{members}/{charlie.id}"), 204)
    assert_problem(admin.delete(f"{members}/{charlie.id}"), 404)
    assert_problem(admin.patch(f"{members}/{charlie.id}", json={"role": "admin"}), 404)

    # Deleting a user removes the memberships.
    expect(admin.delete(f"/tenants/{tenant.slug}/users/{alice.id}"), 204)
    assert [m["user_id"] for m in expect(admin.get(members), 200).json()["members"]] == [bob.id]


def test_members_pagination(admin, tenant):
    org = create_org(admin, tenant)
    members = f"{orgs(tenant)}/{org['slug']}/members"
    ids = []
    for i in range(7):
        user = tenant.create_user(name=f"Person {i}")
        expect(admin.post(members, json={"user_id": user.id, "role": "member"}), 201)
        ids.append(user.id)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"after": cursor} if cursor else {})}
        page = expect(admin.get(members, params=params), 200).json()
        seen += [m["user_id"] for m in page["members"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids) and pages == 3
    assert_problem(admin.get(members, params={"after": "nope"}), 422)


def test_organizations_pagination(admin, tenant):
    created = [create_org(admin, tenant, f"p-{i}")["id"] for i in range(5)]
    first = expect(admin.get(orgs(tenant), params={"limit": 2}), 200).json()
    second = expect(admin.get(orgs(tenant), params={"limit": 2, "after": first["next_cursor"]}), 200).json()
    third = expect(admin.get(orgs(tenant), params={"limit": 2, "after": second["next_cursor"]}), 200).json()
    ids = [o["id"] for page in (first, second, third) for o in page["organizations"]]
    assert ids == sorted(created) and third["next_cursor"] is None
    assert_problem(admin.get(orgs(tenant), params={"limit": 0}), 422)


BAD_ORGS = [
    ({"slug": "ok-slug"}, {"name"}),
    ({"name": "X", "slug": "Bad Slug"}, {"slug"}),
    ({"name": "X", "slug": "-dash"}, {"slug"}),
    ({"name": "X", "slug": "org_01HZZZZZZZZZZZZZZZZZZZZZZZ"}, {"slug"}),
    ({"name": "X", "slug": "a" * 65}, {"slug"}),
    ({"name": "", "slug": "empty-name"}, {"name"}),
    ({"name": "Acme \u202eevil", "slug": "bidi-name"}, {"name"}),
    ({"name": "Acme\u0007", "slug": "control-name"}, {"name"}),
    ({"name": "X", "slug": "meta", "public_metadata": [1, 2]}, {"public_metadata"}),
    ({"name": "X", "slug": "meta", "private_metadata": "text"}, {"private_metadata"}),
    ({"name": "X", "slug": "meta", "public_metadata": {"blob": "x" * 9000}}, {"public_metadata"}),
    ({"name": "X", "slug": "owner", "owner_user_id": "alice"}, {"owner_user_id"}),
    ({"name": "X", "slug": "owner", "owner_user_id": "usr_01HZZZZZZZZZZZZZZZZZZZZZZZ"}, {"owner_user_id"}),
    ({"name": "X", "slug": "flag", "mfa_required": "yes"}, {"mfa_required"}),
    ({"name": "X", "slug": "extra", "color": "red"}, {"color"}),
    ({"name": 5, "slug": 6}, {"name", "slug"}),
]


@pytest.mark.parametrize("body,named", BAD_ORGS)
def test_bad_organization_input_creates_nothing(admin, tenant, body, named):
    problem = assert_problem(admin.post(orgs(tenant), json=body), 422)
    assert named <= fields(problem), problem
    assert org_count(admin, tenant) == 0


def test_conflicts_and_bad_member_input(admin, tenant):
    alice, bob = tenant.create_user(), tenant.create_user()
    org = create_org(admin, tenant, "taken", owner_user_id=alice.id)
    twin = {"name": "Twin", "slug": "taken", "owner_user_id": bob.id}
    problem = assert_problem(admin.post(orgs(tenant), json=twin), 409)
    assert fields(problem) == {"slug"} and "taken" in problem["detail"]
    assert org_count(admin, tenant) == 1
    kept = expect(admin.get(f"{orgs(tenant)}/taken/members"), 200).json()["members"]
    assert [m["user_id"] for m in kept] == [alice.id], "the refused request added no member"
    other = create_org(admin, tenant, "other")
    for slug, status in (("taken", 409), ("Nope!", 422)):
        problem = assert_problem(admin.patch(f"{orgs(tenant)}/other", json={"slug": slug}), status)
        assert fields(problem) == {"slug"}
    assert expect(admin.get(f"{orgs(tenant)}/{other['id']}"), 200).json()["slug"] == "other"

    members = f"{orgs(tenant)}/{org['id']}/members"
    for body, status, named in [
        ({"user_id": bob.id, "role": "emperor"}, 422, {"role"}),
        ({"user_id": "usr_01HZZZZZZZZZZZZZZZZZZZZZZZ", "role": "member"}, 422, {"user_id"}),
        ({"user_id": "bob", "role": "member"}, 422, {"user_id"}),
        ({"user_id": bob.id}, 422, {"role"}),
        ({"user_id": alice.id, "role": "member"}, 409, {"user_id"}),
    ]:
        problem = assert_problem(admin.post(members, json=body), status)
        assert named <= fields(problem), (body, problem)
    assert [m["user_id"] for m in expect(admin.get(members), 200).json()["members"]] == [alice.id]
    problem = assert_problem(admin.patch(f"{members}/{alice.id}", json={"role": "emperor"}), 422)
    assert fields(problem) == {"role"}


def test_roles(admin, tenant):
    roles = f"/tenants/{tenant.slug}/roles"
    listed = expect(admin.get(roles), 200).json()
    built_in = {r["name"]: r["built_in"] for r in listed["roles"]}
    assert built_in == {"admin": True, "member": True, "owner": True}
    assert listed["next_cursor"] is None
    billing = expect(
        admin.post(
            roles,
            json={"name": "billing", "permissions": ["invoices:write", "invoices:read"], "description": "Bills"},
        ),
        201,
    ).json()
    assert billing["permissions"] == ["invoices:read", "invoices:write"] and billing["built_in"] is False
    assert expect(admin.get(f"{roles}/billing"), 200).json() == billing

    for body, status, named in [
        ({"name": "admin"}, 409, {"name"}),
        ({"name": "billing"}, 409, {"name"}),
        ({"name": "Bad Name"}, 422, {"name"}),
        ({"name": "9lives"}, 422, {"name"}),
        ({"name": "ok", "permissions": ["has space"]}, 422, {"permissions"}),
        ({"name": "ok", "permissions": ['quote"d']}, 422, {"permissions"}),
        ({"name": "ok", "permissions": "invoices:read"}, 422, {"permissions"}),
        ({"permissions": []}, 422, {"name"}),
    ]:
        problem = assert_problem(admin.post(roles, json=body), status)
        assert named <= fields(problem), (body, problem)
    assert len(expect(admin.get(roles), 200).json()["roles"]) == 4, "nothing was created"

    owner = expect(admin.patch(f"{roles}/owner", json={"permissions": ["org:*"]}), 200).json()
    assert owner["permissions"] == ["org:*"] and owner["built_in"]
    edited = expect(admin.patch(f"{roles}/billing", json={"description": None}), 200).json()
    assert "description" not in edited or edited["description"] is None
    assert_problem(admin.patch(f"{roles}/nobody", json={"permissions": []}), 404)

    problem = assert_problem(admin.delete(f"{roles}/member"), 409)
    assert "built-in" in problem["detail"]
    user = tenant.create_user()
    org = create_org(admin, tenant, owner_user_id=user.id)
    other = tenant.create_user()
    member = {"user_id": other.id, "role": "billing"}
    expect(admin.post(f"{orgs(tenant)}/{org['id']}/members", json=member), 201)
    problem = assert_problem(admin.delete(f"{roles}/billing"), 409)
    assert "1 member holds" in problem["detail"], problem
    expect(admin.patch(f"{orgs(tenant)}/{org['id']}/members/{other.id}", json={"role": "member"}), 200)
    expect(admin.delete(f"{roles}/billing"), 204)
    assert_problem(admin.get(f"{roles}/billing"), 404)


def test_orgs_read_token_cannot_write(tenant):
    reader = scoped(tenant, "orgs:read")
    writer = scoped(tenant, "orgs:read orgs:write")
    org = expect(writer.post(orgs(tenant), json={"name": "Scoped", "slug": "scoped"}), 201).json()
    expect(reader.get(orgs(tenant)), 200)
    expect(reader.get(f"/tenants/{tenant.slug}/roles"), 200)
    assert_problem(reader.post(orgs(tenant), json={"name": "No", "slug": "no"}), 403)
    assert_problem(reader.patch(f"{orgs(tenant)}/{org['id']}", json={"name": "No"}), 403)
    assert_problem(reader.delete(f"{orgs(tenant)}/{org['id']}"), 403)
    assert_problem(reader.post(f"/tenants/{tenant.slug}/roles", json={"name": "nope"}), 403)
    users_only = scoped(tenant, "users:read users:write")
    assert_problem(users_only.get(orgs(tenant)), 403)
    assert [o["slug"] for o in expect(writer.get(orgs(tenant)), 200).json()["organizations"]] == ["scoped"]


def test_tenant_isolation(admin, tenant, other_tenant):
    alice = tenant.create_user()
    org = create_org(admin, tenant, "shared-slug", owner_user_id=alice.id)
    expect(admin.post(f"/tenants/{tenant.slug}/roles", json={"name": "secret-role"}), 201)
    b = f"/tenants/{other_tenant.slug}"
    for key in (org["id"], "shared-slug"):
        assert_problem(admin.get(f"{b}/organizations/{key}"), 404)
        assert_problem(admin.patch(f"{b}/organizations/{key}", json={"name": "x"}), 404)
        assert_problem(admin.delete(f"{b}/organizations/{key}"), 404)
        assert_problem(admin.get(f"{b}/organizations/{key}/members"), 404)
        assert_problem(admin.delete(f"{b}/organizations/{key}/members/{alice.id}"), 404)
    assert_problem(admin.get(f"{b}/roles/secret-role"), 404)
    assert_problem(admin.delete(f"{b}/roles/secret-role"), 404)
    # A user of tenant A cannot join an organization of tenant B.
    org_b = create_org(admin, other_tenant, "shared-slug")
    stranger = {"user_id": alice.id, "role": "member"}
    problem = assert_problem(admin.post(f"{b}/organizations/{org_b['id']}/members", json=stranger), 422)
    assert fields(problem) == {"user_id"}
    # Tenant B's scoped token does not reach tenant A.
    token_b = scoped(other_tenant, "orgs:read orgs:write")
    assert_problem(token_b.get(orgs(tenant)), 404)
    assert_problem(token_b.get(f"/tenants/{tenant.slug}/organizations/{org['id']}"), 404)
    assert expect(admin.get(f"{orgs(tenant)}/{org['id']}"), 200).json()["slug"] == "shared-slug"


def test_client_organization_required(admin, tenant):
    client = tenant.create_client("public", organization_required=True)
    assert client.raw["organization_required"] is True
    path = f"/tenants/{tenant.slug}/clients/{client.client_id}"
    assert expect(admin.get(path), 200).json()["organization_required"] is True
    patched = expect(admin.patch(path, json={"organization_required": False}), 200).json()
    assert patched["organization_required"] is False
    problem = assert_problem(admin.patch(path, json={"organization_required": "yes"}), 422)
    assert fields(problem) == {"organization_required"}


def test_cli_builds_the_readme_example(cli: CLI, admin, tenant):
    t = ("--tenant", tenant.slug)
    ids = {}
    people = {
        "alice": "customera", "bob": "customera", "charlie": "customera", "david": "customerb", "eve": "customerb"
    }
    for name, domain in people.items():
        user = cli.json("user", "create", *t, "--email", f"{name}@{domain}.com", "--name", name.title())
        ids[name] = user["id"]
    a = cli.json(
        "org", "create", *t, "--name", "Customer A", "--slug", "customer-a", "--owner", ids["alice"],
        "--public-metadata", '{"plan": "pro"}',
    )
    assert a["slug"] == "customer-a" and a["public_metadata"] == {"plan": "pro"}
    cli.ok("org", "member", "add", "customer-a", ids["bob"], "--role", "admin", *t)
    cli.ok("org", "member", "add", "customer-a", ids["charlie"], "--role", "member", *t)
    cli.ok("org", "create", *t, "--name", "Customer B", "--slug", "customer-b", "--owner", ids["david"])
    cli.ok("org", "member", "add", "customer-b", ids["eve"], *t)
    listed = cli.json("org", "member", "list", "customer-a", *t)
    assert {m["email"]: m["role"] for m in listed["members"]} == {
        "alice@customera.com": "owner", "bob@customera.com": "admin", "charlie@customera.com": "member"
    }
    table = cli.ok("org", "member", "list", "customer-b", *t)
    assert "david@customerb.com" in table and "eve@customerb.com" in table
    assert [o["slug"] for o in cli.json("org", "list", *t)["organizations"]] == ["customer-a", "customer-b"]
    assert cli.json("org", "show", a["id"], *t)["name"] == "Customer A"
    assert cli.json("org", "update", "customer-b", "--mfa-required", "true", *t)["mfa_required"] is True

    # The last owner stays; a role change, a removal.
    stderr = cli.fails("org", "member", "role", "customer-a", ids["alice"], "admin", *t, status=409)
    assert "last owner" in stderr
    cli.fails("org", "member", "remove", "customer-a", ids["alice"], *t, status=409)
    assert cli.json("org", "member", "role", "customer-a", ids["charlie"], "admin", *t)["role"] == "admin"
    cli.ok("org", "member", "remove", "customer-a", ids["charlie"], *t)

    # Roles.
    permissions = ("--permission", "invoices:read", "--permission", "invoices:write")
    role = cli.json("role", "create", "billing", *permissions, *t)
    assert role["permissions"] == ["invoices:read", "invoices:write"]
    updated_role = cli.json("role", "update", "billing", "--permission", "invoices:read", *t)
    assert updated_role["permissions"] == ["invoices:read"]
    assert "billing" in [r["name"] for r in cli.json("role", "list", *t)["roles"]]
    cli.fails("role", "create", "owner", *t, status=409)
    cli.fails("role", "delete", "member", "--yes", *t, status=409)
    cli.ok("role", "delete", "billing", "--yes", *t)
    cli.fails("org", "create", *t, "--name", "Dup", "--slug", "customer-a", status=409)
    cli.fails("org", "member", "add", "customer-a", ids["bob"], "--role", "emperor", *t, status=422)

    # Clients.
    created = cli.json(
        "client", "create", *t, "--name", "B2B app", "--type", "public",
        "--redirect-uri", "https://rp.example/cb",
        "--organization-required",
    )
    assert created["organization_required"] is True
    updated = cli.json("client", "update", created["client_id"], *t, "--organization-required", "false")
    assert updated["organization_required"] is False

    cli.ok("org", "delete", "customer-b", "--yes", *t)
    assert [o["slug"] for o in cli.json("org", "list", *t)["organizations"]] == ["customer-a"]
    assert_problem(admin.get(f"/tenants/{tenant.slug}/organizations/customer-b"), 404)
