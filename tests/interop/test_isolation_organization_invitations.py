"""The cross-organization matrix inside one tenant for invitations (issue 10 item 7): the owner
of organization A (the strongest role) presents organization B's invitation id, and B itself, to
the account console's and the headless API's invitation routes (list, invite, revoke, resend,
accept, decline). Every one is 404 (a page, or ``not_found``), no response shows B's invitation id
or invited address, and B's invitation stays pending with B's membership unchanged. Controls: B's
owner lists the same invitation at home; A's owner invites into A.

The cells are written to ``$ARTIFACTS_DIR/isolation-organizations-invitations.txt``."""

from __future__ import annotations

import requests

from accounts_pages import soup
from gatehouse_client import expect, unique_slug
from isolation_matrix import Matrix, oauth_error, short
from tenancy_helpers import admin_token, create_admin_client, scoped_admin
from test_isolation_organizations import Side
from test_organizations_console import Headless, console_for, forge, page


def test_an_owner_of_one_organization_cannot_touch_anothers_invitations(tenant, artifacts_dir):
    """A's owner (an owner: the strongest role) presents B's invitation id, and B itself, to the
    console's and the headless API's invitation routes: every one is 404 and B's invitation stays
    pending; B's own owner controls that the same id works at home."""
    api = scoped_admin(tenant, admin_token(tenant, create_admin_client(tenant)))
    base = f"/tenants/{tenant.slug}/organizations"
    a_owner, b_owner = tenant.create_user(name="Owner of A"), tenant.create_user(name="Owner of B")

    def organization(name: str, owner) -> dict:
        body = {"name": name, "slug": unique_slug("org"), "owner_user_id": owner.id}
        return expect(api.post(base, json=body), 201).json()

    a, b = organization("A", a_owner), organization("B", b_owner)
    # B's pending invitation, to an address that is neither owner's.
    b_inv = expect(api.post(f"{base}/{b['id']}/invitations", json={"email": "stranger@b.example"}), 201).json()
    m = Matrix()
    a_side = Side("A", {"A.organization id": a["id"]})
    b_side = Side("B", {"B.invitation id": b_inv["id"], "B.invited address": b_inv["email"]})
    cell = lambda *args, **kw: m.cell(b_side, a_side, *args, **kw)  # noqa: E731 - B's names at A's owner
    control_b = lambda *args, **kw: m.control(b_side, a_side.needles, *args, **kw)  # noqa: E731 - B at home
    control_a = lambda *args, **kw: m.control(a_side, b_side.needles, *args, **kw)  # noqa: E731 - A at home

    def still_pending():
        resp = api.get(f"{base}/{b['id']}/invitations/{b_inv['id']}")
        members = {x["user_id"] for x in expect(api.get(f"{base}/{b['id']}/members"), 200).json()["members"]}
        ok = resp.status_code == 200 and resp.json()["status"] == "pending" and members == {b_owner.id}
        return None if ok else f"B changed: {short(resp)} members {members}"

    def not_found_page(resp):
        return None if resp.status_code == 404 else f"expected a 404 page, got {short(resp)}"

    console = console_for(tenant, a_owner)
    csrf = soup(page(console, f"/{a['id']}")).select_one("input[name=csrf_token]")["value"]
    issuer = tenant.issuer
    for path, data in (
        (f"/account/organizations/{b['id']}/invitations", {"email": "x@b.example", "role": "member"}),
        (f"/account/organizations/{b['id']}/invitations/{b_inv['id']}/revoke", {}),
        (f"/account/organizations/{b['id']}/invitations/{b_inv['id']}/resend", {}),
        (f"/account/organizations/{a['id']}/invitations/{b_inv['id']}/revoke", {}),
        (f"/account/organizations/{a['id']}/invitations/{b_inv['id']}/resend", {}),
        (f"/account/invitations/{b_inv['id']}/accept", {}),
        (f"/account/invitations/{b_inv['id']}/decline", {}),
    ):
        shown = path.replace(b["id"], "{B}").replace(a["id"], "{A}").replace(b_inv["id"], "{B invitation}")
        cell(
            "account invitations",
            f"owner of A, console: POST {shown}",
            "404 page, B unchanged",
            lambda p=path, d=data: forge(console, issuer + p, {**d, "csrf_token": csrf}),
            not_found_page,
            after=still_pending,
        )

    app = tenant.create_client("public", first_party=True)
    hl = Headless(tenant, app, a_owner)
    v1 = hl.base
    for method, path, body in (
        ("GET", f"/organizations/{b['id']}/invitations", None),
        ("POST", f"/organizations/{b['id']}/invitations", {"email": "x@b.example"}),
        ("DELETE", f"/organizations/{b['id']}/invitations/{b_inv['id']}", None),
        ("POST", f"/organizations/{b['id']}/invitations/{b_inv['id']}/resend", None),
        ("DELETE", f"/organizations/{a['id']}/invitations/{b_inv['id']}", None),
        ("POST", f"/organizations/{a['id']}/invitations/{b_inv['id']}/resend", None),
        ("POST", f"/invitations/{b_inv['id']}/accept", None),
        ("POST", f"/invitations/{b_inv['id']}/decline", None),
    ):
        shown = path.replace(b["id"], "{B}").replace(a["id"], "{A}").replace(b_inv["id"], "{B invitation}")
        cell(
            "headless invitations",
            f"owner of A: {method} /v1{shown}",
            "404 not_found, B unchanged",
            lambda mt=method, p=path, bd=body: requests.request(
                mt, v1 + p, headers=hl.headers, timeout=10, **({"json": bd} if bd is not None else {})
            ),
            oauth_error(404, "not_found"),
            after=still_pending,
        )
    cell(
        "headless invitations",
        "owner of A: GET /v1/invitations",
        "200 without B's invitation",
        lambda: requests.get(f"{v1}/invitations", headers=hl.headers, timeout=10),
        lambda r: None if r.status_code == 200 and r.json()["invitations"] == [] else short(r),
    )

    # ---- controls: B's owner reaches the same invitation; A's owner manages A's own.
    b_hl = Headless(tenant, app, b_owner)
    control_b(
        "headless invitations",
        "owner of B: GET /v1/organizations/{B}/invitations",
        "200 listing B's invitation",
        lambda: requests.get(f"{v1}/organizations/{b['id']}/invitations", headers=b_hl.headers, timeout=10),
        lambda r: None if r.status_code == 200 and [i["id"] for i in r.json()["invitations"]] == [b_inv["id"]] else short(r),
    )
    control_a(
        "headless invitations",
        "owner of A: POST /v1/organizations/{A}/invitations",
        "201",
        lambda: requests.post(
            f"{v1}/organizations/{a['id']}/invitations", headers=hl.headers, timeout=10, json={"email": "y@a.example"}
        ),
        lambda r: None if r.status_code == 201 else short(r),
    )

    report = [f"{len(m.cells)} cells, {m.denied} denied; {len(m.controls)} controls"]
    report += ["", "cells:"] + [c.line() for c in m.cells] + ["", "positive controls:"]
    report += [c.line().replace("| denied", "| ok").replace("NOT DENIED", "FAILED") for c in m.controls]
    (artifacts_dir / "isolation-organizations-invitations.txt").write_text("\n".join(report) + "\n")
    print(report[0])
    assert (len(m.cells), len(m.controls)) == (16, 2), report[0]
    failed = [c.line() for c in m.controls if not c.passed]
    assert not failed, "controls failed:\n" + "\n".join(failed)
    not_denied = [c.line() for c in m.cells if not c.passed]
    assert not not_denied, "cells not denied:\n" + "\n".join(not_denied)

