"""Custom claims and user metadata (docs/contract.md A9).

Users' ``public_metadata``/``private_metadata`` through the admin API, the CLI and ``/v1/me``;
``settings.custom_claims`` of a tenant and ``custom_claims`` of a client, with ``{{…}}`` templates,
in access tokens, ID tokens and userinfo. Authlib is the relying party (code flow and refresh);
PyJWT and joserfc (Authlib's JOSE library) verify and decode every token against the JWKS. The
claims follow a metadata change at the next refresh; the refusals are RFC 9457 problems naming
the field."""

from __future__ import annotations

import json
import os

import pytest

from cli_helpers import cli  # noqa: F401 - fixtures
from gatehouse_client import (
    assert_problem,
    check_access_token,
    check_id_token,
    code_flow,
    expect,
    unique_email,
    unique_slug,
)
from tenancy_helpers import client_credentials, headless

SCOPE = "openid profile email"
CLAIMS = {
    "plan": {"value": "{{user.public_metadata.plan}}"},
    "seats": {"value": "{{user.public_metadata.seats}}", "in": ["access_token"]},
    "crm": {"value": "crm:{{user.private_metadata.crm_id}}", "in": ["id_token", "userinfo"]},
    "mail": {"value": "{{user.email}}", "in": ["userinfo"]},
    "https://example.com/env": "staging",
}


def set_claims(tenant, claims) -> dict:
    return tenant.patch({"settings": {"custom_claims": claims}})["settings"]["custom_claims"]


def user_with(tenant, public: dict, private: dict | None = None):
    user = tenant.create_user()
    body = {"public_metadata": public, "private_metadata": private or {}}
    expect(tenant.admin.patch(f"/tenants/{tenant.slug}/users/{user.id}", json=body), 200)
    return user


def tokens(tenant, client, token: dict, user) -> tuple[dict, dict]:
    """(access token claims, ID token claims), each verified by PyJWT and joserfc."""
    at = check_access_token(tenant, client, token["access_token"], user=user, scope=SCOPE)
    idt = check_id_token(
        tenant, client, token["id_token"], access_token=token["access_token"], user=user, scope=SCOPE
    )
    return at, idt


def problem_fields(resp) -> list[str]:
    return sorted(e["field"] for e in assert_problem(resp, 422)["errors"])


def test_claims_in_tokens_and_userinfo_follow_a_metadata_change_at_refresh(tenant):
    stored = set_claims(tenant, CLAIMS)
    # Answers always show the full form; a string is shorthand for {"value": …}.
    everywhere = ["access_token", "id_token", "userinfo"]
    assert stored["https://example.com/env"] == {"value": "staging", "in": everywhere}, stored
    assert stored["seats"] == {"value": "{{user.public_metadata.seats}}", "in": ["access_token"]}
    user = user_with(tenant, {"plan": "pro", "seats": 5}, {"crm_id": "C-7"})
    client = tenant.create_client("confidential", first_party=True)

    flow = code_flow(tenant, client, user, scope=SCOPE)
    at, idt = tokens(tenant, client, flow.token, user)
    assert (at["plan"], at["seats"], at["https://example.com/env"]) == ("pro", 5, "staging"), at
    assert "crm" not in at and "mail" not in at, at
    assert (idt["plan"], idt["crm"], idt["https://example.com/env"]) == ("pro", "crm:C-7", "staging"), idt
    assert "seats" not in idt and "mail" not in idt, idt
    info = expect(tenant.userinfo(flow.token["access_token"]), 200).json()
    assert (info["plan"], info["crm"], info["mail"]) == ("pro", "crm:C-7", user.email), info
    assert "seats" not in info, info
    # Introspection (RFC 7662 §2.2) answers the access token's custom claims as further members.
    seen = expect(tenant.introspect(client, flow.token["access_token"]), 200).json()
    assert (seen["active"], seen["plan"], seen["seats"]) == (True, "pro", 5), seen
    assert seen["https://example.com/env"] == "staging" and "crm" not in seen, seen

    # The admin changes the metadata: the next refresh (through Authlib) carries the new values.
    body = {"public_metadata": {"plan": "enterprise", "seats": {"max": 50}}}
    expect(tenant.admin.patch(f"/tenants/{tenant.slug}/users/{user.id}", json=body), 200)
    token_endpoint = tenant.endpoint("token_endpoint")
    refreshed = dict(flow.rp.refresh_token(token_endpoint, refresh_token=flow.token["refresh_token"]))
    at, idt = tokens(tenant, client, refreshed, user)
    assert (at["plan"], at["seats"]) == ("enterprise", {"max": 50}), at
    assert idt["plan"] == "enterprise" and idt["crm"] == "crm:C-7", idt
    assert expect(tenant.userinfo(refreshed["access_token"]), 200).json()["plan"] == "enterprise"

    # A value removed: the claim is left out; emptied private metadata removes `crm`.
    body = {"public_metadata": {"seats": 1}, "private_metadata": None}
    expect(tenant.admin.patch(f"/tenants/{tenant.slug}/users/{user.id}", json=body), 200)
    again = dict(flow.rp.refresh_token(token_endpoint, refresh_token=refreshed["refresh_token"]))
    at, idt = tokens(tenant, client, again, user)
    assert "plan" not in at and at["seats"] == 1 and "crm" not in idt, (at, idt)


def test_a_clients_claim_replaces_the_tenants_of_the_same_name(tenant):
    set_claims(tenant, {"plan": "{{user.public_metadata.plan}}", "tier": "basic"})
    user = user_with(tenant, {"plan": "pro"})
    plain = tenant.create_client("confidential", first_party=True)
    override = {"plan": {"value": "client-{{user.public_metadata.plan}}", "in": ["access_token"]}}
    special = tenant.create_client("confidential", first_party=True, custom_claims=override)
    assert special.raw["custom_claims"] == override and plain.raw["custom_claims"] == {}

    at, idt = tokens(tenant, plain, code_flow(tenant, plain, user, scope=SCOPE).token, user)
    assert at["plan"] == idt["plan"] == "pro" and at["tier"] == "basic", (at, idt)
    flow = code_flow(tenant, special, user, scope=SCOPE)
    at, idt = tokens(tenant, special, flow.token, user)
    assert at["plan"] == "client-pro" and at["tier"] == "basic", at
    assert "plan" not in idt and idt["tier"] == "basic", idt
    assert "plan" not in expect(tenant.userinfo(flow.token["access_token"]), 200).json()

    # null removes the client's claims: the tenant's apply again.
    path = f"/tenants/{tenant.slug}/clients/{special.client_id}"
    assert expect(tenant.admin.patch(path, json={"custom_claims": None}), 200).json()["custom_claims"] == {}
    at, _ = tokens(tenant, special, code_flow(tenant, special, user, scope=SCOPE).token, user)
    assert at["plan"] == "pro", at


def test_the_organization_placeholder_and_client_credentials(tenant, public_url):
    claims = {"tier": "{{org.public_metadata.tier}}", "env": "prod", "plan": "{{user.public_metadata.plan}}"}
    set_claims(tenant, claims)
    owner = user_with(tenant, {"plan": "team"})
    body = {"name": "Acme", "slug": unique_slug("org"), "owner_user_id": owner.id}
    body["public_metadata"] = {"tier": "gold"}
    org = expect(tenant.admin.post(f"/tenants/{tenant.slug}/organizations", json=body), 201).json()
    client = tenant.create_client("confidential", first_party=True)

    def sign_in(**extra) -> dict:
        body = {"email": owner.email, "password": owner.password, "scope": SCOPE, **extra}
        resp = headless(
            public_url, "POST", "auth/sign-in", client_id=client.client_id, secret=client.client_secret,
            body=body,
        )
        return expect(resp, 200).json()

    within = sign_in(scope=SCOPE + " organization", organization=org["slug"])
    at = check_access_token(tenant, client, within["access_token"], user=owner)
    assert (at["tier"], at["org_id"], at["plan"], at["env"]) == ("gold", org["id"], "team", "prod"), at
    assert check_id_token(tenant, client, within["id_token"], user=owner)["tier"] == "gold"
    assert expect(tenant.userinfo(within["access_token"]), 200).json()["tier"] == "gold"
    personal = sign_in()
    assert "tier" not in check_access_token(tenant, client, personal["access_token"], user=owner)

    # No user: only the claims without placeholders.
    machine = expect(client_credentials(tenant, client), 200).json()
    at = check_access_token(tenant, client, machine["access_token"])
    assert at["env"] == "prod" and "plan" not in at and "tier" not in at, at


def test_introspection_keeps_its_own_members(tenant):
    # A custom claim named like an introspection member is in the token but never replaces
    # the member in the introspection answer (RFC 7662 §2.2).
    set_claims(tenant, {"active": {"value": False}, "token_type": "x", "username": "u", "plan": "basic"})
    client = tenant.create_client("confidential", first_party=True)
    machine = expect(client_credentials(tenant, client), 200).json()
    at = check_access_token(tenant, client, machine["access_token"])
    assert (at["active"], at["token_type"], at["username"]) == (False, "x", "u"), at
    seen = expect(tenant.introspect(client, machine["access_token"]), 200).json()
    assert seen["active"] is True and seen["token_type"] == "access_token", seen
    assert "username" not in seen and seen["plan"] == "basic", seen


def test_refusals_name_the_claim_or_field(tenant):
    path = f"/tenants/{tenant.slug}"
    cases = [
        ({"sub": "admin"}, ["settings.custom_claims.sub"]),
        ({"org_plan": "x"}, ["settings.custom_claims.org_plan"]),
        ({"email": "x", "ok": "y"}, ["settings.custom_claims.email"]),
        ({"bad": "{{user.public_metadata.plan"}, ["settings.custom_claims.bad.value"]),
        ({"bad": "{{session.id}}"}, ["settings.custom_claims.bad.value"]),
        ({"bad": {"value": 1, "in": ["cookie"]}}, ["settings.custom_claims.bad.in"]),
        ({"bad": {"in": ["id_token"]}}, ["settings.custom_claims.bad.value"]),
        ({"a": "x" * 2100, "b": "y" * 2100}, ["settings.custom_claims.b"]),
        ([1, 2], ["settings.custom_claims"]),
    ]
    for claims, fields in cases:
        resp = tenant.admin.patch(path, json={"settings": {"custom_claims": claims}})
        assert problem_fields(resp) == fields, (claims, resp.text)
    assert expect(tenant.admin.get(path), 200).json()["settings"]["custom_claims"] == {}

    # A client's claims are checked alone and merged with the tenant's (the size budget).
    set_claims(tenant, {"a": "x" * 2100})
    body = {"name": "c", "type": "confidential", "redirect_uris": ["https://rp.example/cb"]}
    resp = tenant.admin.post(f"{path}/clients", json={**body, "custom_claims": {"b": "y" * 2100}})
    assert problem_fields(resp) == ["custom_claims.b"], resp.text
    bad = {"iss": "x", "t": "{{org.private_metadata.x}}"}
    resp = tenant.admin.post(f"{path}/clients", json={**body, "custom_claims": bad})
    assert problem_fields(resp) == ["custom_claims.iss", "custom_claims.t.value"], resp.text
    # A tenant change that would overflow a client's merged claims is refused too.
    client = tenant.create_client("confidential", custom_claims={"b": "y" * 1000})
    resp = tenant.admin.patch(path, json={"settings": {"custom_claims": {"a": "x" * 3100}}})
    problem = assert_problem(resp, 422)
    assert [e["field"] for e in problem["errors"]] == ["settings.custom_claims.b"], problem
    assert client.client_id in problem["errors"][0]["message"], problem

    # Metadata: an object of at most 8 KiB, each field named.
    users = f"{path}/users"
    resp = tenant.admin.post(
        users, json={"email": unique_email("meta"), "public_metadata": [1], "private_metadata": "x"}
    )
    assert problem_fields(resp) == ["private_metadata", "public_metadata"], resp.text
    big = {"blob": "z" * 9000}
    resp = tenant.admin.post(users, json={"email": unique_email("meta"), "private_metadata": big})
    assert problem_fields(resp) == ["private_metadata"], resp.text
    user = tenant.create_user()
    resp = tenant.admin.patch(f"{users}/{user.id}", json={"public_metadata": {"blob": "z" * 9000}})
    assert problem_fields(resp) == ["public_metadata"], resp.text


def test_private_metadata_is_for_admins_only(tenant, public_url):
    user = user_with(tenant, {"plan": "pro"}, {"crm_id": "C-9"})
    shown = expect(tenant.admin.get(f"/tenants/{tenant.slug}/users/{user.id}"), 200).json()
    assert shown["public_metadata"] == {"plan": "pro"}, shown
    assert shown["private_metadata"] == {"crm_id": "C-9"}, shown
    users = tenant.admin.get(f"/tenants/{tenant.slug}/users", params={"email": user.email})
    listed = expect(users, 200).json()["users"]
    assert listed[0]["private_metadata"] == {"crm_id": "C-9"}, listed

    app = tenant.create_client("public", first_party=True)
    body = {"email": user.email, "password": user.password}
    signed = headless(public_url, "POST", "auth/sign-in", client_id=app.client_id, body=body)
    signed = expect(signed, 200).json()
    assert signed["user"]["public_metadata"] == {"plan": "pro"}, signed["user"]
    assert "private_metadata" not in signed["user"], signed["user"]
    me = headless(public_url, "GET", "me", client_id=app.client_id, bearer=signed["access_token"])
    me = expect(me, 200).json()
    assert me["public_metadata"] == {"plan": "pro"}, me
    assert "private_metadata" not in me and "C-9" not in json.dumps(me), me


def test_cli_sets_and_shows_metadata(tenant, cli):  # noqa: F811
    created = cli.json(
        "user", "create", "--tenant", tenant.slug, "--email", unique_email("cli"),
        "--public-metadata", '{"plan": "pro"}', "--private-metadata", '{"crm_id": "C-1"}',
    )
    assert created["public_metadata"] == {"plan": "pro"}, created
    assert created["private_metadata"] == {"crm_id": "C-1"}, created
    user = ("--tenant", tenant.slug)
    updated = cli.json("user", "update", created["id"], *user, "--public-metadata", '{"plan": "team"}')
    assert updated["public_metadata"] == {"plan": "team"}, updated
    assert updated["private_metadata"] == {"crm_id": "C-1"}, updated
    shown = cli.ok("user", "show", created["id"], "--tenant", tenant.slug)
    assert "public_metadata" in shown and "team" in shown and "C-1" in shown, shown
    failed = cli.run("user", "update", created["id"], *user, "--public-metadata", "[1]")
    assert failed.returncode != 0 and "must be a JSON object" in failed.stderr, failed.stderr
    big = json.dumps({"b": "z" * 9000})
    too_big = cli.run("user", "update", created["id"], *user, "--private-metadata", big)
    assert too_big.returncode != 0 and "private_metadata" in too_big.stderr, too_big.stderr


@pytest.mark.skipif(
    os.environ.get("GATEHOUSE_INTEROP_BACKEND") == "postgres", reason="tenant clone is SQLite-only for now"
)
def test_a_clone_keeps_metadata_and_client_claims_and_scrubbing_empties_metadata(admin, tenant):
    user = user_with(tenant, {"plan": "pro"}, {"crm_id": "C-3"})
    claims = {"plan": {"value": "{{user.public_metadata.plan}}", "in": ["access_token"]}}
    tenant.create_client("confidential", name="claims", custom_claims=claims)
    set_claims(tenant, {"env": "prod"})
    for scrub in (False, True):
        copy = unique_slug("copy")
        body = {"to": copy, "scrub_pii": scrub}
        expect(admin.post(f"/tenants/{tenant.slug}/clone", json=body), 201)
        copied = expect(admin.get(f"/tenants/{copy}/users/{user.id}"), 200).json()
        expected = ({}, {}) if scrub else ({"plan": "pro"}, {"crm_id": "C-3"})
        assert (copied["public_metadata"], copied["private_metadata"]) == expected, copied
        clients = expect(admin.get(f"/tenants/{copy}/clients"), 200).json()["clients"]
        assert next(c for c in clients if c["name"] == "claims")["custom_claims"] == claims, clients
        settings = expect(admin.get(f"/tenants/{copy}"), 200).json()["settings"]
        everywhere = ["access_token", "id_token", "userinfo"]
        assert settings["custom_claims"] == {"env": {"value": "prod", "in": everywhere}}, settings
