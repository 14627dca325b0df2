#!/usr/bin/env python3
"""Password login flow driver: W worker processes, each one keep-alive connection, each
iteration a fresh browser (empty cookie jar) doing the full authorization code + PKCE flow
with the public client:

  GET  /authorize            -> 303 /login?interaction=…   (sets gh_browser)
  GET  /login?interaction=…  -> 200 form (interaction_id, csrf_token)
  POST /login                -> 303 redirect_uri?code=…    (Argon2id verify; sets gh_session)
  POST /token                -> 200 (authorization_code + code_verifier, public client)

With --node URL given several times (several nodes on one database), worker i talks to node
i mod N for its whole run (one keep-alive connection each), so the flows are spread evenly.

Prints one line `BENCHJSON {...}` with flows, flows/s, failures by kind and flow latency p50/p99.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ghhttp  # noqa: E402


def worker(state: dict, url: str, start_at: float, duration: float, out: mp.Queue) -> None:
    u = urlsplit(url)
    conn = ghhttp.Conn(u.hostname, u.port)
    issuer_path = state["issuer_path"]
    ok, latencies, errors = 0, [], {}
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    end = start_at + duration
    while time.time() < end:
        t0 = time.perf_counter()
        try:
            browser = ghhttp.Browser(conn)  # a new browser each time: no session, so a real password check
            code, verifier = ghhttp.login(browser, issuer_path, state["public_client_id"],
                                          state["user_email"], state["user_password"])
            ghhttp.redeem(conn, issuer_path, code, verifier, state["public_client_id"])
        except Exception as exc:  # noqa: BLE001 - counted and reported
            key = str(exc).split(":")[0][:60] or type(exc).__name__
            errors[key] = errors.get(key, 0) + 1
            conn.close()
            if "503" in key:
                time.sleep(0.05)  # the server said Retry-After; don't spin
            continue
        if time.time() <= end:
            ok += 1
            latencies.append(time.perf_counter() - t0)
    conn.close()
    out.put((ok, latencies, errors))


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--node", action="append", default=[], help="node base URL (repeat); default: the state's url")
    args = ap.parse_args()
    with open(args.state) as f:
        state = json.load(f)

    q: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0
    nodes = args.node or [state["url"]]
    procs = [mp.Process(target=worker, args=(state, nodes[i % len(nodes)], start_at, args.duration, q))
             for i in range(args.workers)]
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()

    ok = sum(r[0] for r in results)
    lat = sorted(x for r in results for x in r[1])
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r[2].items():
            errors[k] = errors.get(k, 0) + v
    print("BENCHJSON " + json.dumps({
        "flows": ok, "duration_s": args.duration, "rate": ok / args.duration, "workers": args.workers,
        "p50_ms": pct(lat, 50) * 1000, "p99_ms": pct(lat, 99) * 1000, "errors": errors,
        "failed": sum(errors.values()),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
