"""An installed layout: the binary without the repository's templates/ and config/ folders still
has every default template and the whole common-password list (both built in), and a templates
folder, when configured, replaces templates file by file."""

from __future__ import annotations

import requests

from gatehouse_client import Browser, expect
from tenancy_helpers import start_server


def test_a_server_without_template_folders_serves_every_page(tmp_path, artifacts_dir):
    server = start_server(
        tmp_path / "installed",
        artifacts_dir / "gatehouse-installed.log",
        env={"GATEHOUSE_TEMPLATES_DIR": str(tmp_path / "no-templates")},
    )
    try:
        tenant = server.admin.create_tenant()
        for page in ("account", "forgot"):
            resp = Browser().get(f"{tenant.issuer}/{page}", allow_redirects=True)
            assert resp.status_code == 200 and "<form" in resp.text and "is missing" not in resp.text, (page, resp.text[:300])
        names = [t["name"] for t in expect(server.admin.get(f"/tenants/{tenant.slug}/templates"), 200).json()["templates"]]
        assert "page/login" in names and "email/verify" in names, names
        shown = expect(server.admin.get(f"/tenants/{tenant.slug}/templates/email/verify"), 200).json()
        assert shown["subject"] and shown["text"], shown
        assert requests.get(f"{server.public_url}/readyz", timeout=10).status_code == 200
    finally:
        server.stop()
