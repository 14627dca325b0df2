#!/usr/bin/env python3
"""Combine bench/run summaries (BENCH_SUMMARY files) into one table, backends side by side.

    backends_table.py NAME=summary.json ...   (the first one is the reference, e.g. SQLite)

Per row and backend: ok req/s, server CPU us/req and, where a database process was measured,
server + database CPU us/req; for every backend after the first, the ratio of its req/s and of its
CPU per request to the reference's.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    runs = []
    for arg in sys.argv[1:]:
        name, _, path = arg.partition("=")
        with open(path) as f:
            runs.append((name, json.load(f)))
    ref_name, ref = runs[0]
    header = ["endpoint"]
    for name, _ in runs:
        header += [f"{name} req/s", f"{name} srv us/req"]
        if name != ref_name:
            header += [f"{name} +db us/req", "req/s ratio", "srv us ratio"]
    rows = []
    for case, r0 in ref.items():
        row = [r0["label"]]
        for name, data in runs:
            r = data.get(case)
            if r is None:
                row += ["n/a", "n/a"] + (["n/a", "", ""] if name != ref_name else [])
                continue
            srv = r["srv_us_per_req"]
            row += [f"{r['rate']:,.0f}" if r["rate"] >= 100 else f"{r['rate']:,.1f}", f"{srv:,.0f}" if srv else "-"]
            if name != ref_name:
                total = (srv or 0) + (r["db_us_per_req"] or 0)
                row += [f"{total:,.0f}",
                        f"{r['rate'] / r0['rate']:.2f}" if r0["rate"] else "-",
                        f"{srv / r0['srv_us_per_req']:.2f}" if srv and r0["srv_us_per_req"] else "-"]
        rows.append(row)
    widths = [max(len(str(x[i])) for x in rows + [header]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    print()
    print(f"ratios: the backend's figure / {ref_name}'s, same session. req/s ratio > 1 = faster;")
    print("srv us ratio > 1 = the Gatehouse processes spend more CPU per request (all nodes summed).")
    print("+db us/req = server + PostgreSQL (postmaster and backends) CPU per request: the whole cost on this machine.")
    busy = [f"{name}: {r['label']} ({r['other_cores']:.2f})" for name, data in runs for r in data.values()
            if (r.get("other_cores") or 0) > 0.25]
    if busy:
        print("MACHINE BUSY (other cores > 0.25) during: " + "; ".join(busy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
