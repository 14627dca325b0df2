"""Cross-tenant cells of the isolation matrix (test_isolation.py) for dynamic client registration
(RFC 7591, RFC 7592): a foreign initial access token at the local registration endpoint, and a
foreign registration access token at the local client configuration endpoint, with the foreign
client_id and with a local one.
"""

from __future__ import annotations

from functools import partial

import requests

from gatehouse_http import HTTP_TIMEOUT
from isolation_kit import Kit
from isolation_matrix import Matrix, oauth_error

_registered: dict[str, dict] = {}


def in_token_mode(kit: Kit) -> None:
    kit.tenant.patch({"settings": {"dynamic_client_registration": "token"}})


def foreign_registration(F: Kit) -> dict:  # noqa: N803 - F(oreign)
    """An unused initial access token of F and a client registered at F with another one (made once)."""
    if F.tenant.slug not in _registered:
        in_token_mode(F)
        path = f"/tenants/{F.tenant.slug}/registration-tokens"
        unused = F.tenant.admin.post(path, json={"max_uses": 5}).json()["token"]
        used = F.tenant.admin.post(path, json={}).json()["token"]
        client = requests.post(
            F.tenant.issuer + "/register",
            json={"redirect_uris": ["https://rp-registered.example/cb"], "token_endpoint_auth_method": "none"},
            headers={"Authorization": f"Bearer {used}"},
            timeout=HTTP_TIMEOUT,
        ).json()
        _registered[F.tenant.slug] = {"token": unused, "client": client}
    return _registered[F.tenant.slug]


def registration_cells(m: Matrix, F: Kit, L: Kit) -> None:  # noqa: N803 - F(oreign), L(ocal)
    cell = partial(m.cell, F, L)
    foreign = foreign_registration(F)
    in_token_mode(L)
    bearer = {"Authorization": f"Bearer {foreign['client']['registration_access_token']}"}
    cell(
        "register",
        "foreign initial access token",
        "401 invalid_token",
        lambda: requests.post(
            L.tenant.issuer + "/register",
            json={"redirect_uris": ["https://rp-registered.example/cb"], "token_endpoint_auth_method": "none"},
            headers={"Authorization": f"Bearer {foreign['token']}"},
            timeout=HTTP_TIMEOUT,
        ),
        oauth_error(401, "invalid_token"),
    )
    for label, client_id in (("foreign client_id", foreign["client"]["client_id"]), ("local client_id", L.public.client_id)):
        for method in ("GET", "DELETE"):
            cell(
                "register/{client_id}",
                f"foreign registration access token, {label}, {method}",
                "401 invalid_token",
                lambda c=client_id, verb=method: requests.request(
                    verb, f"{L.tenant.issuer}/register/{c}", headers=bearer, timeout=HTTP_TIMEOUT
                ),
                oauth_error(401, "invalid_token"),
            )
