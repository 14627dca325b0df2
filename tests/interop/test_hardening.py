"""Hardening found by trying Gatehouse as a hostile newcomer would: headers on every response,
static path tricks, display names that drive terminals, stale logout hints, idle connections."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import requests

from gatehouse_client import HTTP_TIMEOUT, code_flow, find_form, has_decision
from tenancy_helpers import start_server, unverified


def claims(token: str) -> dict:
    return unverified(token)[1]


def test_json_redirect_and_error_responses_carry_the_security_headers(public_url, tenant):
    responses = [
        requests.get(f"{tenant.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT),
        requests.get(f"{tenant.issuer}/jwks.json", timeout=HTTP_TIMEOUT),
        requests.post(f"{tenant.issuer}/token", data={"grant_type": "client_credentials"}, timeout=HTTP_TIMEOUT),
        requests.get(f"{tenant.issuer}/account", allow_redirects=False, timeout=HTTP_TIMEOUT),
        requests.get(f"{public_url}/t/no-such-tenant/jwks.json", timeout=HTTP_TIMEOUT),
        requests.get(f"{public_url}/static/gatehouse.css", timeout=HTTP_TIMEOUT),
        requests.get(f"{public_url}/healthz", timeout=HTTP_TIMEOUT),
    ]
    for resp in responses:
        assert "frame-ancestors 'none'" in resp.headers.get("Content-Security-Policy", ""), (resp.url, resp.headers)
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", (resp.url, resp.headers)
        assert resp.headers.get("Referrer-Policy") == "no-referrer", (resp.url, resp.headers)


@pytest.mark.parametrize("path", ["gatehouse.css%00.html", "gatehouse.css%00.svg", "gatehouse.css/", "../README.md", "%2e%2e/README.md"])
def test_static_paths_cannot_change_the_served_type_or_escape(public_url, path):
    resp = requests.get(f"{public_url}/static/{path}", timeout=HTTP_TIMEOUT)
    assert resp.status_code == 404, (path, resp.status_code, resp.headers)


@pytest.mark.parametrize("name", ["\x1b]0;pwned\x07\x1b[2JBob", "a\x00b", "line\r\nbreak", "Zoë \u202eevil", "x" * 201])
def test_display_names_with_control_characters_are_refused(tenant, name):
    resp = tenant.admin.post(f"/tenants/{tenant.slug}/users", json={"email": f"n{abs(hash(name))}@example.test", "password": "vq7-lamp-17", "name": name})
    assert resp.status_code == 422, resp.text
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert any(e["field"] == "name" for e in resp.json()["errors"]), resp.json()


def test_an_id_token_of_an_ended_session_does_not_sign_out_a_newer_one(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    first = code_flow(tenant, client, user)
    end_session = tenant.endpoint("end_session_endpoint")
    ended = first.browser.logout(end_session, {"id_token_hint": first.id_token}, confirm=False)
    assert ended.status_code < 400, ended.text
    # Signed in again in the same browser: a new session.
    second = code_flow(tenant, client, user, browser=first.browser)
    assert claims(second.id_token)["sid"] != claims(first.id_token)["sid"]
    page = first.browser.follow(first.browser.get(end_session, params={"id_token_hint": first.id_token}))
    assert page.status_code == 200 and find_form(page.text, lambda f: has_decision(f, "logout")) is not None, page.text
    # Still signed in: the hint of the newer session signs out at once.
    done = first.browser.logout(end_session, {"id_token_hint": second.id_token}, confirm=False)
    assert done.status_code < 400 and find_form(done.text, lambda f: has_decision(f, "logout")) is None, done.text


def test_idle_connections_are_closed(tmp_path: Path):
    server = start_server(tmp_path / "idle", tmp_path / "idle.log", config="[server]\nidle_timeout_seconds = 2\n")
    try:
        host, port = server.public_url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        started = time.monotonic()
        sock.settimeout(10)
        data = sock.recv(1024)  # b"" when the server closes the connection
        assert data == b"" or data.startswith(b"HTTP/1.1 4"), data
        assert time.monotonic() - started < 8
        sock.close()
    finally:
        server.stop()
