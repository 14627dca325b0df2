"""Issue 10's "done when": the README's Organizations example built with the CLI commands it
shows, then each of its five users signs in through a relying party (Authlib, authorization
code + PKCE through the real login page) and gets the right ``org_id`` and ``org_role`` in ID
and access tokens verified against the JWKS (PyJWT and joserfc). And an organization that
requires MFA of its members asks for a second factor under the tenant's policy ``optional``.
"""

from __future__ import annotations

import requests

from cli_helpers import CLI, cli  # noqa: F401 (fixture)
from gatehouse_admin import DEFAULT_PASSWORD, User
from gatehouse_client import check_access_token, check_id_token, code_flow, expect
from test_organizations_flow import SCOPE, org_claims

PEOPLE = {
    "alice": ("customera", "owner"),
    "bob": ("customera", "admin"),
    "charlie": ("customera", "member"),
    "david": ("customerb", "owner"),
    "eve": ("customerb", "member"),
}


def test_the_readme_example_built_with_the_cli_gives_each_user_the_right_org_claims(cli: CLI, tenant):  # noqa: F811
    t = ("--tenant", tenant.slug)
    users: dict[str, User] = {}
    for name, (domain, _) in PEOPLE.items():
        email = f"{name}@{domain}.com"
        made = cli.json("user", "create", *t, "--email", email, "--password", DEFAULT_PASSWORD, "--email-verified")
        users[name] = User(id=made["id"], email=email, password=DEFAULT_PASSWORD, name=None, raw=made)  # type: ignore[arg-type]
    # The README's commands, in its order.
    a = cli.json("org", "create", *t, "--name", "Customer A", "--slug", "customer-a", "--owner", users["alice"].id)
    cli.ok("org", "member", "add", "customer-a", users["bob"].id, "--role", "admin", *t)
    cli.ok("org", "member", "add", "customer-a", users["charlie"].id, "--role", "member", *t)
    b = cli.json("org", "create", *t, "--name", "Customer B", "--slug", "customer-b", "--owner", users["david"].id)
    cli.ok("org", "member", "add", "customer-b", users["eve"].id, "--role", "member", *t)
    assert "charlie@customera.com" in cli.ok("org", "member", "list", "customer-a", *t)

    org_ids = {"customera": a["id"], "customerb": b["id"]}
    client = tenant.create_client("confidential", first_party=True)
    for name, (domain, role) in PEOPLE.items():
        user = users[name]
        flow = code_flow(tenant, client, user, scope=SCOPE)
        # One membership: chosen without the picker, one login page and nothing else.
        assert flow.auth.login_pages == 1, flow.auth.trace()
        id_claims = check_id_token(
            tenant, client, flow.token["id_token"], access_token=flow.token["access_token"], user=user, scope=SCOPE
        )
        at_claims = check_access_token(tenant, client, flow.token["access_token"], user=user, scope=SCOPE)
        expected = (org_ids[domain], role, [])
        assert org_claims(id_claims) == org_claims(at_claims) == expected, (name, id_claims, at_claims)


def test_an_organization_that_requires_mfa_asks_members_for_a_second_factor(tenant, public_url):
    patched = tenant.admin.patch(f"/tenants/{tenant.slug}", json={"settings": {"mfa_policy": "optional"}})
    assert expect(patched, 200).json()["settings"]["mfa_policy"] == "optional"
    owner = tenant.create_user(name="Owner")
    base = f"/tenants/{tenant.slug}/organizations"
    strict = {"name": "Bank", "slug": "bank", "owner_user_id": owner.id, "mfa_required": True}
    relaxed = {"name": "Shop", "slug": "shop", "owner_user_id": owner.id}
    for body in (strict, relaxed):
        expect(tenant.admin.post(base, json=body), 201)
    client = tenant.create_client("confidential", first_party=True)

    def sign_in(organization: str) -> requests.Response:
        body = {"email": owner.email, "password": owner.password, "scope": SCOPE, "organization": organization}
        return requests.post(
            f"{public_url}/v1/auth/sign-in", json=body, timeout=10,
            headers={"X-Client-Id": client.client_id, "Authorization": f"Bearer {client.client_secret}"},
        )

    # Within the organization that requires MFA, a user without a factor is asked to enrol one…
    asked = expect(sign_in("bank"), 200).json()
    assert asked.get("status") == "mfa_enrollment_required" and "access_token" not in asked, asked
    # …while the same user within the other organization signs in with the password alone.
    plain = expect(sign_in("shop"), 200).json()
    assert "access_token" in plain, plain


def test_the_last_owner_of_an_organization_cannot_be_deleted(tenant):
    alice, bob = tenant.create_user(), tenant.create_user()
    base = f"/tenants/{tenant.slug}"
    body = {"name": "Customer A", "slug": "customer-a", "owner_user_id": alice.id}
    org = expect(tenant.admin.post(f"{base}/organizations", json=body), 201).json()
    expect(tenant.admin.post(f"{base}/organizations/customer-a/members", json={"user_id": bob.id, "role": "member"}), 201)
    refused = tenant.admin.delete(f"{base}/users/{alice.id}")
    assert refused.status_code == 409, refused.text
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "last owner" in refused.json()["detail"] and "customer-a" in refused.json()["detail"]
    expect(tenant.admin.get(f"{base}/users/{alice.id}"), 200)
    # Ownership handed over first, the deletion goes through and Bob stays the owner.
    expect(tenant.admin.patch(f"{base}/organizations/{org['id']}/members/{bob.id}", json={"role": "owner"}), 200)
    expect(tenant.admin.delete(f"{base}/users/{alice.id}"), 204)
    members = expect(tenant.admin.get(f"{base}/organizations/customer-a/members"), 200).json()["members"]
    assert [(m["user_id"], m["role"]) for m in members] == [(bob.id, "owner")]
