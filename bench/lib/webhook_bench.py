#!/usr/bin/env python3
"""Helpers of bench/webhooks (standard library only). Subcommands:

  add-endpoint  --url U --tenant T --receiver R         creates an enabled endpoint for every event
                                                        type pointing at R/hook; prints its id
  remove-endpoint --url U --tenant T --id ID            deletes it
  stats --receiver R                                    prints the receiver's /stats JSON
  settle --receiver R [--quiet 2] [--timeout 120]       waits until the receiver got nothing for
                                                        --quiet seconds; prints its /stats
  deliver --url U --tenant T --id ID --receiver R --count N --connections C
          [--server-pid P] [--receiver-pid P]           the delivery-rate measurement (below)

The admin token comes from GATEHOUSE_ADMIN_TOKEN.

`deliver` measures the worker with a backlog. It resets the receiver and has it hold every
delivery unanswered (`/hold`): the worker's first batch (8 deliveries) waits on the receiver, so
nothing else is sent, while N `webhook.test` events are queued for the endpoint through the admin
API (`POST …/webhooks/{id}/test`, C keep-alive connections in threads, as fast as they answer 202).
Then it releases the receiver and waits until it has N distinct `webhook-id`s:
  queue:  N / queueing time (the admin API's test route: one read and one insert each)
  drain:  N / (last delivery − release): the worker alone with a backlog of N
The server's and the receiver's CPU during the drain come from /proc (--server-pid,
--receiver-pid). The held deliveries must not time out: bench/webhooks sets `[webhooks]
timeout_seconds = 60`. Prints one line `BENCHJSON {...}`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ghhttp  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def conn_for(url: str) -> ghhttp.Conn:
    u = urlsplit(url)
    return ghhttp.Conn(u.hostname, u.port, timeout=60)


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ['GATEHOUSE_ADMIN_TOKEN']}", "Accept": "application/json"}


def stats(receiver: str) -> dict:
    r = conn_for(receiver).request("GET", "/stats")
    if r.status != 200:
        raise SystemExit(f"receiver /stats -> {r.status}")
    return r.json()


def proc_cpu(pid: int | None) -> float:
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / HZ
    except OSError:
        return 0.0


def add_endpoint(args) -> int:
    body = {"url": args.receiver.rstrip("/") + "/hook", "events": [], "description": "bench/webhooks receiver"}
    r = conn_for(args.url).json_post(f"/admin/v1/tenants/{args.tenant}/webhooks", body, admin_headers())
    if r.status != 201:
        raise SystemExit(f"creating the webhook endpoint -> {r.status}: {r.text()[:500]}")
    print(r.json()["id"])
    return 0


def remove_endpoint(args) -> int:
    r = conn_for(args.url).request("DELETE", f"/admin/v1/tenants/{args.tenant}/webhooks/{args.id}", None, admin_headers())
    if r.status != 204:
        raise SystemExit(f"deleting the webhook endpoint -> {r.status}: {r.text()[:500]}")
    return 0


def settle(args) -> int:
    deadline = time.monotonic() + args.timeout
    last, since = stats(args.receiver)["count"], time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = stats(args.receiver)["count"]
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= args.quiet:
            break
    print(json.dumps(stats(args.receiver)))
    return 0


def receiver_post(receiver: str, path: str) -> None:
    r = conn_for(receiver).request("POST", path)
    if r.status != 204:
        raise SystemExit(f"receiver {path} -> {r.status}")


def deliver(args) -> int:
    receiver_post(args.receiver, "/reset")
    receiver_post(args.receiver, "/hold")
    path = f"/admin/v1/tenants/{args.tenant}/webhooks/{args.id}/test"
    headers = admin_headers()
    counter = iter(range(args.count))
    lock = threading.Lock()
    failures: dict[str, int] = {}
    queued_ids: set[str] = set()

    def queue() -> None:
        conn = conn_for(args.url)
        while True:
            with lock:
                if next(counter, None) is None:
                    break
            resp = conn.request("POST", path, None, headers)
            with lock:
                if resp.status == 202:
                    queued_ids.add(resp.json()["event_id"])
                else:
                    failures[str(resp.status)] = failures.get(str(resp.status), 0) + 1
        conn.close()

    t0 = time.time()
    threads = [threading.Thread(target=queue) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_queued = time.time()
    want = len(queued_ids)
    server0, receiver0 = proc_cpu(args.server_pid), proc_cpu(args.receiver_pid)
    t_release = time.time()
    receiver_post(args.receiver, "/release")
    deadline = time.monotonic() + args.timeout
    s = stats(args.receiver)
    while s["distinct"] < want and time.monotonic() < deadline:
        time.sleep(0.02)
        s = stats(args.receiver)
    server_cpu = proc_cpu(args.server_pid) - server0
    receiver_cpu = proc_cpu(args.receiver_pid) - receiver0
    drain_s = (s["last"] or time.time()) - t_release
    result = {
        "events": args.count, "queued": want, "queue_failures": failures, "connections": args.connections,
        "received": s["count"], "received_distinct": s["distinct"], "complete": s["distinct"] >= want,
        "queue_s": t_queued - t0, "queue_rate": want / (t_queued - t0) if t_queued > t0 else None,
        "drain_s": drain_s, "drain_rate": s["distinct"] / drain_s if drain_s > 0 else None,
        "first_delivery_after_release_s": (s["first"] - t_release) if s["first"] else None,
        "drain_server_cpu_s": server_cpu if args.server_pid else None, "drain_receiver_cpu_s": receiver_cpu,
    }
    print(f"queued {want} test events in {result['queue_s']:.2f}s ({failures or 'no failures'}) while the receiver "
          f"held the first deliveries; after the release it got {s['distinct']} distinct ({s['count']} POSTs) "
          f"in {drain_s:.2f}s")
    print("BENCHJSON " + json.dumps(result))
    return 0 if result["complete"] else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("add-endpoint", "remove-endpoint", "deliver"):
        p = sub.add_parser(name)
        p.add_argument("--url", required=True)
        p.add_argument("--tenant", default="default")
        if name != "remove-endpoint":
            p.add_argument("--receiver", required=True)
        if name != "add-endpoint":
            p.add_argument("--id", required=True)
        if name == "deliver":
            p.add_argument("--count", type=int, default=2000)
            p.add_argument("--connections", type=int, default=4)
            p.add_argument("--server-pid", type=int)
            p.add_argument("--receiver-pid", type=int)
            p.add_argument("--timeout", type=float, default=300)
    p = sub.add_parser("stats")
    p.add_argument("--receiver", required=True)
    p = sub.add_parser("settle")
    p.add_argument("--receiver", required=True)
    p.add_argument("--quiet", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    if args.cmd == "stats":
        print(json.dumps(stats(args.receiver)))
        return 0
    return {"add-endpoint": add_endpoint, "remove-endpoint": remove_endpoint, "settle": settle,
            "deliver": deliver}[args.cmd](args)


if __name__ == "__main__":
    raise SystemExit(main())
