"""A local webhook receiver for tests/interop/test_webhooks.py: an HTTP server on loopback that
records every POST and can answer errors or be down (closed port). Signatures are checked by the
tests with the ``standardwebhooks`` package, never here."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Receipt:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> dict:
        """The payload, verified with ``secret`` by standardwebhooks (raises when it does not verify)."""
        return standardwebhooks.Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Listens on 127.0.0.1:``port`` while started; ``status`` is the answer to every POST."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.status = 204
        self.receipts: list[Receipt] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.receipts.append(Receipt(self.path, headers, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, predicate, timeout: float = 20.0) -> list[Receipt]:
        """Waits until ``predicate(receipts)`` holds; returns the receipts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                receipts = list(self.receipts)
            if predicate(receipts):
                return receipts
            time.sleep(0.1)
        raise AssertionError(f"receiver: condition not met within {timeout}s; {len(self.receipts)} receipts")

    def with_id(self, webhook_id: str) -> list[Receipt]:
        with self._lock:
            return [r for r in self.receipts if r.webhook_id == webhook_id]
