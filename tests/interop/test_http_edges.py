"""HTTP edges: oversized bodies are 413 at once, stalled bodies are cut off before the idle timeout,
and a known path's missing method is 405 with Allow (RFC 9110 §15.5.6, §15.5.9, §15.5.14)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from tenancy_helpers import start_server


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory, artifacts_dir):
    server = start_server(tmp_path_factory.mktemp("edges"), artifacts_dir / "gatehouse-http-edges.log",
                          config="[server]\nrequest_body_timeout_seconds = 2\nidle_timeout_seconds = 30\n")
    yield server
    server.stop()


def raw(url: str, head: str, body: bytes = b"", *, read_timeout: float = 10) -> tuple[bytes, float, bool]:
    """Sends a request head (and body bytes) on a raw socket; returns (answer, seconds, closed)."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as sock:
        sock.sendall(head.encode() + body)
        data = b""
        closed = False
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            data += chunk
            if b"\r\n\r\n" in data and (b"Content-Length: 0" in data or data.endswith(b"\n")):
                # Wait briefly for the close that follows a refusal.
                sock.settimeout(2)
        return data, time.monotonic() - started, closed


def test_declared_oversized_body_is_413_at_once(edge_server):
    host = urlsplit(edge_server.public_url).netloc
    answer, seconds, closed = raw(edge_server.public_url, f"POST /t/default/token HTTP/1.1\r\nHost: {host}\r\n"
                                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert seconds < 2 and closed, (seconds, closed)


def test_sent_oversized_body_is_413(edge_server):
    body = b"a=" + b"x" * 70000
    resp = requests.post(f"{edge_server.public_url}/t/default/token", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert resp.status_code == 413, resp.text[:200]


def test_chunked_oversized_body_is_413(edge_server):
    host = urlsplit(edge_server.public_url).netloc
    chunk = b"x" * 16384
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(6)) + b"0\r\n\r\n"
    answer, seconds, _ = raw(edge_server.public_url, f"POST /t/default/token HTTP/1.1\r\nHost: {host}\r\n"
                             "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n", body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_stalled_body_is_cut_off_before_the_idle_timeout(edge_server):
    host = urlsplit(edge_server.public_url).netloc
    answer, seconds, closed = raw(edge_server.public_url, f"POST /t/default/token HTTP/1.1\r\nHost: {host}\r\n"
                                  "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
                                  b"grant_type=", read_timeout=20)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert 1.5 <= seconds < 8 and closed, (seconds, closed)


@pytest.mark.parametrize("method,path,allowed", [
    ("PUT", "/t/default/token", {"POST"}),
    ("DELETE", "/t/default/jwks.json", {"GET"}),
    ("PATCH", "/admin/v1/tenants", {"GET", "POST"}),
])
def test_missing_method_on_a_known_path_is_405_with_allow(edge_server, method, path, allowed):
    resp = requests.request(method, edge_server.public_url + path, timeout=10,
                            headers={"Authorization": f"Bearer {edge_server.admin_token}"})
    assert resp.status_code == 405, (resp.status_code, resp.text[:200])
    assert allowed <= {m.strip() for m in resp.headers["Allow"].split(",")}, resp.headers["Allow"]


def test_unknown_paths_stay_404(edge_server):
    assert requests.put(f"{edge_server.public_url}/no/such/path", timeout=10).status_code == 404
