"""Cross-tenant cells of the isolation matrix (test_isolation.py) for the admin API."""

from __future__ import annotations

import uuid
from functools import partial

from gatehouse_client import AdminAPI
from isolation_kit import Kit
from isolation_matrix import (
    Matrix,
    problem,
)
from tenancy_helpers import (
    scoped_admin,
)


def admin_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """The admin API with the foreign tenant-scoped admin token (every admin scope), and local
    ids at the foreign tenant's own routes."""
    lt = L.tenant
    cell = partial(m.cell, F, L)
    api = scoped_admin(lt, F.admin_token)
    both = {**F.needles, **L.needles}
    s = L.slug
    cid, pid, uid, hid = L.confidential.client_id, L.public.client_id, L.user.id, L.headless_user.id
    wid, did = L.webhook["id"], L.webhook_delivery["id"]
    routes = [
        ("GET", f"/tenants/{s}", None),
        ("PATCH", f"/tenants/{s}", {"name": "taken over"}),
        ("DELETE", f"/tenants/{s}", None),
        ("GET", f"/tenants/{s}/clients", None),
        (
            "POST",
            f"/tenants/{s}/clients",
            {"name": "intruder", "type": "public", "redirect_uris": ["https://evil.example/cb"]},
        ),
        ("GET", f"/tenants/{s}/clients/{cid}", None),
        ("PATCH", f"/tenants/{s}/clients/{cid}", {"name": "taken over"}),
        ("DELETE", f"/tenants/{s}/clients/{pid}", None),
        ("POST", f"/tenants/{s}/clients/{cid}/rotate-secret", None),
        ("GET", f"/tenants/{s}/users", None),
        (
            "POST",
            f"/tenants/{s}/users",
            {"email": f"intruder-{uuid.uuid4().hex[:6]}@example.test", "password": "intruder password 1"},
        ),
        ("GET", f"/tenants/{s}/users/{uid}", None),
        ("PATCH", f"/tenants/{s}/users/{uid}", {"name": "taken over"}),
        ("DELETE", f"/tenants/{s}/users/{hid}", None),
        ("GET", f"/tenants/{s}/sessions", None),
        ("DELETE", f"/tenants/{s}/sessions/{L.browser_sid}", None),
        ("GET", f"/tenants/{s}/keys", None),
        ("POST", f"/tenants/{s}/keys/rotate", None),
        ("GET", f"/tenants/{s}/audit", None),
        ("GET", f"/tenants/{s}/audit?user_id={uid}", None),
        ("GET", f"/tenants/{s}/audit/verify", None),
        ("GET", f"/tenants/{s}/webhooks", None),
        ("POST", f"/tenants/{s}/webhooks", {"url": "https://evil.example/hook"}),
        ("GET", f"/tenants/{s}/webhooks/{wid}", None),
        ("PATCH", f"/tenants/{s}/webhooks/{wid}", {"url": "https://evil.example/hook"}),
        ("POST", f"/tenants/{s}/webhooks/{wid}/rotate-secret", None),
        ("POST", f"/tenants/{s}/webhooks/{wid}/test", None),
        ("GET", f"/tenants/{s}/webhooks/{wid}/deliveries", None),
        ("POST", f"/tenants/{s}/webhooks/{wid}/deliveries/{did}/redeliver", None),
        ("DELETE", f"/tenants/{s}/webhooks/{wid}", None),
        ("GET", "/tenants", None),
        (
            "POST",
            "/tenants",
            {"slug": f"x-{uuid.uuid4().hex[:8]}", "name": "intruder", "environment": "test"},
        ),
    ]
    placeholders = {
        s: "{local}",
        cid: "{client}",
        pid: "{client}",
        uid: "{user}",
        hid: "{user}",
        L.browser_sid: "{session}",
        wid: "{webhook}",
        did: "{delivery}",
    }

    def label(path: str) -> str:
        for value, placeholder in placeholders.items():
            path = path.replace(value, placeholder)
        return path

    for method, path, body in routes:
        cell(
            "admin API",
            f"foreign admin token: {method} {label(path)}",
            "404 problem",
            lambda mt=method, p=path, b=body: (
                api.request(mt, p, json=b) if b is not None else api.request(mt, p)
            ),
            problem(404),
            needles=both,
        )
    # The foreign tenant's own admin routes with local ids: nothing of the local tenant is found.
    own = scoped_admin(F.tenant, F.admin_token)
    for method, path in (
        ("GET", f"/tenants/{F.slug}/clients/{L.confidential.client_id}"),
        ("POST", f"/tenants/{F.slug}/clients/{L.confidential.client_id}/rotate-secret"),
        ("GET", f"/tenants/{F.slug}/users/{L.user.id}"),
        ("DELETE", f"/tenants/{F.slug}/users/{L.user.id}"),
        ("DELETE", f"/tenants/{F.slug}/sessions/{L.browser_sid}"),
        ("GET", f"/tenants/{F.slug}/webhooks/{L.webhook['id']}"),
        ("POST", f"/tenants/{F.slug}/webhooks/{L.webhook['id']}/test"),
        ("GET", f"/tenants/{F.slug}/webhooks/{L.webhook['id']}/deliveries"),
        ("POST", f"/tenants/{F.slug}/webhooks/{F.webhook['id']}/deliveries/{L.webhook_delivery['id']}/redeliver"),
    ):
        cell(
            "admin API",
            f"local id at the foreign tenant's own route: {method} "
            f"{label(path).replace(F.slug, '{foreign}').replace(F.webhook['id'], '{foreign webhook}')}",
            "404 problem",
            lambda mt=method, p=path: own.request(mt, p),
            problem(404),
            needles=L.needles,
        )
