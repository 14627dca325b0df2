"""Cross-tenant cells of the isolation matrix (test_isolation.py) for JWT-secured authorization
requests (RFC 9101): a request object signed by a foreign client's registered key, presented at
the local authorization endpoint with the foreign client_id, and with a local client_id.
"""

from __future__ import annotations

from functools import partial

import requests

from client_jwt_helpers import ALGORITHMS, key_client
from gatehouse_http import HTTP_TIMEOUT
from isolation_kit import Kit
from isolation_matrix import Matrix, error_page
from test_jar import request_object

_signers: dict[str, tuple] = {}


def foreign_signer(F: Kit):  # noqa: N803 - F(oreign)
    """A private_key_jwt client of F with its key, made once per tenant."""
    if F.tenant.slug not in _signers:
        key = ALGORITHMS["ES256"](f"isolation-{F.tenant.slug}")
        _signers[F.tenant.slug] = (key_client(F.tenant, [key]), key)
    return _signers[F.tenant.slug]


def object_at(L: Kit, client_id: str, obj: str) -> requests.Response:  # noqa: N803 - L(ocal)
    url = L.tenant.endpoint("authorization_endpoint")
    return requests.get(url, params={"client_id": client_id, "request": obj}, allow_redirects=False, timeout=HTTP_TIMEOUT)


def request_object_cells(m: Matrix, F: Kit, L: Kit) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """A foreign client's signed request object is refused at the local authorization endpoint,
    addressed to either issuer and named by either client_id, on the error page."""
    cell = partial(m.cell, F, L)
    client, key = foreign_signer(F)
    for audience in (F.tenant, L.tenant):
        obj, _ = request_object(audience, client.client_id, client.redirect_uri, key, "ES256")
        cell(
            "authorize request object",
            f"foreign client's object for the {'foreign' if audience is F.tenant else 'local'} issuer, foreign client_id",
            "400 error page, no redirect",
            lambda o=obj: object_at(L, client.client_id, o),
            error_page,
        )
        cell(
            "authorize request object",
            f"foreign client's object for the {'foreign' if audience is F.tenant else 'local'} issuer, local client_id",
            "400 error page, no redirect",
            lambda o=obj: object_at(L, L.confidential.client_id, o),
            error_page,
        )
