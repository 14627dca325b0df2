"""The admin CLI (`gatehouse tenant|client …`, help), run as a real process against the session's
server with --url/--token: help of every command, tenants, clients.

Results are checked both in the CLI's output (--json and tables) and independently through the
admin API and the protocol endpoints (a rotated secret really stops working).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import UTC, datetime

from cli_helpers import (
    EXPECTED_COMMANDS,
    REDIRECT,
    client_credentials,
    jws_alg,
    parse_time,
    record,
    table,
)
from cli_helpers import cli  # noqa: F401 - fixtures
from gatehouse_client import expect


# --------------------------------------------------------------------------- help


HELP_ENTRY = re.compile(
    r"^  ((?:-\w, )?--[\w-]+(?: <[^>]+>)?(?: \.\.\.)?|-\w(?: <[^>]+>)?|<[\w-]+>(?: \.\.\.)?)(.*)$"
)


def help_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        header = re.match(r"^([A-Z][A-Z ]+):(.*)$", line)
        if header:
            current = header.group(1)
            sections[current] = [header.group(2)] if header.group(2).strip() else []
        elif current:
            sections[current].append(line)
    return sections


def undocumented_entries(lines: list[str]) -> list[str]:
    """Option/argument entries of a help section that have no description."""
    missing = []
    for i, line in enumerate(lines):
        m = HELP_ENTRY.match(line)
        if not m:
            continue
        described = m.group(2).strip() or (
            i + 1 < len(lines) and lines[i + 1].startswith(" " * 10) and lines[i + 1].strip()
        )
        if not described:
            missing.append(m.group(1))
    return missing


def test_help_of_every_command_is_complete(cli):
    seen: set[tuple[str, ...]] = set()
    queue: list[tuple[str, ...]] = [()]
    while queue:
        path = queue.pop()
        proc = cli.raw(*path, "--help")
        where = "gatehouse " + " ".join(path + ("--help",))
        assert proc.returncode == 0, f"{where} -> {proc.returncode}: {proc.stderr}"
        text = proc.stdout
        assert text.startswith("OVERVIEW: ") and len(text.split("\n", 1)[0]) > len("OVERVIEW: ") + 5, (
            f"{where}: no overview\n{text}"
        )
        assert "USAGE: gatehouse" in text, f"{where}\n{text}"
        sections = help_sections(text)
        for name in ("OPTIONS", "ARGUMENTS"):
            missing = undocumented_entries(sections.get(name, []))
            assert not missing, f"{where}: {name.lower()} without help text: {missing}\n{text}"
        for line in sections.get("SUBCOMMANDS", []):
            m = re.match(r"^  ([a-z][\w-]*)(?:\s{2,}(\S.*))?$", line)
            if m:
                assert m.group(2), f"{where}: subcommand {m.group(1)} has no abstract"
                queue.append(path + (m.group(1),))
        seen.add(path)
    missing = EXPECTED_COMMANDS - seen
    assert not missing, f"commands missing: {sorted(missing)}"
    # `gatehouse help <command>` works too.
    assert cli.raw("help", "keys", "rotate").returncode == 0


def test_top_level_help_shows_the_seed_example(cli):
    text = cli.raw("--help").stdout
    for command in ("tenant", "client", "user", "session", "keys", "serve"):
        assert re.search(rf"^  {command}\s", text, re.M), text
    update = cli.raw("tenant", "update", "--help").stdout
    assert "--session-duration 8h --allowed-origins" in update.replace("\n", " "), update


# --------------------------------------------------------------------------- tenants


def test_tenant_create_list_show_update_delete_and_the_seed_example(cli, admin):
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    out = cli.ok("tenant", "create", slug, "--name", "Acme Inc.", "--environment", "test")
    created = record(out)
    assert created["slug"] == slug and created["environment"] == "test", out
    assert created["issuer"] == f"{cli.url}/t/{slug}", out
    assert created["id"].startswith("ten_"), out

    headers, rows = table(cli.ok("tenant", "list", "--all"))
    assert headers[:2] == ["SLUG", "NAME"], headers
    assert any(row.split()[0] == slug for row in rows), rows
    listed = cli.json("tenant", "list", "--all")
    assert slug in [t["slug"] for t in listed["tenants"]], listed

    # docs/contract.md A6, exactly as written (with our slug instead of acme).
    proc = cli.raw(
        "tenant",
        "update",
        slug,
        "--mfa-policy",
        "required",
        "--session-duration",
        "8h",
        "--allowed-origins",
        "https://app.acme.com",
        env={"GATEHOUSE_URL": cli.url, "GATEHOUSE_ADMIN_TOKEN": cli.token},
    )
    assert proc.returncode == 0, proc.stderr
    assert record(proc.stdout)["mfa_policy"] == "required", proc.stdout

    shown = cli.json("tenant", "show", slug)
    settings = shown["settings"]
    assert settings["mfa_policy"] == "required", settings
    assert settings["session_ttl"] == 28800, settings
    assert settings["refresh_token_ttl"] == 28800, settings
    assert settings["allowed_origins"] == ["https://app.acme.com"], settings
    assert shown["name"] == "Acme Inc.", shown
    # The server agrees, independently of the CLI.
    assert admin.tenant(slug).raw["settings"] == settings

    human = record(cli.ok("tenant", "show", slug))
    assert human["session_ttl"] == "28800" and human["allowed_origins"] == "https://app.acme.com", human

    assert f"deleted tenant {slug}" in cli.ok("tenant", "delete", slug, "--yes")
    error = cli.fails("tenant", "show", slug, status=404)
    assert "no tenant with this slug" in error


def test_tenant_update_durations_algorithms_and_origins(cli, tenant):
    shown = cli.json(
        "tenant",
        "update",
        tenant.slug,
        "--name",
        "Renamed",
        "--access-token-ttl",
        "90s",
        "--id-token-ttl",
        "15m",
        "--refresh-token-ttl",
        "30d",
        "--session-ttl",
        "2h",
        "--authorization-code-ttl",
        "120",
        "--signing-algorithms",
        "EdDSA,ES256,RS256",
        "--allowed-origins",
        "https://a.example, https://b.example:8443",
    )
    s = shown["settings"]
    assert shown["name"] == "Renamed"
    assert (
        s["access_token_ttl"],
        s["id_token_ttl"],
        s["refresh_token_ttl"],
        s["session_ttl"],
        s["authorization_code_ttl"],
    ) == (90, 900, 30 * 86400, 7200, 120), s
    assert s["signing_algorithms"] == ["EdDSA", "ES256", "RS256"], s
    assert s["allowed_origins"] == ["https://a.example", "https://b.example:8443"], s
    # Newly enabled algorithms get keys at once.
    keys = cli.json("keys", "list", "--tenant", tenant.slug)["keys"]
    assert {k["algorithm"] for k in keys} == {"EdDSA", "ES256", "RS256"}, keys
    # An empty string clears the origins.
    assert (
        cli.json("tenant", "update", tenant.slug, "--allowed-origins", "")["settings"]["allowed_origins"]
        == []
    )
    # --session-duration sets both lifetimes.
    s = cli.json("tenant", "update", tenant.slug, "--session-duration", "1d")["settings"]
    assert s["session_ttl"] == s["refresh_token_ttl"] == 86400, s


def test_tenant_update_rejects_bad_input(cli, tenant):
    error = cli.fails("tenant", "update", tenant.slug, "--mfa-policy", "sometimes", status=422)
    assert "settings.mfa_policy" in error and "must be none, optional or required" in error, error
    error = cli.fails("tenant", "update", tenant.slug, "--signing-algorithms", "EdDSA,HS256", status=422)
    assert "HS256" in error, error
    error = cli.fails("tenant", "update", tenant.slug, "--access-token-ttl", "2d", status=422)
    assert "settings.access_token_ttl" in error, error
    # Malformed durations and empty updates are usage errors, caught before any request.
    for args in (("--session-duration", "8x"), ("--session-duration", "-1h"), ()):
        proc = cli.run("tenant", "update", tenant.slug, *args)
        assert proc.returncode != 0, proc
        assert "Error" in proc.stderr or "error" in proc.stderr, proc.stderr
    assert cli.json("tenant", "show", tenant.slug)["settings"]["mfa_policy"] == "none"


def test_tenant_update_passkey_attestation_options(cli, tenant, tmp_path):
    """The three attestation options reach the API (the root file read, the AAGUIDs split); this
    tenant's issuer host is an IP address, so passkeys, and with them `packed`, stay refused."""
    root = tmp_path / "vendor-root.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(tmp_path / "k.pem"),
         "-subj", "/CN=CLI Test Root", "-days", "30", "-out", str(root)], check=True, capture_output=True,
    )
    args = ("--passkey-attestation", "packed", "--passkey-aaguids", "5ee1c0de-0000-4000-8000-00000000a77e", "--passkey-attestation-root", str(root))
    error = cli.fails("tenant", "update", tenant.slug, *args, status=422)
    assert "settings.passkey_attestation" in error and "webauthn" in error, error
    assert "passkey_attestation_roots" not in error and "passkey_aaguids" not in error, error
    error = cli.fails("tenant", "update", tenant.slug, *args, "--mfa-factors", "totp,webauthn", status=422)
    assert "settings.mfa_factors" in error and "IP address" in error, error
    proc = cli.run("tenant", "update", tenant.slug, "--passkey-attestation-root", str(tmp_path / "missing.pem"))
    assert proc.returncode != 0 and "cannot read" in proc.stderr, proc.stderr
    assert cli.json("tenant", "show", tenant.slug)["settings"]["passkey_attestation"] == "none"


# --------------------------------------------------------------------------- clients


def test_client_create_update_and_show(cli, tenant):
    cli.ok("tenant", "update", tenant.slug, "--signing-algorithms", "EdDSA,ES256,RS256")
    # Listing the keys creates the new algorithms' keys before any token needs them (see
    # test_a_newly_enabled_algorithm_signs_the_first_token for what happens otherwise).
    assert len(cli.json("keys", "list", "--tenant", tenant.slug)["keys"]) == 3
    created = cli.json(
        "client",
        "create",
        "--tenant",
        tenant.slug,
        "--name",
        "Backend",
        "--type",
        "confidential",
        "--redirect-uri",
        REDIRECT,
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "client_credentials",
        "--allowed-scopes",
        "openid profile",
        "--id-token-alg",
        "RS256",
        "--access-token-alg",
        "ES256",
    )
    client_id, secret = created["client_id"], created["client_secret"]
    assert client_id.startswith("pk_test_") and secret.startswith("sk_test_"), created
    assert (
        created["id_token_signed_response_alg"] == "RS256" and created["access_token_signing_alg"] == "ES256"
    ), created
    assert created["allowed_scopes"] == "openid profile", created
    assert created["grant_types"] == ["authorization_code", "client_credentials"], created
    resp = expect(client_credentials(tenant, client_id, secret), 200)
    assert jws_alg(resp.json()["access_token"]) == "ES256"

    updated = cli.json(
        "client",
        "update",
        client_id,
        "--tenant",
        tenant.slug,
        "--name",
        "Renamed",
        "--redirect-uri",
        "https://rp.example/cb2",
        "--redirect-uri",
        "https://rp.example/cb3",
        "--post-logout-redirect-uri",
        "https://rp.example/out",
        "--grant-type",
        "client_credentials",
        "--first-party",
        "true",
        "--allowed-scopes",
        "openid",
        "--id-token-alg",
        "ES256",
        "--access-token-alg",
        "RS256",
    )
    assert updated["name"] == "Renamed", updated
    assert updated["redirect_uris"] == ["https://rp.example/cb2", "https://rp.example/cb3"], updated
    assert updated["post_logout_redirect_uris"] == ["https://rp.example/out"], updated
    assert updated["grant_types"] == ["client_credentials"], updated
    assert updated["first_party"] is True and updated["allowed_scopes"] == "openid", updated
    assert (
        updated["id_token_signed_response_alg"] == "ES256" and updated["access_token_signing_alg"] == "RS256"
    ), updated
    assert "client_secret" not in updated, updated
    resp = expect(client_credentials(tenant, client_id, secret), 200)
    assert jws_alg(resp.json()["access_token"]) == "RS256"

    assert (
        cli.json("client", "update", client_id, "--tenant", tenant.slug, "--first-party", "false")[
            "first_party"
        ]
        is False
    )
    shown = cli.json("client", "show", client_id, "--tenant", tenant.slug)
    assert shown["name"] == "Renamed" and shown["first_party"] is False and "client_secret" not in shown, (
        shown
    )
    human = record(cli.ok("client", "show", client_id, "--tenant", tenant.slug))
    assert human["client_id"] == client_id and human["access_token_signing_alg"] == "RS256", human

    headers, rows = table(cli.ok("client", "list", "--tenant", tenant.slug))
    assert headers[0] == "CLIENT_ID" and any(client_id in row for row in rows), rows
    assert [c["client_id"] for c in cli.json("client", "list", "--tenant", tenant.slug)["clients"]] == [
        client_id
    ]

    # Public clients get no secret; their algorithm must be enabled for the tenant.
    public = cli.json(
        "client",
        "create",
        "--tenant",
        tenant.slug,
        "--name",
        "SPA",
        "--type",
        "public",
        "--redirect-uri",
        REDIRECT,
        "--first-party",
    )
    assert not public.get("client_secret") and public["first_party"] is True, public
    error = cli.fails(
        "client",
        "update",
        public["client_id"],
        "--tenant",
        tenant.slug,
        "--id-token-alg",
        "HS256",
        status=422,
    )
    assert "id_token_signed_response_alg" in error, error
    error = cli.fails(
        "client",
        "update",
        public["client_id"],
        "--tenant",
        tenant.slug,
        "--grant-type",
        "client_credentials",
        status=422,
    )
    assert "public clients cannot use client_credentials" in error, error
    error = cli.fails("client", "rotate-secret", public["client_id"], "--tenant", tenant.slug, status=400)
    assert "public clients have no secret key" in error, error

    assert f"deleted client {client_id}" in cli.ok("client", "delete", client_id, "--tenant", tenant.slug, "--yes")
    cli.fails("client", "show", client_id, "--tenant", tenant.slug, status=404)
    assert client_credentials(tenant, client_id, secret).status_code == 401


def test_client_rotate_secret_with_and_without_overlap(cli, tenant):
    created = cli.json(
        "client", "create", "--tenant", tenant.slug, "--name", "Worker", "--grant-type", "client_credentials"
    )
    client_id, first = created["client_id"], created["client_secret"]
    expect(client_credentials(tenant, client_id, first), 200)

    # No overlap: the old secret stops working at once.
    rotated = cli.json("client", "rotate-secret", client_id, "--tenant", tenant.slug)
    second = rotated["client_secret"]
    assert second.startswith("sk_test_") and second != first, rotated
    assert client_credentials(tenant, client_id, first).status_code == 401
    expect(client_credentials(tenant, client_id, second), 200)

    # --overlap 1h: both work, and the CLI shows until when.
    before = datetime.now(UTC)
    proc = cli.run("client", "rotate-secret", client_id, "--tenant", tenant.slug, "--overlap", "1h")
    assert proc.returncode == 0, proc.stderr
    shown = record(proc.stdout)
    third = shown["client_secret"]
    assert third.startswith("sk_test_") and third not in (first, second), proc.stdout
    assert "not shown again" in proc.stderr, proc.stderr
    until = parse_time(shown["previous_secret_expires_at"])
    assert 3590 <= (until - before).total_seconds() <= 3610, shown
    expect(client_credentials(tenant, client_id, second), 200)
    expect(client_credentials(tenant, client_id, third), 200)
    assert client_credentials(tenant, client_id, first).status_code == 401
    # The secret is shown once: never again by show or list.
    assert "client_secret" not in cli.json("client", "show", client_id, "--tenant", tenant.slug)

    error = cli.fails(
        "client", "rotate-secret", client_id, "--tenant", tenant.slug, "--overlap", "31d", status=422
    )
    assert "overlap_seconds" in error, error
