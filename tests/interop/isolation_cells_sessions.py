"""Cross-tenant cells of the isolation matrix (test_isolation.py) for the browser-facing and
session endpoints: authorize, the account console, RP-initiated logout and the headless API.
"""

from __future__ import annotations

from functools import partial

from gatehouse_client import AdminAPI
from isolation_cells_jar import request_object_cells
from isolation_kit import Kit
from isolation_matrix import (
    Matrix,
    authorize,
    error_page,
    follow_on_server,
    headless_invalid_token,
    login_page,
    logout,
    oauth_error,
    redirect_error,
    status_is,
    still_active,
)
from tenancy_helpers import (
    CONSOLE_COOKIE,
    headless,
    session_ids,
)


def authorize_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """The authorization endpoint: foreign clients, redirect URIs and session cookie."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    for label, client in (("public", F.public), ("confidential", F.confidential), ("headless", F.headless)):
        cell(
            "authorize",
            f"foreign {label} client_id",
            "400 error page, no redirect",
            lambda c=client: authorize(L, c.client_id, c.redirect_uri),
            error_page,
        )
    for label, local, foreign in (
        ("public", L.public, F.public),
        ("confidential", L.confidential, F.confidential),
    ):
        cell(
            "authorize",
            f"local {label} client with the foreign client's redirect_uri",
            "400 error page, no redirect",
            lambda lc=local, fc=foreign: authorize(L, lc.client_id, fc.redirect_uri),
            error_page,
        )
    cell(
        "authorize",
        "foreign session cookie, prompt=none",
        "redirect error=login_required",
        lambda: authorize(
            L, L.confidential.client_id, L.confidential.redirect_uri, headers=F.cookie_header(), prompt="none"
        ),
        redirect_error(L.confidential.redirect_uri, "login_required", lt.issuer),
    )
    request_object_cells(m, F, L)


def account_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """The account console: the foreign session cookie and access token as console cookie."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    cell(
        "account",
        "foreign session cookie",
        "sign-in starts: login page",
        lambda: follow_on_server(f"{lt.issuer}/account", F.cookies),
        login_page,
    )
    cell(
        "account",
        "foreign access token as console cookie",
        "sign-in starts: login page",
        lambda: follow_on_server(f"{lt.issuer}/account", {CONSOLE_COOKIE: F.flow.access_token}),
        login_page,
    )


def logout_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """RP-initiated logout with foreign ID tokens, clients, redirect URIs and session cookie."""
    cell = partial(m.cell, F, L)
    for label, token in F.id_tokens.items():
        cell(
            "logout",
            f"foreign {label} as id_token_hint",
            "400 error page, no redirect",
            lambda t=token: logout(L, {"id_token_hint": t}),
            error_page,
        )
    cell(
        "logout",
        "foreign id_token_hint + foreign post_logout_redirect_uri",
        "400 error page, no redirect",
        lambda: logout(
            L,
            {
                "id_token_hint": F.flow.id_token,
                "post_logout_redirect_uri": F.confidential.post_logout_redirect_uri,
            },
        ),
        error_page,
    )
    cell(
        "logout",
        "local client_id + foreign post_logout_redirect_uri",
        "400 error page, no redirect",
        lambda: logout(
            L,
            {
                "client_id": L.confidential.client_id,
                "post_logout_redirect_uri": F.confidential.post_logout_redirect_uri,
            },
        ),
        error_page,
    )
    cell(
        "logout",
        "foreign client_id + its post_logout_redirect_uri",
        "400 error page, no redirect",
        lambda: logout(
            L,
            {
                "client_id": F.confidential.client_id,
                "post_logout_redirect_uri": F.confidential.post_logout_redirect_uri,
            },
        ),
        error_page,
    )
    cell(
        "logout",
        "foreign session cookie",
        "no effect: foreign session still active",
        lambda: logout(L, {}, headers=F.cookie_header()),
        status_is(200),
        after=lambda: None if F.browser_sid in session_ids(admin, F.slug) else "the foreign session ended",
    )


def headless_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """The headless API (tenant chosen by X-Client-Id) with foreign tokens, keys and users."""
    cell = partial(m.cell, F, L)
    url = L.url
    lpk = L.headless.client_id
    cell(
        "headless refresh",
        "foreign headless refresh token, local X-Client-Id",
        "400 invalid_grant",
        lambda: headless(
            url, "POST", "auth/refresh", client_id=lpk, body={"refresh_token": F.hl["refresh_token"]}
        ),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "headless refresh",
        "foreign code-flow refresh token, local X-Client-Id",
        "400 invalid_grant",
        lambda: headless(
            url, "POST", "auth/refresh", client_id=lpk, body={"refresh_token": F.flow.refresh_token}
        ),
        oauth_error(400, "invalid_grant"),
    )
    for path in ("me", "auth/session"):
        for label in ("headless access token", "code-flow access token", "admin-scoped access token"):
            token = F.access_tokens[label][0]
            cell(
                f"headless /v1/{path}",
                f"foreign {label}, local X-Client-Id",
                "401 invalid_token",
                lambda p=path, t=token: headless(url, "GET", p, client_id=lpk, bearer=t),
                headless_invalid_token,
            )
        # The other direction of routing by key: a local token sent with the foreign key goes to
        # the foreign tenant, which must not know it (nor answer with local data).
        cell(
            f"headless /v1/{path}",
            "local headless access token, foreign X-Client-Id",
            "401 invalid_token",
            lambda p=path: headless(
                url, "GET", p, client_id=F.headless.client_id, bearer=L.hl["access_token"]
            ),
            headless_invalid_token,
            needles=L.needles,
        )
    cell(
        "headless sign-out",
        "foreign headless access token, local X-Client-Id",
        "401 invalid_token, foreign session alive",
        lambda: headless(url, "POST", "auth/sign-out", client_id=lpk, bearer=F.hl["access_token"]),
        headless_invalid_token,
        after=lambda: (
            None
            if headless(
                F.url, "GET", "auth/session", client_id=F.headless.client_id, bearer=F.hl["access_token"]
            ).status_code
            == 200
            else "the foreign session ended"
        ),
    )
    cell(
        "headless sign-out",
        "foreign refresh token in the body, local X-Client-Id",
        "204 no effect, foreign refresh token active",
        lambda: headless(
            url, "POST", "auth/sign-out", client_id=lpk, body={"refresh_token": F.hl["refresh_token"]}
        ),
        status_is(204),
        after=still_active(F, F.hl["refresh_token"], F.headless),
    )
    cell(
        "headless sign-in",
        "foreign user's email and password, local X-Client-Id",
        "400 invalid_grant",
        lambda: headless(
            url,
            "POST",
            "auth/sign-in",
            client_id=lpk,
            body={"email": F.headless_user.email, "password": F.headless_user.password},
        ),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "headless sign-in",
        "foreign secret key with local X-Client-Id",
        "400 invalid_request",
        lambda: headless(
            url,
            "POST",
            "auth/sign-in",
            client_id=lpk,
            secret=F.confidential.client_secret,
            body={"email": L.headless_user.email, "password": L.headless_user.password},
        ),
        oauth_error(400, "invalid_request"),
    )
