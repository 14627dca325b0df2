"""The isolation matrix (issue 3, "Isolation, proven").

Three tenants (environments live, test and dev) each get a public client, a confidential
client (authorization_code, refresh_token, client_credentials), a first-party public client
for the headless API, an admin-scoped confidential client, two users, a browser session
(logged in through the real login page), an unused authorization code, access, refresh and ID
tokens from the code flow, the headless sign-in and client_credentials, and a tenant-scoped
admin access token; and an organization (owned by the first user) with a custom role held
by the second user, whose headless sign-in acts within it (issue 10).

Then every artefact of each tenant is presented to every endpoint of each other tenant
(discovery and JWKS aside): authorize, token (every grant), userinfo, introspection,
revocation, logout, account console, headless API and admin API; the foreign organization's
id, slug, members and role go to the local admin API organization and role routes, to the local
authorization endpoint (``organization=``) and to refresh switching; its invitation and verified
domain to the local admin API and headless invitation routes. Every cell must be denied
with the right answer, and no response (body or any header, Location included) may contain an
identifier or token of the other tenant. Revocation and sign-out cells also prove afterwards
that the foreign token or session is still alive in its own tenant.

Positive controls present the same artefacts to their own tenant's endpoints and must succeed,
so that the matrix cannot pass vacuously. Destructive controls (code redemption, refresh
rotation, revocation, logout) run after the matrix; the unused codes are redeemed at home last,
which also proves that no cross-tenant attempt consumed them.

The matrix size and the number denied are printed in pytest's terminal summary and written to
``$ARTIFACTS_DIR/isolation-matrix.txt`` together with every cell.
"""

from __future__ import annotations

import pytest

from gatehouse_client import AdminAPI
from isolation_cells_admin import admin_cells
from isolation_cells_invitations import invitation_cells
from isolation_cells_orgs import organization_cells
from isolation_cells_sessions import account_cells, authorize_cells, headless_cells, logout_cells
from isolation_cells_tokens import (
    forgery_cells,
    introspection_cells,
    revocation_cells,
    token_cells,
    userinfo_cells,
)
from isolation_controls import controls_after, controls_before
from isolation_kit import ENVIRONMENTS, Kit, build_kit
from isolation_matrix import Matrix

CROSS_FAMILIES = (
    authorize_cells,
    account_cells,
    token_cells,
    userinfo_cells,
    forgery_cells,
    introspection_cells,
    revocation_cells,
    logout_cells,
    headless_cells,
    admin_cells,
    organization_cells,
    invitation_cells,
)


@pytest.fixture(scope="module")
def kits(admin) -> dict[str, Kit]:
    return {name: build_kit(admin, name, env) for name, env in ENVIRONMENTS.items()}


def cross_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """Present every artefact of F to every endpoint of L, one endpoint family after another."""
    for family in CROSS_FAMILIES:
        family(m, F, L, admin)


# --------------------------------------------------------------------------- reporting


class _MatrixSummary:
    """Registered as a plugin so that the line appears in pytest's terminal summary."""

    def __init__(self):
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter):
        if self.lines:
            terminalreporter.section("tenant isolation")
            for line in self.lines:
                terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def matrix_report(request):
    summary = _MatrixSummary()
    request.config.pluginmanager.register(summary, f"isolation-matrix-{id(summary)}")
    return summary


def test_isolation_matrix(kits, admin, artifacts_dir, matrix_report):
    m = Matrix()
    names = list(kits)
    others = {name: {k: v for o in names if o != name for k, v in kits[o].needles.items()} for name in names}

    for name in names:
        controls_before(m, kits[name], others[name], admin)
    for src in names:
        for dst in names:
            if src != dst:
                cross_cells(m, kits[src], kits[dst], admin)
    for name in names:
        controls_after(m, kits[name], others[name], admin)

    summary = m.summary()
    report = (
        [summary, "", "cells:"]
        + [c.line() for c in m.cells]
        + ["", "positive controls:"]
        + [c.line().replace("| denied", "| ok").replace("NOT DENIED", "FAILED") for c in m.controls]
    )
    (artifacts_dir / "isolation-matrix.txt").write_text("\n".join(report) + "\n")
    matrix_report.lines.append(summary)
    print(summary)

    failed_controls = [c.line() for c in m.controls if not c.passed]
    assert not failed_controls, "positive controls failed (the matrix would be vacuous):\n" + "\n".join(
        failed_controls
    )
    not_denied = [c.line() for c in m.cells if not c.passed]
    assert not not_denied, f"{summary}\ncells not denied:\n" + "\n".join(not_denied)
    # Every endpoint family is covered for every ordered pair of tenants.
    pairs = {(c.source, c.target) for c in m.cells}
    assert len(pairs) == len(names) * (len(names) - 1), pairs
    endpoints = {c.endpoint.split()[0] for c in m.cells}
    for family in (
        "authorize",
        "account",
        "token",
        "userinfo",
        "introspection",
        "revocation",
        "logout",
        "headless",
        "admin",
    ):
        assert family in endpoints, endpoints
