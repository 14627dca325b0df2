"""Cross-tenant cells of the isolation matrix (test_isolation.py) for organization invitations and
domains (issue 10): the foreign tenant's invitation id and verified domain presented to the local
tenant's admin API (local tenant-scoped admin token under the local organization, and under the
foreign organization id; the foreign admin token at the local invitation and domain routes) and
to the local headless API (the local member's access token: the foreign organization's invitations,
accepting and declining the foreign invitation by id); the foreign access token as the local
account console's cookie at the console's invitation forms. Every cell is checked afterwards to have
changed nothing in either tenant (invitations still pending, domains still verified)."""

from __future__ import annotations

from functools import partial

import requests

from gatehouse_client import AdminAPI
from isolation_cells_orgs import unchanged
from isolation_kit import Kit
from isolation_matrix import Matrix, oauth_error, problem, status_is
from tenancy_helpers import CONSOLE_COOKIE, headless, scoped_admin


def invitation_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """F's invitation and domain at L's admin API and headless API."""
    cell = partial(m.cell, F, L)
    after = unchanged(F, L)
    s, lorg, fid = L.slug, L.org["id"], F.org["id"]
    finv, fdom, linv = F.invitation["id"], F.domain, L.invitation["id"]

    # ---- admin API with the local tenant-scoped admin token, foreign invitation and domain
    api = scoped_admin(L.tenant, L.admin_token)
    for method, path, label in (
        ("GET", f"/tenants/{s}/organizations/{lorg}/invitations/{finv}", "organizations/{org}/invitations/{finv}"),
        ("POST", f"/tenants/{s}/organizations/{lorg}/invitations/{finv}/revoke", "organizations/{org}/invitations/{finv}/revoke"),
        ("POST", f"/tenants/{s}/organizations/{lorg}/invitations/{finv}/resend", "organizations/{org}/invitations/{finv}/resend"),
        ("GET", f"/tenants/{s}/organizations/{fid}/invitations", "organizations/{forg}/invitations"),
        ("GET", f"/tenants/{s}/organizations/{fid}/invitations/{finv}", "organizations/{forg}/invitations/{finv}"),
        ("POST", f"/tenants/{s}/organizations/{fid}/invitations/{finv}/revoke", "organizations/{forg}/invitations/{finv}/revoke"),
        ("GET", f"/tenants/{s}/organizations/{lorg}/domains/{fdom}", "organizations/{org}/domains/{fdomain}"),
        ("POST", f"/tenants/{s}/organizations/{lorg}/domains/{fdom}/verify", "organizations/{org}/domains/{fdomain}/verify"),
        ("DELETE", f"/tenants/{s}/organizations/{lorg}/domains/{fdom}", "organizations/{org}/domains/{fdomain}"),
        ("GET", f"/tenants/{s}/organizations/{fid}/domains", "organizations/{forg}/domains"),
        ("DELETE", f"/tenants/{s}/organizations/{fid}/domains/{fdom}", "organizations/{forg}/domains/{fdomain}"),
    ):
        cell(
            "admin API invitations and domains",
            f"local admin token, foreign ids: {method} /tenants/{{local}}/{label}",
            "404 problem, nothing changed",
            lambda mt=method, p=path: api.request(mt, p),
            problem(404),
            after=after,
        )
    cell(
        "admin API invitations and domains",
        "local admin token: POST /tenants/{local}/organizations/{forg}/invitations",
        "404 problem, nothing changed",
        lambda: api.post(f"/tenants/{s}/organizations/{fid}/invitations", json={"email": "x@isolation.example"}),
        problem(404),
        after=after,
    )

    # ---- the foreign tenant-scoped admin token at the local invitation and domain routes
    foreign_api = scoped_admin(L.tenant, F.admin_token)
    for method, path, body in (
        ("GET", f"/tenants/{s}/organizations/{lorg}/invitations", None),
        ("POST", f"/tenants/{s}/organizations/{lorg}/invitations", {"email": "x@isolation.example"}),
        ("GET", f"/tenants/{s}/organizations/{lorg}/invitations/{linv}", None),
        ("POST", f"/tenants/{s}/organizations/{lorg}/invitations/{linv}/revoke", None),
        ("GET", f"/tenants/{s}/organizations/{lorg}/domains", None),
        ("DELETE", f"/tenants/{s}/organizations/{lorg}/domains/{L.domain}", None),
    ):
        shown = path.replace(s, "{local}").replace(lorg, "{org}").replace(linv, "{inv}").replace(L.domain, "{domain}")
        cell(
            "admin API invitations and domains",
            f"foreign admin token: {method} {shown}",
            "404 problem, nothing changed",
            lambda mt=method, p=path, b=body: (
                foreign_api.request(mt, p, json=b) if b is not None else foreign_api.request(mt, p)
            ),
            problem(404),
            after=after,
            needles={**F.needles, **L.needles},
        )

    # ---- headless API with the local member's organization access token
    token = L.org_hl["access_token"]
    for method, path, body in (
        ("GET", f"organizations/{fid}/invitations", None),
        ("POST", f"organizations/{fid}/invitations", {"email": "x@isolation.example"}),
        ("DELETE", f"organizations/{fid}/invitations/{finv}", None),
        ("POST", f"organizations/{fid}/invitations/{finv}/resend", None),
        ("POST", f"invitations/{finv}/accept", None),
        ("POST", f"invitations/{finv}/decline", None),
    ):
        shown = path.replace(fid, "{forg}").replace(finv, "{finv}")
        cell(
            "headless invitations",
            f"local access token: {method} /v1/{shown}",
            "404 not_found, nothing changed",
            lambda mt=method, p=path, b=body: headless(
                L.url, mt, p, client_id=L.headless.client_id, bearer=token, body=b
            ),
            oauth_error(404, "not_found"),
            after=after,
        )

    # ---- the local account console's invitation forms with the foreign access token as its cookie
    console = f"{L.tenant.issuer}/account"
    for path, data in (
        (f"/organizations/{lorg}/invitations", {"email": "x@isolation.example", "role": "member"}),
        (f"/organizations/{lorg}/invitations/{linv}/revoke", {}),
        (f"/organizations/{lorg}/invitations/{linv}/resend", {}),
        (f"/invitations/{linv}/accept", {}),
        (f"/invitations/{linv}/decline", {}),
    ):
        shown = path.replace(lorg, "{org}").replace(linv, "{inv}")
        cell(
            "account invitations",
            f"foreign access token as console cookie: POST /account{shown}",
            "400 (not signed in to this console), nothing changed",
            lambda p=path, d=data: requests.post(
                console + p, data={**d, "csrf_token": "x"}, cookies={CONSOLE_COOKIE: F.flow.access_token},
                allow_redirects=False, timeout=10,
            ),
            status_is(400),
            after=after,
        )
