#!/usr/bin/env python3
"""Spread one wrk run over several nodes: one wrk per node, each with 1/N of the threads and
connections, all started together; prints one merged `BENCHJSON {...}` line.

    multi_wrk.py --base http://127.0.0.1:P1 --node http://127.0.0.1:P1 --node http://127.0.0.1:P2 \
        -- wrk -tT -cC -dDs --latency -s SCRIPT http://127.0.0.1:P1/PATH

The URL argument of the wrk command must start with --base; each wrk gets it rewritten to its
node. With BENCH_TOKENS_FILE set (refresh rotation) each wrk gets its own share of the tokens
(dealt round-robin into NAME.nodeI files), so no refresh token is presented by two wrk processes.

Merging: requests, ok, bad, statuses and error counts are summed; duration_us is the longest;
p50/p90 are the request-weighted means of the per-node percentiles and p99/max the largest
(an approximation: wrk's histograms are not exported).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys


def split_arg(cmd: list[str], flag: str, n: int) -> list[str]:
    """Divide wrk's -tX / -cX (also given as '-t X') by n, at least 1."""
    out, i = [], 0
    while i < len(cmd):
        a = cmd[i]
        if a == flag and i + 1 < len(cmd):
            out += [flag, str(max(1, int(cmd[i + 1]) // n))]
            i += 2
            continue
        m = re.fullmatch(re.escape(flag) + r"(\d+)", a)
        out.append(f"{flag}{max(1, int(m.group(1)) // n)}" if m else a)
        i += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--node", action="append", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    n = len(args.node)
    cmd = split_arg(split_arg(cmd, "-t", n), "-c", n)
    tokens = os.environ.get("BENCH_TOKENS_FILE")
    shares: list[list[str]] = [[] for _ in range(n)]
    if tokens:
        with open(tokens) as f:
            for i, line in enumerate(x for x in f.read().split("\n") if x):
                shares[i % n].append(line)
    procs = []
    for i, node in enumerate(args.node):
        env = dict(os.environ)
        threads = next((int(a[2:]) for a in cmd if re.fullmatch(r"-t\d+", a)), None)
        if threads:
            env["BENCH_THREADS"] = str(threads)
        if tokens:
            env["BENCH_TOKENS_FILE"] = f"{tokens}.node{i}"
            with open(env["BENCH_TOKENS_FILE"], "w") as f:
                f.write("\n".join(shares[i]) + "\n")
        node_cmd = [node + a[len(args.base):] if a.startswith(args.base) else a for a in cmd]
        procs.append(subprocess.Popen(node_cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    results = []
    for i, p in enumerate(procs):
        out, _ = p.communicate()
        last = None
        for line in out.splitlines():
            print(f"[node {i + 1}] {line}")
            if line.startswith("BENCHJSON "):
                last = json.loads(line[len("BENCHJSON "):])
        if last is None:
            print(f"multi_wrk: node {i + 1} produced no BENCHJSON line", file=sys.stderr)
            return 1
        results.append(last)
    merged: dict = {"nodes": n}
    for k in ("requests", "ok", "bad", "connect_errors", "read_errors", "write_errors", "timeouts", "status_errors"):
        merged[k] = sum(r[k] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        for code, c in r["bad_statuses"].items():
            statuses[code] = statuses.get(code, 0) + c
    merged["bad_statuses"] = statuses
    merged["duration_us"] = max(r["duration_us"] for r in results)
    total = sum(r["requests"] for r in results) or 1
    for k in ("p50_us", "p90_us"):
        merged[k] = round(sum(r[k] * r["requests"] for r in results) / total)
    for k in ("p99_us", "max_us"):
        merged[k] = max(r[k] for r in results)
    merged["per_node_ok"] = [r["ok"] for r in results]
    print("BENCHJSON " + json.dumps(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
