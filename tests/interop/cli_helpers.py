"""Helpers for the admin CLI interop tests (test_cli_tenants, test_cli_accounts): the ``CLI`` runner
(a real ``gatehouse`` process with --url/--token), the ``cli`` fixture, the expected commands and exit
codes, and parsers for its records, tables and output times."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    Tenant,
    basic_auth_header,
)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("GATEHOUSE_BIN") or REPO / ".build" / "debug" / "gatehouse")
REDIRECT = "https://rp.example/cb"

# Every command A6 and the brief name; the help walk must find at least these.
EXPECTED_COMMANDS = {
    ("serve",),
    ("tenant",),
    ("tenant", "create"),
    ("tenant", "list"),
    ("tenant", "show"),
    ("tenant", "update"),
    ("tenant", "delete"),
    ("client",),
    ("client", "create"),
    ("client", "list"),
    ("client", "show"),
    ("client", "update"),
    ("client", "rotate-secret"),
    ("client", "delete"),
    ("user",),
    ("user", "create"),
    ("user", "list"),
    ("user", "show"),
    ("user", "update"),
    ("user", "delete"),
    ("org",),
    ("org", "create"),
    ("org", "list"),
    ("org", "show"),
    ("org", "update"),
    ("org", "delete"),
    ("org", "member"),
    ("org", "member", "add"),
    ("org", "member", "list"),
    ("org", "member", "role"),
    ("org", "member", "remove"),
    ("role",),
    ("role", "create"),
    ("role", "list"),
    ("role", "update"),
    ("role", "delete"),
    ("session",),
    ("session", "list"),
    ("session", "revoke"),
    ("keys",),
    ("keys", "list"),
    ("keys", "rotate"),
}


# --------------------------------------------------------------------------- helpers


class CLI:
    """Runs the gatehouse binary with a clean environment (no GATEHOUSE_* leaking in) in an empty folder."""

    def __init__(self, url: str, token: str, cwd: Path):
        self.url = url
        self.token = token
        self.cwd = cwd

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        env.update(extra or {})
        return env

    def raw(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN), *args],
            capture_output=True,
            text=True,
            env=self.env(env),
            cwd=self.cwd,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """A command with --url and --token."""
        return self.raw(*args, "--url", self.url, "--token", self.token)

    def ok(self, *args: str) -> str:
        proc = self.run(*args)
        assert proc.returncode == 0, (
            f"gatehouse {' '.join(args)} -> {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
        return proc.stdout

    def json(self, *args: str):
        out = self.ok(*args, "--json")
        try:
            return json.loads(out)
        except json.JSONDecodeError as exc:
            pytest.fail(f"gatehouse {' '.join(args)} --json printed invalid JSON ({exc}):\n{out}")

    def fails(self, *args: str, status: int | None = None) -> str:
        """Runs a command that must fail, with the exit code of the HTTP status; returns stderr."""
        proc = self.run(*args)
        expected = EXIT_CODES.get(status, 1) if status is not None else None
        assert proc.returncode != 0 and (expected is None or proc.returncode == expected), (
            f"gatehouse {' '.join(args)} -> {proc.returncode}, expected {expected or 'failure'}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
        assert proc.stderr.strip(), "no error message on stderr"
        if status is not None:
            assert f"({status})" in proc.stderr, proc.stderr
        return proc.stderr


# `gatehouse --help`: distinct exit codes per failure kind.
EXIT_CODES = {404: 3, 401: 4, 403: 4, 409: 5, 412: 5, 400: 6, 422: 6}
EXIT_USAGE, EXIT_UNREACHABLE = 64, 69


@pytest.fixture
def cli(server, tmp_path) -> CLI:
    return CLI(server.public_url, server.admin_token, tmp_path)


def record(output: str) -> dict[str, str]:
    """Parses the `key  value` lines of a human-readable record."""
    values = {}
    for line in output.splitlines():
        parts = line.split(None, 1)
        if parts:
            values[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    return values


def table(output: str) -> tuple[list[str], list[str]]:
    lines = output.splitlines()
    assert lines, "empty table"
    return lines[0].split(), lines[1:]


def client_credentials(tenant: Tenant, client_id: str, secret: str) -> requests.Response:
    return requests.post(
        tenant.endpoint("token_endpoint"),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic_auth_header(client_id, secret), "Accept": "application/json"},
        timeout=HTTP_TIMEOUT,
    )


def jws_alg(token: str) -> str:
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"]


def sign_in(public_url: str, client_id: str, email: str, password: str) -> requests.Response:
    return requests.post(
        f"{public_url}/v1/auth/sign-in",
        json={"email": email, "password": password},
        headers={"X-Client-Id": client_id, "Accept": "application/json"},
        timeout=HTTP_TIMEOUT,
    )


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
