"""Cross-tenant cells of the isolation matrix (test_isolation.py) for organizations (issue 10):
the foreign tenant's organization id and slug, member user ids and custom role name presented to
the local tenant's admin API routes (with the local tenant-scoped admin token, and the foreign
one), to the local authorization endpoint (``organization=`` with scope ``organization``) and to
refresh switching (``grant_type=refresh_token&organization=``, token endpoint and headless API).
Every refused write is checked afterwards to have changed nothing in either tenant."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from gatehouse_client import AdminAPI
from isolation_kit import ORG_SCOPE, Kit
from isolation_matrix import (
    Matrix,
    authorize,
    described,
    oauth_error,
    problem,
    redirect_error,
    still_active,
)
from tenancy_helpers import headless, json_or_none, scoped_admin

NOT_A_MEMBER = "the user is not a member of the requested organization"


def org_state(kit: Kit) -> Callable[[], tuple]:
    """A snapshot of ``kit``'s organization, its members, its custom role, its invitations and its
    domains, read at home."""
    api = scoped_admin(kit.tenant, kit.admin_token)
    base = f"/tenants/{kit.slug}"

    def read() -> tuple:
        org = api.get(f"{base}/organizations/{kit.org['id']}")
        members = api.get(f"{base}/organizations/{kit.org['id']}/members")
        role = api.get(f"{base}/roles/{kit.role}")
        invitations = api.get(f"{base}/organizations/{kit.org['id']}/invitations")
        domains = api.get(f"{base}/organizations/{kit.org['id']}/domains")
        return (
            org.status_code,
            (json_or_none(org) or {}).get("name"),
            sorted((m["user_id"], m["role"]) for m in (json_or_none(members) or {}).get("members", [])),
            role.status_code,
            (json_or_none(role) or {}).get("permissions"),
            sorted((i["id"], i["status"]) for i in (json_or_none(invitations) or {}).get("invitations", [])),
            sorted((d["domain"], d["verified_at"] is not None) for d in (json_or_none(domains) or {}).get("domains", [])),
        )

    return read


def unchanged(*kits: Kit) -> Callable[[], str | None]:
    """An ``after`` check: the organizations of ``kits`` are as they were built."""
    reads = [org_state(kit) for kit in kits]
    expected = [
        (200, f"Organization {kit.name}", sorted([(kit.user.id, "owner"), (kit.headless_user.id, kit.role)]))
        + (200, ["audit:read"], [(kit.invitation["id"], "pending")], [(kit.domain, True)])
        for kit in kits
    ]

    def check() -> str | None:
        found = [read() for read in reads]
        return None if found == expected else f"organization state changed: {found} != {expected}"

    return check


def organization_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """F's organization, members and role at L's admin API, authorization endpoint and refresh."""
    cell = partial(m.cell, F, L)
    after = unchanged(F, L)
    s, lorg, fid, fslug = L.slug, L.org["id"], F.org["id"], F.org["slug"]

    # ---- admin API with the local tenant-scoped admin token
    api = scoped_admin(L.tenant, L.admin_token)
    member = {"user_id": L.headless_user.id, "role": "member"}
    routes = [
        ("GET", f"/tenants/{s}/organizations/{fid}", None, "organizations/{forg}"),
        ("GET", f"/tenants/{s}/organizations/{fslug}", None, "organizations/{forg slug}"),
        ("PATCH", f"/tenants/{s}/organizations/{fid}", {"name": "taken over"}, "organizations/{forg}"),
        ("PATCH", f"/tenants/{s}/organizations/{fslug}", {"slug": "taken-over"}, "organizations/{forg slug}"),
        ("DELETE", f"/tenants/{s}/organizations/{fid}", None, "organizations/{forg}"),
        ("DELETE", f"/tenants/{s}/organizations/{fslug}", None, "organizations/{forg slug}"),
        ("GET", f"/tenants/{s}/organizations/{fid}/members", None, "organizations/{forg}/members"),
        (
            "POST",
            f"/tenants/{s}/organizations/{fid}/members",
            member,
            "organizations/{forg}/members (local user)",
        ),
        (
            "GET",
            f"/tenants/{s}/organizations/{fid}/members/{F.headless_user.id}",
            None,
            "organizations/{forg}/members/{fuser}",
        ),
        (
            "DELETE",
            f"/tenants/{s}/organizations/{fid}/members/{F.headless_user.id}",
            None,
            "organizations/{forg}/members/{fuser}",
        ),
        (
            "GET",
            f"/tenants/{s}/organizations/{lorg}/members/{F.headless_user.id}",
            None,
            "organizations/{org}/members/{fuser}",
        ),
        (
            "PATCH",
            f"/tenants/{s}/organizations/{lorg}/members/{F.headless_user.id}",
            {"role": "owner"},
            "organizations/{org}/members/{fuser}",
        ),
        (
            "DELETE",
            f"/tenants/{s}/organizations/{lorg}/members/{F.user.id}",
            None,
            "organizations/{org}/members/{fowner}",
        ),
        ("GET", f"/tenants/{s}/roles/{F.role}", None, "roles/{frole}"),
        ("PATCH", f"/tenants/{s}/roles/{F.role}", {"permissions": ["org:*"]}, "roles/{frole}"),
        ("DELETE", f"/tenants/{s}/roles/{F.role}", None, "roles/{frole}"),
    ]
    for method, path, body, label in routes:
        cell(
            "admin API organizations",
            f"local admin token, foreign ids: {method} /tenants/{{local}}/{label}",
            "404 problem, nothing changed",
            lambda mt=method, p=path, b=body: (
                api.request(mt, p, json=b) if b is not None else api.request(mt, p)
            ),
            problem(404),
            after=after,
        )
    for method, label, path, body in (
        (
            "POST",
            "/tenants/{local}/organizations/{org}/members with the foreign member's user id",
            f"/tenants/{s}/organizations/{lorg}/members",
            {"user_id": F.headless_user.id, "role": "member"},
        ),
        (
            "POST",
            "/tenants/{local}/organizations/{org}/members with the foreign owner's user id and role name",
            f"/tenants/{s}/organizations/{lorg}/members",
            {"user_id": F.user.id, "role": F.role},
        ),
        (
            "PATCH",
            "/tenants/{local}/organizations/{org}/members/{member} to the foreign role name",
            f"/tenants/{s}/organizations/{lorg}/members/{L.headless_user.id}",
            {"role": F.role},
        ),
    ):
        cell(
            "admin API organizations",
            f"local admin token, {method} {label}",
            "422 problem, nothing changed",
            lambda mt=method, p=path, b=body: api.request(mt, p, json=b),
            problem(422),
            after=after,
        )
    # The foreign tenant-scoped admin token at the local organization routes.
    foreign_api = scoped_admin(L.tenant, F.admin_token)
    for method, path, body in (
        ("GET", f"/tenants/{s}/organizations", None),
        ("GET", f"/tenants/{s}/organizations/{lorg}", None),
        ("PATCH", f"/tenants/{s}/organizations/{lorg}", {"name": "taken over"}),
        ("DELETE", f"/tenants/{s}/organizations/{lorg}", None),
        ("POST", f"/tenants/{s}/organizations/{lorg}/members", {"user_id": F.user.id, "role": "owner"}),
        ("GET", f"/tenants/{s}/roles", None),
        ("DELETE", f"/tenants/{s}/roles/{L.role}", None),
    ):
        shown = path.replace(s, "{local}").replace(lorg, "{org}").replace(L.role, "{role}")
        cell(
            "admin API organizations",
            f"foreign admin token: {method} {shown}",
            "404 problem, nothing changed",
            lambda mt=method, p=path, b=body: (
                foreign_api.request(mt, p, json=b) if b is not None else foreign_api.request(mt, p)
            ),
            problem(404),
            after=after,
            needles={**F.needles, **L.needles},
        )

    # ---- authorization endpoint: the local user's session names the foreign organization
    for label, client, org in (
        ("headless (first-party) client, foreign organization id", L.headless, fid),
        ("headless (first-party) client, foreign organization slug", L.headless, fslug),
        ("confidential client, foreign organization id", L.confidential, fid),
    ):
        cell(
            "authorize organization",
            f"local session and {label}",
            "redirect error=access_denied (not a member)",
            lambda c=client, o=org: authorize(
                L, c.client_id, c.redirect_uri, headers=L.cookie_header(), scope=ORG_SCOPE, organization=o
            ),
            redirect_error(client.redirect_uri, "access_denied", L.tenant.issuer, NOT_A_MEMBER),
        )

    # ---- refresh switching to the foreign organization (and a foreign grant to the local one)
    refresh = L.org_hl["refresh_token"]
    alive = still_active(L, refresh, L.headless)
    for label, org in (("id", fid), ("slug", fslug)):
        cell(
            "token refresh_token organization",
            f"local organization refresh token, organization=foreign {label}",
            "400 invalid_grant (not a member), token still active",
            lambda o=org: L.tenant.token_request(
                {"grant_type": "refresh_token", "refresh_token": refresh, "organization": o},
                L.headless,
                auth="none",
            ),
            described(oauth_error(400, "invalid_grant"), NOT_A_MEMBER),
            after=alive,
        )
        cell(
            "headless refresh organization",
            f"local organization refresh token, organization=foreign {label}",
            "400 invalid_grant (not a member), token still active",
            lambda o=org: headless(
                L.url,
                "POST",
                "auth/refresh",
                client_id=L.headless.client_id,
                body={"refresh_token": refresh, "organization": o},
            ),
            described(oauth_error(400, "invalid_grant"), NOT_A_MEMBER),
            after=alive,
        )
    cell(
        "token refresh_token organization",
        "foreign organization refresh token, organization=local id",
        "400 invalid_grant, still active at home",
        lambda: L.tenant.token_request(
            {"grant_type": "refresh_token", "refresh_token": F.org_hl["refresh_token"], "organization": lorg},
            L.headless,
            auth="none",
        ),
        oauth_error(400, "invalid_grant"),
        after=still_active(F, F.org_hl["refresh_token"], F.headless),
    )
