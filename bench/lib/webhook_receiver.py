#!/usr/bin/env python3
"""The webhook receiver of bench/webhooks: answers every `POST /hook` with 204 at once and counts
it. Standard library only: one asyncio process, HTTP/1.1 keep-alive, `Content-Length` and chunked
bodies, `Expect: 100-continue`. Signatures are not checked (tests/interop/test_webhooks.py does
that); the body is only parsed for its `type`.

    webhook_receiver.py --port PORT

Control routes on the same port:
  GET  /stats  -> {"count": POSTs to /hook, "distinct": distinct webhook-id values, "types": {type: n},
                   "first": time.time() of the first, "last": of the last (null before any)}
  POST /reset  -> 204; the counters start again from zero
  POST /hold   -> 204; from now on a POST to /hook waits (unanswered) until
  POST /release -> 204; answers every waiting POST and stops holding
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.ids: set[str] = set()
        self.types: dict[str, int] = {}
        self.first: float | None = None
        self.last: float | None = None

    def add(self, webhook_id: str | None, body: bytes) -> None:
        now = time.time()
        self.count += 1
        if webhook_id:
            self.ids.add(webhook_id)
        try:
            kind = str(json.loads(body).get("type"))
        except (ValueError, AttributeError):
            kind = "unparsed"
        self.types[kind] = self.types.get(kind, 0) + 1
        if self.first is None:
            self.first = now
        self.last = now

    def json(self) -> bytes:
        return json.dumps({"count": self.count, "distinct": len(self.ids), "types": self.types,
                           "first": self.first, "last": self.last}).encode()


STATS = Stats()
OPEN = asyncio.Event()  # set: /hook answers at once; clear: it waits (POST /hold)
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length", "0") or 0)
    return await reader.readexactly(length) if length else b""


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            method, target = line.decode("latin-1").split(" ", 2)[:2]
            headers: dict[str, str] = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await read_body(reader, headers)
            if method == "POST" and target.startswith("/hook"):
                if not OPEN.is_set():
                    await OPEN.wait()
                STATS.add(headers.get("webhook-id"), body)
                writer.write(NO_CONTENT)
            elif method == "GET" and target == "/stats":
                data = STATS.json()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(data), data))
            elif method == "POST" and target in ("/reset", "/hold", "/release"):
                if target == "/reset":
                    STATS.reset()
                elif target == "/hold":
                    OPEN.clear()
                else:
                    OPEN.set()
                writer.write(NO_CONTENT)
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    OPEN.set()
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
    async with server:
        await server.serve_forever()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
