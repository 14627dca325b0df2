"""Headless API calls of the accounts interop tests (``/v1/auth/…`` of a private server) and the
claims of the tokens a sign-in returns (``Tokens``: ID and access token claims, ``amr``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from gatehouse_client import HTTP_TIMEOUT, Client, Tenant, describe, verify_pyjwt
from tenancy_helpers import ExtraServer, headless


@dataclass
class Tokens:
    raw: dict
    id_claims: dict
    access_claims: dict

    @property
    def amr(self) -> list[str]:
        assert self.id_claims.get("amr") == self.access_claims.get("amr"), (
            self.id_claims,
            self.access_claims,
        )
        return self.id_claims["amr"]


def token_claims(tenant: Tenant, client: Client, token: dict) -> Tokens:
    id_claims = verify_pyjwt(tenant, token["id_token"], client.client_id)
    access_claims = verify_pyjwt(tenant, token["access_token"], client.client_id)
    return Tokens(dict(token), id_claims, access_claims)


# --------------------------------------------------------------------------- headless


def hpost(
    server: ExtraServer, client: Client, path: str, body: dict, session: requests.Session | None = None
) -> requests.Response:
    if session is None:
        return headless(server.public_url, "POST", path, client_id=client.client_id, body=body)
    return session.post(
        f"{server.public_url}/v1/{path}",
        json=body,
        headers={"Accept": "application/json", "X-Client-Id": client.client_id},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )


def hsign_in(server: ExtraServer, client: Client, email: str, password: str, **kw: Any) -> requests.Response:
    return hpost(server, client, "auth/sign-in", {"email": email, "password": password}, **kw)


def json_status(resp: requests.Response) -> str:
    assert resp.status_code == 200, describe(resp)
    return resp.json()["status"]


def headless_tokens(tenant: Tenant, client: Client, resp: requests.Response) -> Tokens:
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["status"] == "signed_in", body
    assert resp.headers.get("Cache-Control", "").find("no-store") >= 0, resp.headers
    return token_claims(tenant, client, body)


def assert_no_tokens(resp: requests.Response) -> None:
    body = resp.json() if resp.content else {}
    for key in ("access_token", "id_token", "refresh_token"):
        assert key not in body, f"{key} before the sign-in completed: {body}"


def assert_throttled_json(resp: requests.Response) -> int:
    assert resp.status_code == 429, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    assert resp.json().get("error") == "temporarily_unavailable", describe(resp)
    retry = int(resp.headers["Retry-After"])
    assert retry >= 1, resp.headers
    return retry
