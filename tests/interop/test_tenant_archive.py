"""A tenant as one file and tenant copies (issue: running it in production, item 2).

`gatehouse tenant export SLUG --out FILE` → `gatehouse tenant import FILE [--slug NEW]` on another
instance and on the same one; `gatehouse tenant clone SLUG --to NEW [--scrub-pii]`. After an
import the tenant's users sign in with their passwords and the source's tokens do not work at the
copy; a scrubbed clone holds no source email or name in its database file.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from gatehouse_client import Client, User, assert_problem, describe
from tenancy_helpers import ExtraServer, gatehouse_binary, sign_in, signed_in, start_server

PASSPHRASE = "correct horse battery staple"


def cli(server: ExtraServer, *args: str, passphrase: str | None = PASSPHRASE) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update({"GATEHOUSE_URL": server.public_url, "GATEHOUSE_ADMIN_TOKEN": server.admin_token})
    if passphrase is not None:
        env["GATEHOUSE_ARCHIVE_PASSPHRASE"] = passphrase
    return subprocess.run([str(gatehouse_binary()), *args], env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def source(tmp_path_factory, artifacts_dir):
    server = start_server(tmp_path_factory.mktemp("archive-source"), artifacts_dir / "gatehouse-archive-source.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def other(tmp_path_factory, artifacts_dir):
    server = start_server(tmp_path_factory.mktemp("archive-other"), artifacts_dir / "gatehouse-archive-other.log")
    yield server
    server.stop()


class Fixtures:
    """A tenant with a confidential first-party client, a public client, three users (one with
    a name), a live session with refresh token per user, and an organization (the first user its
    owner, the second holding a custom role)."""

    def __init__(self, server: ExtraServer):
        self.tenant = server.admin.create_tenant()
        self.client: Client = self.tenant.create_client(first_party=True, name="Web app")
        self.spa: Client = self.tenant.create_client("public", name="SPA", first_party=True)
        self.users: list[User] = [self.tenant.create_user(name=f"Person Number{i}") for i in range(3)]
        self.tokens = [signed_in(server.public_url, self.client, u, use_secret=True) for u in self.users]
        self.client_token = self.tenant.token_request({"grant_type": "client_credentials"}, self.client).json()
        admin, base = server.admin, f"/tenants/{self.tenant.slug}"
        role = {"name": "billing", "permissions": ["invoices:read"]}
        assert admin.post(f"{base}/roles", json=role).status_code == 201
        org = {"name": "Customer A", "slug": "customer-a", "owner_user_id": self.users[0].id}
        assert admin.post(f"{base}/organizations", json=org).status_code == 201
        member = {"user_id": self.users[1].id, "role": "billing"}
        assert admin.post(f"{base}/organizations/customer-a/members", json=member).status_code == 201
        self.organizations = organizations(admin, self.tenant.slug)


def organizations(admin, slug: str) -> tuple:
    """What a copy of the tenant must keep: organizations, each one's members and roles, the roles."""
    base = f"/tenants/{slug}"
    orgs = admin.get(f"{base}/organizations").json()["organizations"]
    members = {}
    for o in orgs:
        listed = admin.get(f"{base}/organizations/{o['id']}/members").json()["members"]
        members[o["slug"]] = {m["user_id"]: m["role"] for m in listed}
    roles = {r["name"]: r["permissions"] for r in admin.get(f"{base}/roles").json()["roles"]}
    return [(o["id"], o["name"], o["slug"]) for o in orgs], members, roles


def export(server: ExtraServer, slug: str, path: Path) -> None:
    done = cli(server, "tenant", "export", slug, "--out", str(path))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"gatehouse-tenant-archive v1\n")


def test_export_import_into_another_instance_keeps_users_keys_and_clients(source, other, tmp_path):
    fx = Fixtures(source)
    archive = tmp_path / "t.gatehouse-tenant"
    export(source, fx.tenant.slug, archive)
    # Neither an email nor a key is readable in the file.
    raw = archive.read_bytes()
    assert fx.users[0].email.encode() not in raw and fx.client.client_id.encode() not in raw

    done = cli(other, "tenant", "import", str(archive), "--json")
    assert done.returncode == 0, done.stderr
    import json
    report = json.loads(done.stdout)
    assert report["tenant"]["slug"] == fx.tenant.slug and report["users"] == 3
    assert report["client_key_changes"] == [], "keys free in this instance are kept"
    copy = other.admin.tenant(fx.tenant.slug)
    assert copy.issuer != fx.tenant.issuer
    assert organizations(other.admin, fx.tenant.slug) == fx.organizations

    # Users sign in with their passwords; the client keeps its keys; the signing keys came along.
    for user in fx.users:
        assert sign_in(other.public_url, fx.client, user, use_secret=True).status_code == 200
    assert sign_in(other.public_url, fx.spa, fx.users[0]).status_code == 200
    resp = copy.token_request({"grant_type": "client_credentials"}, fx.client)
    assert resp.status_code == 200, describe(resp)
    assert {k["kid"] for k in copy.jwks["keys"]} == {k["kid"] for k in fx.tenant.jwks["keys"]}

    # No token of the source works at the copy: refresh tokens, access tokens, client tokens.
    for tokens in fx.tokens:
        resp = copy.token_request({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, fx.client)
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant", describe(resp)
        assert copy.userinfo(tokens["access_token"]).status_code == 401
        assert not copy.is_active(fx.client, tokens["access_token"])
    assert not copy.is_active(fx.client, fx.client_token["access_token"])
    # The source is untouched.
    assert fx.tenant.refresh(fx.client, fx.tokens[0]["refresh_token"]).status_code == 200


def test_import_into_the_same_instance_issues_new_client_keys(source, tmp_path):
    fx = Fixtures(source)
    archive = tmp_path / "t.gatehouse-tenant"
    export(source, fx.tenant.slug, archive)

    # The slug is taken in this instance.
    done = cli(source, "tenant", "import", str(archive))
    assert done.returncode == 5, (done.returncode, done.stderr)

    new_slug = fx.tenant.slug + "-copy"
    done = cli(source, "tenant", "import", str(archive), "--slug", new_slug)
    assert done.returncode == 0, done.stderr
    assert "new client keys" in done.stdout
    report = source.admin.post("/tenant-imports", params={"slug": new_slug + "2"}, data=archive.read_bytes(),
                               headers={"Gatehouse-Archive-Passphrase": PASSPHRASE,
                                        "Content-Type": "application/octet-stream"})
    assert report.status_code == 201, describe(report)
    changes = {c["previous_client_id"]: c for c in report.json()["client_key_changes"]}
    assert set(changes) == {fx.client.client_id, fx.spa.client_id}
    assert changes[fx.spa.client_id]["client_secret"] is None
    new = changes[fx.client.client_id]
    assert new["client_id"].startswith("pk_test_") and new["client_secret"].startswith("sk_test_")
    copy = source.admin.tenant(new_slug + "2")
    moved = Client(client_id=new["client_id"], client_secret=new["client_secret"], type="confidential",
                   redirect_uris=fx.client.redirect_uris, post_logout_redirect_uris=fx.client.post_logout_redirect_uris,
                   grant_types=fx.client.grant_types, raw={})
    for user in fx.users:
        assert sign_in(source.public_url, moved, user, use_secret=True).status_code == 200
    # The source's keys still belong to the source only.
    resp = copy.token_request({"grant_type": "client_credentials"}, fx.client)
    assert resp.status_code == 401, describe(resp)
    resp = copy.token_request({"grant_type": "refresh_token", "refresh_token": fx.tokens[0]["refresh_token"]}, moved)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant", describe(resp)
    assert copy.userinfo(fx.tokens[0]["access_token"]).status_code == 401
    assert fx.tenant.refresh(fx.client, fx.tokens[1]["refresh_token"]).status_code == 200


def test_wrong_passphrase_altered_file_and_bad_requests_create_nothing(source, tmp_path):
    fx = Fixtures(source)
    archive = tmp_path / "t.gatehouse-tenant"
    before = len(source.admin.all_tenants())

    done = cli(source, "tenant", "export", fx.tenant.slug, "--out", str(tmp_path / "short"), passphrase="too short")
    assert done.returncode == 6 and "passphrase" in done.stderr, done.stderr
    assert not (tmp_path / "short").exists()
    done = cli(source, "tenant", "export", fx.tenant.slug, "--out", str(archive), passphrase=None)
    assert done.returncode == 64 and "passphrase" in done.stderr, done.stderr
    export(source, fx.tenant.slug, archive)
    done = cli(source, "tenant", "export", fx.tenant.slug, "--out", str(archive))
    assert done.returncode != 0 and "exists" in done.stderr

    done = cli(source, "tenant", "import", str(archive), "--slug", "wrong-pass", passphrase="not the passphrase at all")
    assert done.returncode == 6 and "passphrase is wrong" in done.stderr, done.stderr
    altered = bytearray(archive.read_bytes())
    altered[-100] ^= 0x01
    (tmp_path / "altered").write_bytes(bytes(altered))
    done = cli(source, "tenant", "import", str(tmp_path / "altered"), "--slug", "altered")
    assert done.returncode == 6 and "altered" in done.stderr, done.stderr
    (tmp_path / "junk").write_bytes(b"not an archive")
    done = cli(source, "tenant", "import", str(tmp_path / "junk"), "--slug", "junk")
    assert done.returncode == 6 and "not a Gatehouse tenant archive" in done.stderr, done.stderr

    headers = {"Content-Type": "application/octet-stream"}
    assert_problem(source.admin.post("/tenant-imports", data=archive.read_bytes(), headers=headers), 422)
    assert_problem(source.admin.post("/tenant-imports", params={"slug": "Bad Slug"}, data=b"x",
                                     headers={**headers, "Gatehouse-Archive-Passphrase": PASSPHRASE}), 422)
    assert_problem(source.admin.post(f"/tenants/{fx.tenant.slug}/export", json={"passphrase": "short"}), 422)
    assert_problem(source.admin.post(f"/tenants/{fx.tenant.slug}/clone", json={"to": fx.tenant.slug}), 409)
    assert len(source.admin.all_tenants()) == before
    leftovers = [p.name for p in (source.data_dir / "tenants").iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers


def test_clone_with_scrub_leaves_no_personal_data_in_the_copy(source):
    fx = Fixtures(source)
    copy_slug = fx.tenant.slug + "-stg"
    done = cli(source, "tenant", "clone", fx.tenant.slug, "--to", copy_slug, "--scrub-pii", passphrase=None)
    assert done.returncode == 0, done.stderr
    copy = source.admin.tenant(copy_slug)
    files = [source.data_dir / "tenants" / f"{copy.id}.sqlite{suffix}" for suffix in ("", "-wal")]
    data = b"".join(p.read_bytes() for p in files if p.exists())
    assert len(data) > 10000
    for user in fx.users:
        assert user.email.encode() not in data, f"{user.email} is in the scrubbed copy"
        assert user.name.encode() not in data
        assert user.email.split("@")[0].encode() not in data
    users = source.admin.get(f"/tenants/{copy_slug}/users").json()["users"]
    assert sorted(u["id"] for u in users) == sorted(u.id for u in fx.users)
    assert all(u["email"].endswith("@example.invalid") for u in users)
    assert organizations(source.admin, copy_slug) == fx.organizations, "memberships and roles are kept"
    # Passwords are gone; the copy signs with keys of its own.
    clients = source.admin.get(f"/tenants/{copy_slug}/clients").json()["clients"]
    assert {c["client_id"] for c in clients}.isdisjoint({fx.client.client_id, fx.spa.client_id})
    assert {k["kid"] for k in copy.jwks["keys"]}.isdisjoint({k["kid"] for k in fx.tenant.jwks["keys"]})
    spa = next(c for c in clients if c["name"] == "SPA")
    moved = Client(client_id=spa["client_id"], client_secret=None, type="public", redirect_uris=fx.spa.redirect_uris,
                   post_logout_redirect_uris=fx.spa.post_logout_redirect_uris, grant_types=fx.spa.grant_types, raw={})
    scrubbed = User(id=fx.users[0].id, email=users[0]["email"], password=fx.users[0].password, name="", raw={})
    assert sign_in(source.public_url, moved, scrubbed).status_code in (400, 401)


def test_clone_without_scrub_keeps_users_and_gives_clients_new_keys(source):
    fx = Fixtures(source)
    copy_slug = fx.tenant.slug + "-dev"
    resp = source.admin.post(f"/tenants/{fx.tenant.slug}/clone", json={"to": copy_slug})
    assert resp.status_code == 201, describe(resp)
    report = resp.json()
    assert report["users"] == 3 and len(report["client_key_changes"]) == 2
    assert organizations(source.admin, copy_slug) == fx.organizations
    new = next(c for c in report["client_key_changes"] if c["previous_client_id"] == fx.client.client_id)
    moved = Client(client_id=new["client_id"], client_secret=new["client_secret"], type="confidential",
                   redirect_uris=fx.client.redirect_uris, post_logout_redirect_uris=fx.client.post_logout_redirect_uris,
                   grant_types=fx.client.grant_types, raw={})
    assert sign_in(source.public_url, moved, fx.users[0], use_secret=True).status_code == 200
    copy = source.admin.tenant(copy_slug)
    resp = copy.token_request({"grant_type": "refresh_token", "refresh_token": fx.tokens[0]["refresh_token"]}, moved)
    assert resp.status_code == 400, describe(resp)
