"""Positive controls of the isolation matrix (test_isolation.py): each tenant's artefacts work
at home, before the matrix (non-destructive) and after it (destructive)."""

from __future__ import annotations

import uuid
from functools import partial

from gatehouse_client import (
    AdminAPI,
    Browser,
    query_params,
)
from isolation_kit import ORG_SCOPE, Kit
from isolation_matrix import (
    Matrix,
    authorize,
    code_request,
    follow_on_server,
    login_page,
    logout,
    short,
    status_is,
)
from tenancy_helpers import (
    client_credentials,
    headless,
    introspect_as,
    is_active,
    json_or_none,
    scoped_admin,
    session_ids,
    unverified,
)


def controls_before(m: Matrix, K: Kit, others: dict, admin: AdminAPI) -> None:  # noqa: N803
    """Non-destructive positive controls: K's artefacts work at K."""
    t = K.tenant
    control = partial(m.control, K, others)
    control(
        "authorize",
        "own session cookie, prompt=none",
        "redirect with a code",
        lambda: authorize(
            K, K.confidential.client_id, K.confidential.redirect_uri, headers=K.cookie_header(), prompt="none"
        ),
        lambda r: (
            None
            if query_params(r.headers.get("Location", "")).get("code")
            and query_params(r.headers["Location"]).get("iss") == t.issuer
            else f"no code: {short(r)}"
        ),
    )
    control(
        "authorize",
        "own client and redirect_uri, no session",
        "login page",
        lambda: follow_on_server(authorize(K, K.public.client_id, K.public.redirect_uri).url, {}),
        login_page,
    )

    def account():
        browser: Browser = K.flow.browser
        first = browser.get(f"{t.issuer}/account")
        return [first, browser.follow(first)]

    control(
        "account",
        "own session cookie",
        "account page with the user's email",
        account,
        lambda r: None if r.status_code == 200 and K.user.email in r.text else f"no account page: {short(r)}",
    )
    for auth in ("basic", "post"):
        control(
            "token client_credentials",
            f"own credentials ({auth})",
            "200",
            lambda a=auth: client_credentials(t, K.confidential, auth=a),
            lambda r: None if r.status_code == 200 and r.json().get("access_token") else short(r),
        )
    control(
        "token client_credentials",
        "own admin client, scope users:read",
        "200",
        lambda: client_credentials(t, K.admin_client, scope="users:read"),
        lambda r: None if r.status_code == 200 else short(r),
    )
    for label in ("code-flow access token", "headless access token"):
        token, _ = K.access_tokens[label]
        control(
            "userinfo",
            f"own {label}",
            "200 with sub",
            lambda tk=token: t.userinfo(tk),
            lambda r: (
                None if r.status_code == 200 and r.json().get("sub", "").startswith("usr_") else short(r)
            ),
        )
    for label, (token, owner) in {**K.access_tokens, **K.refresh_tokens}.items():
        control(
            "introspection",
            f"own {label}",
            "active:true",
            lambda tk=token, o=owner: introspect_as(t, o, tk),
            lambda r: (
                None
                if r.status_code == 200 and r.json().get("active") is True and r.json().get("tid") == t.id
                else short(r)
            ),
        )
    for path in ("me", "auth/session"):
        control(
            f"headless /v1/{path}",
            "own headless access token",
            "200",
            lambda p=path: headless(
                K.url, "GET", p, client_id=K.headless.client_id, bearer=K.hl["access_token"]
            ),
            lambda r: None if r.status_code == 200 else short(r),
        )
    api = scoped_admin(t, K.admin_token)
    for path in ("", "/clients", "/users", "/sessions", "/keys", f"/webhooks/{K.webhook['id']}/deliveries"):
        control(
            "admin API",
            f"own admin token: GET /tenants/{{own}}{path.replace(K.webhook['id'], '{webhook}')}",
            "200",
            lambda p=path: api.get(f"/tenants/{K.slug}{p}"),
            lambda r: None if r.status_code == 200 else short(r),
        )
    control(
        "logout",
        "own client_id + post_logout_redirect_uri, no session",
        "redirect to it",
        lambda: logout(
            K,
            {
                "client_id": K.confidential.client_id,
                "post_logout_redirect_uri": K.confidential.post_logout_redirect_uri,
            },
        ),
        lambda r: (
            None
            if r.headers.get("Location", "").startswith(K.confidential.post_logout_redirect_uri)
            else short(r)
        ),
    )
    organization_controls_before(m, K, others)


def controls_after(m: Matrix, K: Kit, others: dict, admin: AdminAPI) -> None:  # noqa: N803
    """Destructive positive controls, after the matrix."""
    t = K.tenant
    control = partial(m.control, K, others)
    control(
        "token authorization_code",
        "own unused code (survived the matrix)",
        "200 with ID token",
        lambda: t.token_request(code_request(K), K.confidential),
        lambda r: None if r.status_code == 200 and r.json().get("id_token") else short(r),
    )
    control(
        "token refresh_token",
        "own code-flow refresh token",
        "200 rotated",
        lambda: t.refresh(K.confidential, K.flow.refresh_token),
        lambda r: (
            None
            if r.status_code == 200 and r.json().get("refresh_token") != K.flow.refresh_token
            else short(r)
        ),
    )
    control(
        "headless refresh",
        "own headless refresh token",
        "200",
        lambda: headless(
            K.url,
            "POST",
            "auth/refresh",
            client_id=K.headless.client_id,
            body={"refresh_token": K.hl["refresh_token"]},
        ),
        lambda r: None if r.status_code == 200 and r.json().get("access_token") else short(r),
    )
    control(
        "revocation",
        "own client_credentials access token",
        "200, then inactive",
        lambda: t.revoke(K.confidential, K.cc_token),
        status_is(200),
        after=lambda: None if not is_active(t, K.confidential, K.cc_token) else "still active",
    )
    api = scoped_admin(t, K.admin_token)
    email = f"control-{uuid.uuid4().hex[:8]}@example.test"
    created: dict = {}

    def create_user():
        resp = api.post(f"/tenants/{K.slug}/users", json={"email": email, "password": "control password 1"})
        created.update(json_or_none(resp) or {})
        return resp

    control(
        "admin API",
        "own admin token: POST /tenants/{own}/users",
        "201",
        create_user,
        lambda r: None if r.status_code == 201 else short(r),
    )
    control(
        "admin API",
        "own admin token: DELETE /tenants/{own}/users/{id}",
        "204",
        lambda: api.delete(f"/tenants/{K.slug}/users/{created.get('id', 'usr_missing')}"),
        lambda r: None if r.status_code == 204 else short(r),
    )
    control(
        "headless sign-out",
        "own headless access token",
        "204, then /v1/me 401",
        lambda: headless(
            K.url, "POST", "auth/sign-out", client_id=K.headless.client_id, bearer=K.hl["access_token"]
        ),
        status_is(204),
        after=lambda: (
            None
            if headless(
                K.url, "GET", "me", client_id=K.headless.client_id, bearer=K.hl["access_token"]
            ).status_code
            == 401
            else "still signed in"
        ),
    )
    control(
        "logout",
        "own id_token_hint + post_logout_redirect_uri with the session",
        "redirect, session ended",
        lambda: K.flow.browser.logout(
            t.endpoint("end_session_endpoint"),
            {
                "id_token_hint": K.flow.id_token,
                "post_logout_redirect_uri": K.confidential.post_logout_redirect_uri,
            },
        ),
        lambda r: (
            None
            if r.headers.get("Location", "").startswith(K.confidential.post_logout_redirect_uri)
            else short(r)
        ),
        after=lambda: None if K.browser_sid not in session_ids(admin, K.slug) else "session still active",
    )
    organization_controls_after(m, K, others)


def organization_controls_before(m: Matrix, K: Kit, others: dict) -> None:  # noqa: N803
    """K's organization, member, role and organization tokens work at K."""
    t = K.tenant
    control = partial(m.control, K, others)
    api = scoped_admin(t, K.admin_token)
    base = f"/tenants/{K.slug}"
    for label, path, check in (
        ("{own org}", f"organizations/{K.org['id']}", lambda b: b.get("id") == K.org["id"]),
        ("{own org slug}", f"organizations/{K.org['slug']}", lambda b: b.get("id") == K.org["id"]),
        (
            "{own org}/members/{member}",
            f"organizations/{K.org['id']}/members/{K.headless_user.id}",
            lambda b: b.get("role") == K.role,
        ),
        ("roles/{own role}", f"roles/{K.role}", lambda b: b.get("permissions") == ["audit:read"]),
        (
            "{own org}/invitations/{own invitation}",
            f"organizations/{K.org['id']}/invitations/{K.invitation['id']}",
            lambda b: b.get("status") == "pending",
        ),
        (
            "{own org}/domains/{own domain}",
            f"organizations/{K.org['id']}/domains/{K.domain}",
            lambda b: b.get("verified_at") is not None,
        ),
    ):
        control(
            "admin API organizations",
            f"own admin token: GET /tenants/{{own}}/{label}",
            "200",
            lambda p=path: api.get(f"{base}/{p}"),
            lambda r, c=check: None if r.status_code == 200 and c(json_or_none(r) or {}) else short(r),
        )
    control(
        "authorize organization",
        "own session, headless client, organization=own id",
        "redirect with a code",
        lambda: authorize(
            K,
            K.headless.client_id,
            K.headless.redirect_uri,
            headers=K.cookie_header(),
            scope=ORG_SCOPE,
            organization=K.org["id"],
        ),
        lambda r: None if query_params(r.headers.get("Location", "")).get("code") else f"no code: {short(r)}",
    )
    control(
        "introspection",
        "own organization access token",
        "active:true with org_id and org_role",
        lambda: introspect_as(t, K.headless, K.org_hl["access_token"]),
        lambda r: (
            None
            if r.status_code == 200
            and (r.json().get("active"), r.json().get("org_id"), r.json().get("org_role"))
            == (True, K.org["id"], K.role)
            else short(r)
        ),
    )


def org_claims(token: str) -> tuple:
    """``org_id`` and ``org_role`` of a JWT (unverified: the control compares, it does not trust)."""
    claims = unverified(token)[1]
    return claims.get("org_id"), claims.get("org_role")


def organization_controls_after(m: Matrix, K: Kit, others: dict) -> None:  # noqa: N803
    """Refresh switching at home, after the matrix: the refused switches consumed nothing."""
    control = partial(m.control, K, others)
    control(
        "token refresh_token organization",
        "own organization refresh token, organization=own id",
        "200, org_id and org_role of the own organization",
        lambda: K.tenant.token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": K.org_hl["refresh_token"],
                "organization": K.org["id"],
            },
            K.headless,
            auth="none",
        ),
        lambda r: (
            None
            if r.status_code == 200
            and org_claims(r.json()["access_token"])
            == org_claims(r.json()["id_token"])
            == (K.org["id"], K.role)
            else short(r)
        ),
    )
