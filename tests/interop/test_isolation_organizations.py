"""The cross-organization matrix inside one tenant (issue 10 item 7).

One tenant, two organizations X and Y with the same owner, and a member M of X only (a custom
role). M signs in through the real login page with the scope ``organization`` (one membership:
X without a picker) and through the headless API. Then every way of naming Y is refused: the
authorization request with ``organization=`` Y's id or slug (with M's session, prompt=none too),
the refresh switching to Y (token endpoint and headless API), the headless sign-in naming Y.
Each answer is the documented one (``access_denied`` / ``invalid_grant``, "the user is not a
member of the requested organization", worded as for an organization that does not exist) and
no response carries Y's id or slug; afterwards M's tokens (ID and access tokens, userinfo,
introspection, a refresh) still carry X's ``org_id`` and never Y's.

Controls: M's own organization works everywhere; the tenant-scoped admin token of the tenant
manages both organizations; once the admin adds M to Y, the same switch succeeds (so the
refusals were about membership, not about the request).

Invitations across organizations: test_isolation_organization_invitations.py.

The cells are written to ``$ARTIFACTS_DIR/isolation-organizations.txt``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gatehouse_client import (
    authorization_request,
    code_flow,
    expect,
    query_params,
    unique_slug,
)
from isolation_cells_orgs import NOT_A_MEMBER
from isolation_kit import ORG_SCOPE
from isolation_matrix import Matrix, described, oauth_error, redirect_error, short, still_active
from tenancy_helpers import (
    admin_token,
    create_admin_client,
    headless,
    introspect_as,
    scoped_admin,
    sign_in,
    unverified,
)


@dataclass
class Side:
    """What ``Matrix`` needs of a party: a name and the needles its responses must not show."""

    name: str
    needles: dict
    tenant: object = None


@dataclass
class World:
    tenant: object
    api: object
    x: dict
    y: dict
    role: str
    member: object
    client: object
    flow: object
    hl: dict
    latest: str = ""


def org_claims(token: str) -> tuple:
    claims = unverified(token)[1]
    return claims.get("org_id"), claims.get("org_role")


@pytest.fixture
def world(tenant) -> World:
    api = scoped_admin(tenant, admin_token(tenant, create_admin_client(tenant)))
    base = f"/tenants/{tenant.slug}"
    role = "auditor"
    expect(api.post(f"{base}/roles", json={"name": role, "permissions": ["audit:read"]}), 201)
    owner = tenant.create_user(name="Owner")
    member = tenant.create_user(name="Member of X")

    def organization(name: str) -> dict:
        body = {"name": name, "slug": unique_slug("org"), "owner_user_id": owner.id}
        return expect(api.post(f"{base}/organizations", json=body), 201).json()

    x, y = organization("X"), organization("Y")
    expect(
        api.post(f"{base}/organizations/{x['id']}/members", json={"user_id": member.id, "role": role}), 201
    )
    client = tenant.create_client(
        "public", first_party=True, grant_types=["authorization_code", "refresh_token"]
    )
    flow = code_flow(tenant, client, member, scope=ORG_SCOPE)
    assert org_claims(flow.access_token) == (x["id"], role), flow.token
    resp = sign_in(tenant.public_url, client, member, scope=ORG_SCOPE)
    assert resp.status_code == 200, short(resp)
    return World(tenant, api, x, y, role, member, client, flow, resp.json())


def refresh(w: World, token: str, organization: str | None = None):
    """A refresh at the token endpoint; a rotated refresh token is kept as ``w.latest``."""
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if organization is not None:
        data["organization"] = organization
    resp = w.tenant.token_request(data, w.client, auth="none")
    if resp.status_code == 200:
        w.latest = resp.json()["refresh_token"]
    return resp


def carries_x(w: World):
    """A verdict for a token response: 200 and both tokens in X, with M's role."""

    def verdict(resp):
        if resp.status_code != 200:
            return f"expected 200, got {short(resp)}"
        body = resp.json()
        found = {org_claims(body["access_token"]), org_claims(body["id_token"])}
        return None if found == {(w.x["id"], w.role)} else f"tokens in {found}, expected X"

    return verdict


def test_a_member_of_one_organization_cannot_act_within_another(world: World, artifacts_dir):
    w = world
    m = Matrix()
    x_side = Side("X", {"X.organization id": w.x["id"]})
    y_side = Side("Y", {"Y.organization id": w.y["id"], "Y.organization slug": w.y["slug"]})
    cell = lambda *a, **k: m.cell(y_side, x_side, *a, **k)  # noqa: E731 - Y's names presented to X's member
    control = lambda *a, **k: m.control(x_side, y_side.needles, *a, **k)  # noqa: E731
    redirect = w.client.redirect_uri
    issuer = w.tenant.issuer

    # ---- authorization requests naming Y, with M's session
    for label, org, extra in (
        ("Y's id", w.y["id"], {}),
        ("Y's slug", w.y["slug"], {}),
        ("Y's id, prompt=none", w.y["id"], {"prompt": "none"}),
    ):
        _, url, _, _, _ = authorization_request(
            w.tenant, w.client, scope=ORG_SCOPE, organization=org, **extra
        )
        cell(
            "authorize organization",
            f"member of X, organization={label}",
            "redirect error=access_denied (not a member)",
            lambda u=url: w.flow.browser.http.get(u, allow_redirects=False, timeout=10),
            redirect_error(redirect, "access_denied", issuer, NOT_A_MEMBER),
        )

    # ---- refresh switching to Y: refused, the refresh token survives
    for label, token, org in (
        ("code-flow refresh token", w.flow.refresh_token, w.y["id"]),
        ("code-flow refresh token", w.flow.refresh_token, w.y["slug"]),
        ("headless refresh token", w.hl["refresh_token"], w.y["id"]),
    ):
        cell(
            "token refresh_token organization",
            f"member of X, {label}, organization={'Y id' if org == w.y['id'] else 'Y slug'}",
            "400 invalid_grant (not a member), token still active",
            lambda t=token, o=org: refresh(w, t, o),
            described(oauth_error(400, "invalid_grant"), NOT_A_MEMBER),
            after=still_active(Side("X", {}, w.tenant), token, w.client),
        )
    for org in (w.y["id"], w.y["slug"]):
        cell(
            "headless refresh organization",
            f"member of X, headless refresh token, organization={'Y id' if org == w.y['id'] else 'Y slug'}",
            "400 invalid_grant (not a member), token still active",
            lambda o=org: headless(
                w.tenant.public_url,
                "POST",
                "auth/refresh",
                client_id=w.client.client_id,
                body={"refresh_token": w.hl["refresh_token"], "organization": o},
            ),
            described(oauth_error(400, "invalid_grant"), NOT_A_MEMBER),
            after=still_active(Side("X", {}, w.tenant), w.hl["refresh_token"], w.client),
        )
    # ---- headless sign-in naming Y
    for org in (w.y["id"], w.y["slug"]):
        cell(
            "headless sign-in organization",
            f"member of X, organization={'Y id' if org == w.y['id'] else 'Y slug'}",
            "400 access_denied (not a member)",
            lambda o=org: sign_in(w.tenant.public_url, w.client, w.member, scope=ORG_SCOPE, organization=o),
            described(oauth_error(400, "access_denied"), NOT_A_MEMBER),
        )

    # ---- M's tokens never carry Y: userinfo, introspection, a plain refresh
    for label, token in (("code-flow", w.flow.access_token), ("headless", w.hl["access_token"])):
        cell(
            "userinfo",
            f"member of X, {label} access token",
            "200 with org_id X",
            lambda t=token: w.tenant.userinfo(t),
            lambda r: None if r.status_code == 200 and r.json().get("org_id") == w.x["id"] else short(r),
        )
        cell(
            "introspection",
            f"member of X, {label} access token",
            "active with org_id X",
            lambda t=token: introspect_as(w.tenant, w.client, t),
            lambda r: (
                None
                if r.status_code == 200
                and (r.json().get("active"), r.json().get("org_id")) == (True, w.x["id"])
                else short(r)
            ),
        )
    cell(
        "token refresh_token",
        "member of X, code-flow refresh token after the refusals, no organization",
        "200, tokens in X",
        lambda: refresh(w, w.flow.refresh_token),
        carries_x(w),
    )

    # ---- controls: M's own organization, and the tenant's admin token over both organizations
    _, url, _, _, _ = authorization_request(w.tenant, w.client, scope=ORG_SCOPE, organization=w.x["slug"])
    control(
        "authorize organization",
        "member of X, organization=X's slug",
        "redirect with a code",
        lambda: w.flow.browser.http.get(url, allow_redirects=False, timeout=10),
        lambda r: None if query_params(r.headers.get("Location", "")).get("code") else short(r),
    )
    control(
        "token refresh_token organization",
        "member of X, headless refresh token, organization=X",
        "200, tokens in X",
        lambda: refresh(w, w.hl["refresh_token"], w.x["id"]),
        carries_x(w),
    )
    base = f"/tenants/{w.tenant.slug}/organizations"
    y_side.needles = {}  # the admin of the tenant sees both organizations, of course
    for org in (w.x, w.y):
        control(
            "admin API organizations",
            f"tenant admin token: GET and PATCH organization {org['name']}",
            "200",
            lambda o=org: [
                expect(w.api.get(f"{base}/{o['id']}"), 200),
                w.api.patch(f"{base}/{o['slug']}", json={"name": f"{o['name']} renamed"}),
            ],
            lambda r: None if r.status_code == 200 and r.json()["name"].endswith("renamed") else short(r),
        )
    joins = {"user_id": w.member.id, "role": "member"}
    control(
        "admin API organizations",
        "tenant admin token: add M to Y, then M's switch to Y succeeds",
        "201, then tokens in Y",
        lambda: [
            expect(w.api.post(f"{base}/{w.y['id']}/members", json=joins), 201),
            refresh(w, w.latest, w.y["id"]),
        ],
        lambda r: (
            None
            if r.status_code == 200 and org_claims(r.json()["access_token"]) == (w.y["id"], "member")
            else short(r)
        ),
    )

    report = [f"{len(m.cells)} cells, {m.denied} denied; {len(m.controls)} controls"]
    report += ["", "cells:"] + [c.line() for c in m.cells] + ["", "positive controls:"]
    report += [c.line().replace("| denied", "| ok").replace("NOT DENIED", "FAILED") for c in m.controls]
    (artifacts_dir / "isolation-organizations.txt").write_text("\n".join(report) + "\n")
    print(report[0])
    assert (len(m.cells), len(m.controls)) == (15, 5), report[0]
    failed = [c.line() for c in m.controls if not c.passed]
    assert not failed, "controls failed:\n" + "\n".join(failed)
    not_denied = [c.line() for c in m.cells if not c.passed]
    assert not not_denied, "cells not denied:\n" + "\n".join(not_denied)
