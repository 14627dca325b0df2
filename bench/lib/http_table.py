#!/usr/bin/env python3
"""Print bench/http's tables from the per-measurement JSON files it leaves in --work.

    http_table.py --work DIR --rounds N [--fact KEY=VALUE]...

Reads DIR/<case>-r<round>.json (measure.py output around one wrk run). Prints:
  1. every measurement: ok req/s, p50/p99 ms, server cores, server CPU us/req, generator and other
     cores, per round;
  2. per case, the median over the rounds of req/s and of server CPU us/req;
  3. per Gatehouse path, the ratio of its medians to the bare server's, and of each round's pair
     (measured next to each other), with the issue's target:
        req/s ratio  = Gatehouse req/s / bare req/s                  (target: >= the figure)
        CPU ratio    = bare server CPU us/req / Gatehouse's          (the same goal, in CPU terms)
Targets are goals, not assertions: always exits 0 when the files could be read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

CASES = [
    ("bare_healthz", "bare GET /healthz"),
    ("gh_healthz", "gatehouse GET /healthz"),
    ("bare_jwks", "bare GET /jwks (602-byte JWKS)"),
    ("gh_jwks", "gatehouse GET {issuer}/jwks.json"),
    ("gh_discovery", "gatehouse GET {issuer}/.well-known/openid-configuration"),
]
# Gatehouse case -> (bare case it is compared with, target ratio)
COMPARISONS = [
    ("gh_healthz", "bare_healthz", 0.90),
    ("gh_jwks", "bare_jwks", 0.85),
    ("gh_discovery", "bare_jwks", 0.85),
]
LABELS = dict(CASES)


def load(work: str, name: str, rnd: int) -> dict | None:
    path = os.path.join(work, f"{name}-r{rnd}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        r = json.load(f)
    return None if r.get("missing") or not r.get("duration_us") else r


def figures(r: dict) -> dict:
    """The row's derived figures: rate (200s/s), CPU per 200, cores."""
    wall = r.get("wall_s") or 0
    ok = r["ok"]
    return {
        "rate": ok / (r["duration_us"] / 1e6),
        "us_per_req": r["server_cpu_s"] / ok * 1e6 if ok else None,
        "srv_cores": r["server_cpu_s"] / wall if wall else None,
        "gen_cores": r["loadgen_cpu_s"] / wall if wall else None,
        "other_cores": r["foreign_cpu_s"] / wall if wall else None,
        "errors": r["bad"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"],
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
    }


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def f0(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def f2(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--fact", action="append", default=[])
    args = ap.parse_args()

    data: dict[str, dict[int, dict]] = {name: {} for name, _ in CASES}
    for name, _ in CASES:
        for rnd in range(1, args.rounds + 1):
            r = load(args.work, name, rnd)
            if r is not None:
                data[name][rnd] = figures(r)

    print("Every measurement (round by round; the order alternates, so compared pairs ran next to each other):")
    rows, busy, errors = [], [], []
    for rnd in range(1, args.rounds + 1):
        for name, label in CASES:
            f = data[name].get(rnd)
            if f is None:
                rows.append([f"r{rnd} {label}", "n/a", "", "", "", "", "", ""])
                continue
            rows.append([f"r{rnd} {label}", f0(f["rate"]), f2(f["p50_ms"]), f2(f["p99_ms"]), f2(f["srv_cores"]),
                         f0(f["us_per_req"]), f2(f["gen_cores"]), f2(f["other_cores"])])
            if (f["other_cores"] or 0) > 0.25:
                busy.append(f"r{rnd} {name} ({f['other_cores']:.2f})")
            if f["errors"]:
                errors.append(f"r{rnd} {name}: {f['errors']} non-200s or socket errors")
    print_table(["measurement", "ok req/s", "p50 ms", "p99 ms", "srv cores", "srv CPU us/req", "gen cores",
                 "other cores"], rows)

    def median(name: str, key: str) -> float | None:
        values = [f[key] for f in data[name].values() if f[key] is not None]
        return statistics.median(values) if values else None

    print()
    print(f"Gatehouse against the bare Hummingbird server (medians over {args.rounds} round(s)):")
    rows = []
    for gh, bare, target in COMPARISONS:
        gh_rate, bare_rate = median(gh, "rate"), median(bare, "rate")
        gh_us, bare_us = median(gh, "us_per_req"), median(bare, "us_per_req")
        rate_ratio = gh_rate / bare_rate if gh_rate is not None and bare_rate else None
        cpu_ratio = bare_us / gh_us if bare_us is not None and gh_us else None
        pairs = [data[gh][r]["rate"] / data[bare][r]["rate"] for r in sorted(data[gh]) if r in data[bare]]
        verdict = "meets" if rate_ratio is not None and rate_ratio >= target else "BELOW"
        cpu_verdict = "meets" if cpu_ratio is not None and cpu_ratio >= target else "BELOW"
        rows.append([LABELS[gh], f0(gh_rate), f0(bare_rate), f2(rate_ratio),
                     " ".join(f"{p:.2f}" for p in pairs) or "-", f0(gh_us), f0(bare_us), f2(cpu_ratio),
                     f">= {target:.2f}x", verdict, cpu_verdict])
    print_table(["path", "req/s", "bare req/s", "req/s ratio", "per-round ratios", "srv us/req", "bare us/req",
                 "CPU ratio", "target", "req/s", "CPU"], rows)
    print()
    print("req/s ratio = Gatehouse req/s / the bare server's (medians); per-round ratios = each round's adjacent pair.")
    print("CPU ratio = bare server CPU us/req / Gatehouse's: the share of the bare server's efficiency kept (steadier).")
    print("jwks.json and discovery are both compared with the bare /jwks (a fixed 602-byte JWKS document).")
    print("Targets are goals from the issue, not assertions; this run exits 0 either way.")
    for e in errors:
        print("note: " + e)
    if busy:
        print("note: MACHINE BUSY (other cores > 0.25) during " + ", ".join(busy)
              + ": those figures are pessimistic; compare ratios of adjacent pairs, rerun on a quiet machine")
    print()
    for fact in args.fact:
        k, _, v = fact.partition("=")
        print(f"{k:>16}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
