"""Cross-tenant cells of the isolation matrix (test_isolation.py) for the token endpoint (every
grant), userinfo, forged tokens, introspection and revocation.
"""

from __future__ import annotations

from functools import partial

import requests

from gatehouse_client import AdminAPI
from gatehouse_http import HTTP_TIMEOUT
from isolation_cells_device import device_cells
from isolation_cells_exchange import exchange_cells
from isolation_cells_registration import registration_cells
from isolation_kit import Kit
from isolation_matrix import (
    Matrix,
    bearer_invalid_token,
    code_request,
    error_page,
    inactive,
    oauth_error,
    problem,
    status_is,
    still_active,
)
from tenancy_helpers import (
    client_credentials,
    introspect_as,
    scoped_admin,
    tamper,
)


def token_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """The token endpoint: every grant with foreign codes, refresh tokens and client credentials."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    cell(
        "token authorization_code",
        "foreign code + foreign client credentials",
        "401 invalid_client",
        lambda: lt.token_request(code_request(F), F.confidential),
        oauth_error(401, "invalid_client"),
    )
    cell(
        "token authorization_code",
        "foreign code with the local confidential client",
        "400 invalid_grant",
        lambda: lt.token_request(code_request(F), L.confidential),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token authorization_code",
        "foreign code with the local public client",
        "400 invalid_grant",
        lambda: lt.token_request(code_request(F), L.public, auth="none"),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token authorization_code",
        "foreign code + foreign public client_id",
        "401 invalid_client",
        lambda: lt.token_request(code_request(F), F.public, auth="none"),
        oauth_error(401, "invalid_client"),
    )
    cell(
        "token refresh_token",
        "foreign code-flow refresh token, local client",
        "400 invalid_grant",
        lambda: lt.refresh(L.confidential, F.flow.refresh_token),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token refresh_token",
        "foreign headless refresh token, local headless client",
        "400 invalid_grant",
        lambda: lt.refresh(L.headless, F.hl["refresh_token"]),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token refresh_token",
        "foreign refresh token + foreign client credentials",
        "401 invalid_client",
        lambda: lt.refresh(F.confidential, F.flow.refresh_token),
        oauth_error(401, "invalid_client"),
    )
    for auth in ("basic", "post"):
        cell(
            "token client_credentials",
            f"foreign client credentials ({auth})",
            "401 invalid_client",
            lambda a=auth: client_credentials(lt, F.confidential, auth=a),
            oauth_error(401, "invalid_client"),
        )
    cell(
        "token client_credentials",
        "foreign admin client credentials, scope users:read",
        "401 invalid_client",
        lambda: client_credentials(lt, F.admin_client, scope="users:read"),
        oauth_error(401, "invalid_client"),
    )
    pushed_cells(m, F, L)
    device_cells(m, F, L)
    registration_cells(m, F, L)
    exchange_cells(m, F, L)


def pushed_cells(m: Matrix, F: Kit, L: Kit) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """Pushed authorization requests (RFC 9126): a foreign client cannot push, and a request_uri
    pushed at the foreign tenant is unknown here, with either client_id."""
    lt = L.tenant
    cell = partial(m.cell, F, L)

    def push_body(client) -> dict:
        return {"response_type": "code", "redirect_uri": client.redirect_uri, "scope": "openid"}

    def foreign_request_uri() -> str:
        resp = requests.post(
            F.tenant.endpoint("pushed_authorization_request_endpoint"),
            data=push_body(F.confidential),
            auth=(F.confidential.client_id, F.confidential.client_secret),
            timeout=HTTP_TIMEOUT,
        )
        assert resp.status_code == 201, resp.text
        return resp.json()["request_uri"]

    cell(
        "par",
        "foreign client credentials",
        "401 invalid_client",
        lambda: requests.post(
            lt.endpoint("pushed_authorization_request_endpoint"),
            data=push_body(F.confidential),
            auth=(F.confidential.client_id, F.confidential.client_secret),
            timeout=HTTP_TIMEOUT,
        ),
        oauth_error(401, "invalid_client"),
    )
    for who, client in (("foreign", F.confidential), ("local", L.confidential)):
        cell(
            "authorize request_uri",
            f"request_uri pushed at the foreign tenant, {who} client_id",
            "400 error page",
            lambda c=client: requests.get(
                lt.endpoint("authorization_endpoint"),
                params={"client_id": c.client_id, "request_uri": foreign_request_uri()},
                allow_redirects=False,
                timeout=HTTP_TIMEOUT,
            ),
            error_page,
        )


def userinfo_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """The userinfo endpoint with every foreign access and ID token."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    for label, (token, _) in F.access_tokens.items():
        cell(
            "userinfo",
            f"foreign {label}",
            "401 invalid_token",
            lambda t=token: lt.userinfo(t),
            bearer_invalid_token,
        )
    for label, token in F.id_tokens.items():
        cell(
            "userinfo",
            f"foreign {label}",
            "401 invalid_token",
            lambda t=token: lt.userinfo(t),
            bearer_invalid_token,
        )


def forgery_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """Forgeries from foreign tokens: claims rewritten to the local tenant (signature kept),
    and the same unsigned (alg none). The local keys must refuse both."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    forged = {
        "foreign admin token re-addressed to the local issuer": tamper(
            F.admin_token, iss=lt.issuer, tid=lt.id
        ),
        "foreign admin token re-addressed, alg none": tamper(
            F.admin_token, header={"alg": "none"}, signature="", iss=lt.issuer, tid=lt.id
        ),
        "foreign code-flow access token re-addressed to the local issuer and client": tamper(
            F.flow.access_token,
            iss=lt.issuer,
            tid=lt.id,
            aud=L.confidential.client_id,
            client_id=L.confidential.client_id,
        ),
    }
    for label, token in forged.items():
        cell("userinfo", label, "401 invalid_token", lambda t=token: lt.userinfo(t), bearer_invalid_token)
        cell(
            "introspection",
            label,
            "200 active:false",
            lambda t=token: introspect_as(lt, L.confidential, t),
            inactive,
        )
        cell(
            "admin API",
            f"{label}: GET /tenants/{{local}}/users",
            "401 problem",
            lambda t=token: scoped_admin(lt, t).get(f"/tenants/{L.slug}/users"),
            problem(401),
            needles={**F.needles, **L.needles},
        )


def introspection_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """Introspection of foreign tokens, and local tokens with foreign client credentials."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    foreign_tokens = {
        **{k: v[0] for k, v in F.access_tokens.items()},
        **{k: v[0] for k, v in F.refresh_tokens.items()},
        **F.id_tokens,
        "unused code": F.code,
    }
    for label, token in foreign_tokens.items():
        cell(
            "introspection",
            f"foreign {label} (as the local client)",
            "200 active:false",
            lambda t=token: introspect_as(lt, L.confidential, t),
            inactive,
        )
    cell(
        "introspection",
        "foreign headless refresh token (as the local headless client)",
        "200 active:false",
        lambda: introspect_as(lt, L.headless, F.hl["refresh_token"]),
        inactive,
    )
    for label, client in (
        ("confidential", F.confidential),
        ("admin", F.admin_client),
        ("headless", F.headless),
    ):
        cell(
            "introspection",
            f"local token, foreign {label} client credentials",
            "401 invalid_client",
            lambda c=client: introspect_as(lt, c, L.flow.access_token),
            oauth_error(401, "invalid_client"),
        )


def revocation_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """Revocation: RFC 7009 answers 200 for unknown tokens; the foreign token must survive."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    for label, (token, owner) in {**F.access_tokens, **F.refresh_tokens}.items():
        cell(
            "revocation",
            f"foreign {label} (local client credentials)",
            "200, still active at home",
            lambda t=token: lt.revoke(L.confidential, t),
            status_is(200),
            after=still_active(F, token, owner),
        )
    cell(
        "revocation",
        "foreign headless refresh token (local headless client)",
        "200, still active at home",
        lambda: lt.revoke(L.headless, F.hl["refresh_token"]),
        status_is(200),
        after=still_active(F, F.hl["refresh_token"], F.headless),
    )
    for label, (token, owner), client in (
        ("code-flow access token", L.access_tokens["code-flow access token"], F.confidential),
        ("code-flow refresh token", L.refresh_tokens["code-flow refresh token"], F.confidential),
        ("headless refresh token", L.refresh_tokens["headless refresh token"], F.headless),
    ):
        cell(
            "revocation",
            f"local {label}, foreign client credentials",
            "401 invalid_client, still active",
            lambda t=token, c=client: lt.revoke(c, t),
            oauth_error(401, "invalid_client"),
            after=still_active(L, token, owner),
        )
