#!/usr/bin/env python3
"""Print the tables of bench/webhooks from the JSON files it leaves in --work:

  {cc,login}_{without,with}_{round}.json   measure.py results (wrk or login_flow.py)
  {cc,login}_with_{round}.recv.json        what the receiver got during that measurement
  delivery.json                            measure.py result of `webhook_bench.py deliver`
"""

from __future__ import annotations

import argparse
import json
import os

CASES = [("cc", "POST /token client_credentials"), ("login", "password login flow (4 requests)")]


def load(work: str, name: str) -> dict | None:
    path = os.path.join(work, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        r = json.load(f)
    return None if r.get("missing") else r


def done(r: dict) -> int:
    """Successful requests (wrk: 200s) or completed flows (login)."""
    return r["flows"] if "flows" in r else r["ok"]


def rate(r: dict) -> float:
    return r["rate"] if "flows" in r else r["ok"] / (r["duration_us"] / 1e6)


def failed(r: dict) -> int:
    if "flows" in r:
        return r["failed"]
    return r["bad"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def fmt_rate(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]

    def line(row):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--fact", action="append", default=[])
    args = ap.parse_args()

    notes: list[str] = []
    rows = []
    for key, label in CASES:
        totals = {side: {"cpu": 0.0, "done": 0, "rates": [], "failed": 0, "other": []} for side in ("without", "with")}
        per_round = []
        deliveries, types = 0, {}
        for n in range(1, args.rounds + 1):
            pair = {}
            for side in ("without", "with"):
                r = load(args.work, f"{key}_{side}_{n}")
                if r is None:
                    continue
                t = totals[side]
                t["cpu"] += r["server_cpu_s"]
                t["done"] += done(r)
                t["rates"].append(rate(r))
                t["failed"] += failed(r)
                t["other"].append(r["foreign_cpu_s"] / r["wall_s"] if r.get("wall_s") else 0.0)
                pair[side] = r["server_cpu_s"] / done(r) * 1e6 if done(r) else None
            if pair.get("without") and pair.get("with"):
                per_round.append(pair["with"] / pair["without"])
            recv = load(args.work, f"{key}_with_{n}.recv") or {}
            deliveries += recv.get("count", 0)
            for k, v in (recv.get("types") or {}).items():
                types[k] = types.get(k, 0) + v
        us = {side: (t["cpu"] / t["done"] * 1e6 if t["done"] else None) for side, t in totals.items()}
        ratio = us["with"] / us["without"] if us["with"] and us["without"] else None
        mean_rate = {side: (sum(t["rates"]) / len(t["rates"]) if t["rates"] else None) for side, t in totals.items()}
        other = max(totals["without"]["other"] + totals["with"]["other"], default=0.0)
        rows.append([
            label, fmt(us["without"]), fmt(us["with"]), f"{ratio:.3f}x" if ratio else "-",
            ", ".join(f"{x:.3f}" for x in per_round) or "-",
            fmt_rate(mean_rate["without"]), fmt_rate(mean_rate["with"]),
            f"{rate_ratio:.3f}x" if (rate_ratio := (mean_rate["with"] / mean_rate["without"]
                                                    if mean_rate["with"] and mean_rate["without"] else None)) else "-",
            str(deliveries), f"{other:.2f}",
        ])
        if types:
            notes.append(f"{label}: deliveries during 'with' by type: "
                         + ", ".join(f"{k} {v}" for k, v in sorted(types.items())))
        for side, t in totals.items():
            if t["failed"]:
                notes.append(f"{label} ({side}): {t['failed']} failed requests or flows")
        if other > 0.25:
            notes.append(f"MACHINE BUSY during {label} ({other:.2f} other cores): rerun on a quiet machine")

    print("(a) server CPU per request, without and with one enabled endpoint (all event types) and its receiver")
    print()
    print_table(["case", "without us/req", "with us/req", "with/without", "per round", "without req/s",
                 "with req/s", "req/s with/without", "deliveries in 'with'", "other cores max"], rows)
    print()
    print("us/req = server CPU microseconds per successful request (login: per completed flow), summed over")
    print(f"{args.rounds} round(s); the order alternates (without→with, then with→without). 'per round' is each")
    print("round's with/without CPU ratio: their spread is the noise. 'deliveries in with' counts the POSTs the")
    print("receiver got during the 'with' measurements (and their settling): events the requests produced.")

    d = load(args.work, "delivery")
    print()
    print("(b) delivery rate")
    print()
    if d is None:
        print("not measured (see the output above)")
    else:
        n = d["received_distinct"]
        drain = d["drain_s"]
        srv = d.get("drain_server_cpu_s")
        other = d["foreign_cpu_s"] / d["wall_s"] if d.get("wall_s") else None
        table = [
            ["events queued (webhook.test, admin API)", f"{d['queued']:,} of {d['events']:,}"
             + (f"; failures {d['queue_failures']}" if d["queue_failures"] else "")],
            ["queueing", f"{d['queue_s']:.2f} s = {fmt(d['queue_rate'])}/s with {d['connections']} connections"],
            ["received (distinct webhook-id / POSTs)", f"{n:,} / {d['received']:,}"
             + ("" if d["complete"] else "  INCOMPLETE")],
            ["drain: release → last delivery", f"{drain:.2f} s = {fmt(d['drain_rate'])} deliveries/s"],
            ["first delivery after the release", f"{d['first_delivery_after_release_s'] * 1000:.0f} ms"
             if d.get("first_delivery_after_release_s") is not None else "-"],
            ["server CPU during the drain", f"{fmt(srv / n * 1e6)} us per delivery; {srv / drain:.2f} cores"
             if srv is not None and n and drain > 0 else "-"],
            ["receiver CPU during the drain", f"{d['drain_receiver_cpu_s'] / drain:.2f} cores" if drain > 0 else "-"],
            ["other cores (whole run; receiver included)", f"{other:.2f}" if other is not None else "-"],
        ]
        width = max(len(r[0]) for r in table)
        for k, v in table:
            print(f"{k.ljust(width)}  {v}")
        receiver_share = d["drain_receiver_cpu_s"] / d["wall_s"] if d.get("wall_s") else 0.0
        if other is not None and other - receiver_share > 0.25:
            notes.append(f"MACHINE BUSY during the delivery run ({other - receiver_share:.2f} other cores "
                         "besides the receiver)")
    if notes:
        print()
        for n in notes:
            print("note: " + n)
    print()
    for fact in args.fact:
        k, _, v = fact.partition("=")
        print(f"{k:>16}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
