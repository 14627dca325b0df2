"""Cross-tenant cells of the isolation matrix (test_isolation.py) for token exchange (RFC 8693):
a foreign access token as the subject or the actor of an exchange by a local client."""

from __future__ import annotations

from functools import partial

from isolation_kit import Kit
from isolation_matrix import Matrix, oauth_error

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
_exchangers: dict[str, object] = {}


def exchanger(kit: Kit):
    if kit.tenant.slug not in _exchangers:
        _exchangers[kit.tenant.slug] = kit.tenant.create_client(
            "confidential", grant_types=["client_credentials", EXCHANGE], name="isolation exchanger"
        )
    return _exchangers[kit.tenant.slug]


def exchange_cells(m: Matrix, F: Kit, L: Kit) -> None:  # noqa: N803 - F(oreign), L(ocal)
    cell = partial(m.cell, F, L)
    local = exchanger(L)
    own = L.tenant.token_request({"grant_type": "client_credentials"}, local).json()["access_token"]
    cell(
        "token token-exchange",
        "foreign user access token as subject_token",
        "400 invalid_grant",
        lambda: L.tenant.token_request(
            {"grant_type": EXCHANGE, "subject_token": F.flow.access_token, "subject_token_type": ACCESS}, local
        ),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token token-exchange",
        "foreign access token as actor_token",
        "400 invalid_grant",
        lambda: L.tenant.token_request(
            {
                "grant_type": EXCHANGE, "subject_token": own, "subject_token_type": ACCESS,
                "actor_token": F.flow.access_token, "actor_token_type": ACCESS,
            },
            local,
        ),
        oauth_error(400, "invalid_grant"),
    )
