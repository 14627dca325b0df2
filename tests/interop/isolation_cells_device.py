"""Cross-tenant cells of the isolation matrix (test_isolation.py) for the device authorization
grant (RFC 8628): the device authorization endpoint, the verification page and the token
endpoint's device code grant.
"""

from __future__ import annotations

from functools import partial

import requests
from bs4 import BeautifulSoup

from gatehouse_http import HTTP_TIMEOUT
from isolation_kit import Kit
from isolation_matrix import Matrix, error_page, oauth_error

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def device_client(kit: Kit):
    return kit.tenant.create_client("public", grant_types=[DEVICE], name="isolation device")


def device_authorization(tenant, client_id: str, auth=None) -> requests.Response:
    data = {"scope": "openid"} if auth else {"scope": "openid", "client_id": client_id}
    return requests.post(
        tenant.endpoint("device_authorization_endpoint"), data=data, auth=auth, timeout=HTTP_TIMEOUT
    )


def foreign_codes(F: Kit) -> tuple[str, str]:  # noqa: N803 - F(oreign)
    """A fresh device authorization at the foreign tenant: (device_code, user_code)."""
    resp = device_authorization(F.tenant, device_client(F).client_id)
    assert resp.status_code == 200, resp.text
    return resp.json()["device_code"], resp.json()["user_code"]


def post_user_code(tenant, user_code: str) -> list[requests.Response]:
    """The verification page's form at `tenant`, posted with its own CSRF token and `user_code`."""
    session = requests.Session()
    page = session.get(tenant.issuer + "/device", timeout=HTTP_TIMEOUT)
    csrf = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})["value"]
    answer = session.post(
        tenant.issuer + "/device",
        data={"csrf_token": csrf, "user_code": user_code},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    return [page, answer]


def device_cells(m: Matrix, F: Kit, L: Kit) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """A foreign client cannot start a device authorization here; a foreign user code is unknown
    at the local verification page; a foreign device code is invalid at the local token endpoint."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    cell(
        "device_authorization",
        "foreign client credentials",
        "401 invalid_client",
        lambda: device_authorization(lt, "", auth=(F.confidential.client_id, F.confidential.client_secret)),
        oauth_error(401, "invalid_client"),
    )
    cell(
        "device_authorization",
        "foreign device client's client_id",
        "401 invalid_client",
        lambda: device_authorization(lt, device_client(F).client_id),
        oauth_error(401, "invalid_client"),
    )
    cell(
        "device page",
        "user code issued at the foreign tenant",
        "400 form: code not valid",
        lambda: post_user_code(lt, foreign_codes(F)[1]),
        error_page,
    )

    def foreign_device_code_here():
        local = device_client(L)
        device_code = foreign_codes(F)[0]
        return lt.token_request({"grant_type": DEVICE, "device_code": device_code}, local, auth="none")

    cell(
        "token device_code",
        "foreign device code with a local device client",
        "400 invalid_grant",
        foreign_device_code_here,
        oauth_error(400, "invalid_grant"),
    )
