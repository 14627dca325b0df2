#!/usr/bin/env python3
"""Soak: sign-in -> refresh -> revoke in a loop against a running Gatehouse; samples the server's RSS.

Each cycle of a worker: a password login in a fresh browser (authorization code + PKCE, so a new
session and a new grant), code redemption, one refresh-token rotation, RFC 7009 revocation of the
refresh token (which revokes the grant), then introspection of the grant's access token, which
must answer `active: false`. Every cycle adds a revoked grant, so memory that grows with
revocations shows as an RSS slope.

Every Argon2id hash in flight maps its memory cost (19 MiB by default) for a few milliseconds, so
RSS read under load jumps by tens of MiB. At the end of each minute the workers therefore pause
between cycles, and with no request in flight the sampler reads the quiet RSS (the lowest of a few
readings) and the server's C heap gauges from /metrics (in use, held from the system, SQLite's part); then the
workers go on. Prints one line per minute and, at the end, the slope (MiB per hour) of the quiet
RSS and of the heap after the warm-up: Theil–Sen (median of pairwise slopes) and least squares.
Exits 1 if a cycle's checks fail repeatedly.
Environment: GATEHOUSE_ADMIN_TOKEN.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ghhttp  # noqa: E402


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_fds(pid: int) -> int:
    """The server's open file descriptors (entries of /proc/PID/fd): sockets, database files, WAL."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def memory_parts_kib(pid: int) -> dict[str, int]:
    """RssAnon (heap: malloc arenas, Swift objects), RssFile (mapped files: the binary, libraries,
    SQLite's memory-mapped pages) and RssShmem (SQLite's WAL index, `-shm`), in KiB."""
    parts = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("RssAnon", "RssFile", "RssShmem"):
                parts[key] = int(line.split()[1])
    return parts


def data_mib(directory: str | None) -> float:
    """Bytes on disk under the data folder (databases, WAL files), in MiB."""
    if not directory:
        return float("nan")
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total / 1048576


def heap_kib(url: str) -> tuple[int, int, int]:
    """The server's C heap in KiB from /metrics: (in use, held from the system, SQLite's part of
    what is in use); 0 for a gauge the server does not report."""
    u = urlsplit(url)
    conn = ghhttp.Conn(u.hostname, u.port)
    try:
        text = conn.request("GET", "/metrics").text()
    finally:
        conn.close()
    values = {}
    for line in text.splitlines():
        if line.startswith(("gatehouse_heap_in_use_bytes ", "gatehouse_heap_reserved_bytes ", "gatehouse_sqlite_memory_bytes ")):
            name, value = line.split()
            values[name] = int(float(value)) // 1024
    return (values.get("gatehouse_heap_in_use_bytes", 0), values.get("gatehouse_heap_reserved_bytes", 0),
            values.get("gatehouse_sqlite_memory_bytes", 0))


def quiet_sample(url: str, pid: int, counters: "Counters", workers: int) -> tuple[int, int, int, int]:
    """Pauses the workers between cycles, reads RSS (lowest of five readings 0.2 s apart) and the
    heap gauges with no request in flight, and lets the workers go on. KiB: (RSS, heap in use, heap held, SQLite)."""
    counters.pause.set()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with counters.lock:
                if counters.parked >= workers:
                    break
            time.sleep(0.05)
        time.sleep(0.3)
        readings = []
        for _ in range(5):
            readings.append(rss_kib(pid))
            time.sleep(0.2)
        rss = min(readings)
        in_use, held, sqlite = heap_kib(url)
        return rss, in_use, held, sqlite
    finally:
        counters.pause.clear()


def theil_sen_mib_per_hour(samples: list[tuple[float, int]]) -> float:
    """Median of the pairwise slopes (Theil–Sen), in MiB per hour: robust to the minutes whose
    lowest reading still caught a hash in flight."""
    slopes = [(samples[j][1] - samples[i][1]) / (samples[j][0] - samples[i][0])
              for i in range(len(samples)) for j in range(i + 1, len(samples)) if samples[j][0] > samples[i][0]]
    if not slopes:
        return float("nan")
    slopes.sort()
    mid = len(slopes) // 2
    median = slopes[mid] if len(slopes) % 2 else (slopes[mid - 1] + slopes[mid]) / 2
    return median * 3600 / 1024


def slope_mib_per_hour(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of (seconds, KiB) samples, in MiB per hour."""
    n = len(samples)
    if n < 2:
        return float("nan")
    mx = sum(t for t, _ in samples) / n
    my = sum(r for _, r in samples) / n
    sxx = sum((t - mx) ** 2 for t, _ in samples)
    sxy = sum((t - mx) * (r - my) for t, r in samples)
    return (sxy / sxx) * 3600 / 1024 if sxx else float("nan")


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.cycles = 0
        self.failures = 0
        self.last_error = ""
        # Quiet samples: while `pause` is set, workers park between cycles and count themselves.
        self.pause = threading.Event()
        self.parked = 0

    def ok(self):
        with self.lock:
            self.cycles += 1

    def fail(self, error: str):
        with self.lock:
            self.failures += 1
            self.last_error = error[:300]


def provision(conn: ghhttp.Conn, tenant: str) -> dict:
    admin = {"Authorization": f"Bearer {os.environ['GATEHOUSE_ADMIN_TOKEN']}"}
    base = f"/admin/v1/tenants/{tenant}"
    r = conn.json_post(f"{base}/clients", {
        "name": "soak", "type": "confidential", "redirect_uris": [ghhttp.REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"], "first_party": True,
    }, admin)
    if r.status != 201:
        raise SystemExit(f"soak: creating the client -> {r.status}: {r.text()[:300]}")
    client = r.json()
    email = f"soak-{secrets.token_hex(4)}@example.test"
    password = "soak " + secrets.token_urlsafe(12)
    r = conn.json_post(f"{base}/users", {"email": email, "password": password, "name": "Soak", "email_verified": True}, admin)
    if r.status != 201:
        raise SystemExit(f"soak: creating the user -> {r.status}: {r.text()[:300]}")
    return {"client_id": client["client_id"], "client_secret": client["client_secret"], "email": email, "password": password}


def cycle(conn: ghhttp.Conn, issuer_path: str, fx: dict) -> None:
    browser = ghhttp.Browser(conn)
    code, verifier = ghhttp.login(browser, issuer_path, fx["client_id"], fx["email"], fx["password"])
    tokens = ghhttp.redeem(conn, issuer_path, code, verifier, fx["client_id"], fx["client_secret"])
    basic = {"Authorization": ghhttp.basic_auth(fx["client_id"], fx["client_secret"])}
    r = conn.form(f"{issuer_path}/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, basic)
    if r.status != 200:
        raise ghhttp.HTTPError(f"refresh -> {r.status}: {r.text()[:200]}")
    rotated = r.json()
    r = conn.form(f"{issuer_path}/revoke", {"token": rotated["refresh_token"], "token_type_hint": "refresh_token"}, basic)
    if r.status != 200:
        raise ghhttp.HTTPError(f"revoke -> {r.status}: {r.text()[:200]}")
    r = conn.form(f"{issuer_path}/introspect", {"token": rotated["access_token"]}, basic)
    if r.status != 200 or r.json().get("active") is not False:
        raise ghhttp.HTTPError(f"introspection after revocation -> {r.status}: {r.text()[:200]}")


def worker(url: str, issuer_path: str, fx: dict, stop: threading.Event, counters: Counters) -> None:
    u = urlsplit(url)
    conn = ghhttp.Conn(u.hostname, u.port)
    while not stop.is_set():
        if counters.pause.is_set():
            with counters.lock:
                counters.parked += 1
            while counters.pause.is_set() and not stop.is_set():
                time.sleep(0.05)
            with counters.lock:
                counters.parked -= 1
            continue
        try:
            cycle(conn, issuer_path, fx)
            counters.ok()
        except Exception as exc:  # noqa: BLE001 - counted and reported
            counters.fail(f"{type(exc).__name__}: {exc}")
            conn.close()
            conn = ghhttp.Conn(u.hostname, u.port)
            time.sleep(0.5)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True, help="the server's pid, for RSS")
    ap.add_argument("--tenant", default="default")
    ap.add_argument("--minutes", type=float, default=55)
    ap.add_argument("--warmup-minutes", type=float, default=20)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--sample-seconds", type=float, default=60)
    ap.add_argument("--json", help="write samples and the result here")
    ap.add_argument("--data", help="the server's data folder, for its size on disk")
    args = ap.parse_args()

    u = urlsplit(args.url)
    fx = provision(ghhttp.Conn(u.hostname, u.port), args.tenant)
    issuer_path = f"/t/{args.tenant}"
    stop = threading.Event()
    counters = Counters()
    threads = [threading.Thread(target=worker, args=(args.url, issuer_path, fx, stop, counters), daemon=True)
               for _ in range(args.workers)]
    for t in threads:
        t.start()

    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    warm = args.warmup_minutes * 60
    # Each window of --sample-seconds: RSS read every second under load (lowest and highest, for
    # context), then the quiet sample (see the module docstring), whose slope is the result.
    samples: list[tuple[float, int, int]] = []
    heap: list[tuple[float, int, int, int]] = []
    fds: list[tuple[float, int]] = []
    print(f"{'minute':>7} {'quiet RSS':>9} {'load min':>8} {'load max':>8} {'heap use':>8} {'heap held':>9} {'sqlite':>6} {'cycles':>8}"
          f" {'cycles/s':>8} {'failures':>8} {'anon':>7} {'file':>7} {'shmem':>7} {'data MiB':>8} {'fds':>5}", flush=True)
    last_cycles, last_t = 0, t0
    try:
        while True:
            window_end = min(time.monotonic() + args.sample_seconds, end)
            low, high = rss_kib(args.pid), 0
            while True:
                reading = rss_kib(args.pid)
                low, high = min(low, reading), max(high, reading)
                if time.monotonic() >= window_end:
                    break
                time.sleep(1)
            quiet, in_use, held, sqlite = quiet_sample(args.url, args.pid, counters, args.workers)
            parts = memory_parts_kib(args.pid)
            descriptors = open_fds(args.pid)
            now = time.monotonic()
            with counters.lock:
                cycles, failures = counters.cycles, counters.failures
            rate = (cycles - last_cycles) / max(now - last_t, 1e-9)
            last_cycles, last_t = cycles, now
            samples.append((now - t0, quiet, cycles))
            heap.append((now - t0, in_use, held, sqlite))
            fds.append((now - t0, descriptors))
            print(f"{(now - t0) / 60:7.1f} {quiet / 1024:9.1f} {low / 1024:8.1f} {high / 1024:8.1f} {in_use / 1024:8.1f}"
                  f" {held / 1024:9.1f} {sqlite / 1024:6.1f} {cycles:8d} {rate:8.1f} {failures:8d}"
                  f" {parts.get('RssAnon', 0) / 1024:7.1f} {parts.get('RssFile', 0) / 1024:7.1f}"
                  f" {parts.get('RssShmem', 0) / 1024:7.1f} {data_mib(args.data):8.1f} {descriptors:5d}", flush=True)
            if now >= end:
                break
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)

    after = [(t, r) for t, r, _ in samples if t >= warm]
    slope = slope_mib_per_hour(after)
    total = samples[-1][2]
    print(f"\ncycles: {total} ({total / (samples[-1][0] or 1):.1f}/s), failures: {counters.failures}"
          + (f" (last: {counters.last_error})" if counters.failures else ""))
    print(f"quiet RSS: start {samples[0][1] / 1024:.1f} MiB, after warm-up {after[0][1] / 1024 if after else float('nan'):.1f} MiB, "
          f"end {samples[-1][1] / 1024:.1f} MiB, max {max(r for _, r, _ in samples) / 1024:.1f} MiB")
    robust = theil_sen_mib_per_hour(after)
    heap_after = [(t, u) for t, u, _, _ in heap if t >= warm]
    held_after = [(t, h) for t, _, h, _ in heap if t >= warm]
    sqlite_after = [(t, q) for t, _, _, q in heap if t >= warm]
    print(f"heap slope after warm-up: in use {theil_sen_mib_per_hour(heap_after):+.2f} MiB/hour "
          f"(of which SQLite {theil_sen_mib_per_hour(sqlite_after):+.2f}), "
          f"held {theil_sen_mib_per_hour(held_after):+.2f} MiB/hour (Theil-Sen)")
    print(f"quiet RSS slope after {args.warmup_minutes:g} min warm-up over {len(after)} samples: Theil-Sen {robust:+.2f} MiB/hour, "
          f"least squares {slope:+.2f} MiB/hour ({'levels off' if robust < 1 else 'GROWS'}; goal < 1 MiB/hour)")
    fds_after = [n for t, n in fds if t >= warm] or [n for _, n in fds]
    # Sampled with no request in flight: the listening socket, the databases and their WAL files.
    fd_growth = fds_after[-1] - fds_after[0]
    print(f"open file descriptors (quiet): start {fds[0][1]}, after warm-up {fds_after[0]}, end {fds[-1][1]}, "
          f"max {max(n for _, n in fds)} ({'flat' if fd_growth <= 0 else f'+{fd_growth} after warm-up'})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"samples": samples, "heap": heap, "fds": fds, "slope_mib_per_hour": slope, "theil_sen_mib_per_hour": robust, "cycles": total, "failures": counters.failures}, f)
    return 1 if counters.failures > max(10, total // 100) else 0


if __name__ == "__main__":
    sys.exit(main())
