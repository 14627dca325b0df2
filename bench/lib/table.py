#!/usr/bin/env python3
"""Print the benchmark table from the per-measurement JSON files bench/run leaves in --work."""

from __future__ import annotations

import argparse
import json
import os

WRK_CASES = [
    ("healthz", "GET /healthz (baseline)", None),
    ("jwks", "GET {issuer}/jwks.json", None),
    ("discovery", "GET {issuer}/.well-known/openid-configuration", None),
    ("client_credentials", "POST /token client_credentials", ("ratio", 0.50, ">= 50 % of baseline")),
    ("refresh_rotation", "POST /token refresh_token (rotation)", ("rate", 5000, ">= 5,000/s")),
    ("introspect", "POST /introspect (user access token)", ("rate", 20000, ">= 20,000/s")),
]


def load(work: str, name: str) -> dict | None:
    path = os.path.join(work, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def fmt_ms(us: float | None) -> str:
    return "-" if us is None else f"{us / 1000:.2f}"


def case_summary(label: str, rate: float, r: dict, done: int) -> dict:
    """One row for --summary: rate and CPU per request (server, and database when measured)."""
    wall = r.get("wall_s") or 0
    db = r.get("db_cpu_s")
    return {"label": label, "rate": rate,
            "srv_us_per_req": r["server_cpu_s"] / done * 1e6 if done else None,
            "db_us_per_req": db / done * 1e6 if done and db is not None else None,
            "db_cores": db / wall if wall and db is not None else None,
            "srv_cores": r["server_cpu_s"] / wall if wall else None,
            "other_cores": r["foreign_cpu_s"] / wall if wall else None}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--fact", action="append", default=[])
    ap.add_argument("--summary", help="also write {case: {rate, srv_us_per_req, db_us_per_req, ...}} as JSON here")
    args = ap.parse_args()

    rows = []
    summary: dict[str, dict] = {}
    notes = []
    busy: list[str] = []
    base = load(args.work, "healthz")
    base_rate = base["ok"] / (base["duration_us"] / 1e6) if base and base.get("duration_us") else None

    for name, label, target in WRK_CASES:
        r = load(args.work, name)
        if r is None or r.get("missing"):
            rows.append([label, "n/a", "", "", "", "", "", "", "", "", target[2] if target else "", "not run"])
            continue
        secs = r["duration_us"] / 1e6
        rate = r["ok"] / secs
        ratio = rate / base_rate if base_rate else None
        errs = r["bad"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
        err_txt = str(errs)
        if r.get("bad_statuses"):
            err_txt += " (" + ", ".join(f"{k}:{v}" for k, v in sorted(r["bad_statuses"].items())) + ")"
        cores = r["server_cpu_s"] / r["wall_s"] if r.get("wall_s") else None
        gen = r["loadgen_cpu_s"] / r["wall_s"] if r.get("wall_s") else None
        other = r["foreign_cpu_s"] / r["wall_s"] if r.get("wall_s") else None
        if other is not None and other > 0.25:
            busy.append(f"{name} ({other:.2f} cores)")
        cpu_per_req = r["server_cpu_s"] / r["ok"] * 1e6 if r["ok"] else None
        sys_pct = r["server_sys_s"] / r["server_cpu_s"] * 100 if r.get("server_cpu_s") else None
        summary[name] = case_summary(label, rate, r, r["ok"])
        verdict = ""
        if target:
            kind, value, text = target
            got = ratio if kind == "ratio" else rate
            verdict = "meets" if got is not None and got >= value else "BELOW"
        rows.append([
            label, fmt_rate(rate), f"{ratio:.2f}x" if ratio is not None else "-",
            fmt_ms(r["p50_us"]), fmt_ms(r["p99_us"]),
            f"{cores:.2f}" if cores is not None else "-",
            f"{cpu_per_req:,.0f}" if cpu_per_req is not None else "-",
            f"{sys_pct:.0f}%" if sys_pct is not None else "-",
            f"{gen:.2f}" if gen is not None else "-", f"{other:.2f}" if other is not None else "-",
            (target[2] if target else ""), (verdict + ("" if errs == 0 else f"; non-200/errors {err_txt}")).strip("; "),
        ])
        if errs:
            notes.append(f"{name}: {r['bad']} non-200 {r.get('bad_statuses') or ''}, connect/read/write/timeout "
                         f"{r['connect_errors']}/{r['read_errors']}/{r['write_errors']}/{r['timeouts']}")

    login = load(args.work, "password_login")
    argon = load(args.work, "argon2") or {}
    cffi = argon.get("argon2_cffi_per_s")
    sodium = argon.get("libsodium_per_s")
    # The ceiling is the server's own Argon2id implementation (libsodium) when it could be measured.
    ceiling, ceiling_name = (sodium, "libsodium") if sodium else (cffi, "argon2-cffi")
    if login and not login.get("missing"):
        rate = login["rate"]
        pct = rate / ceiling * 100 if ceiling else None
        verdict = "meets" if pct is not None and pct >= 90 else "BELOW"
        if login["failed"]:
            verdict += f"; failed flows {login['failed']}"
            notes.append(f"password_login failures: {login['errors']}")
        wall = login["wall_s"]
        summary["password_login"] = case_summary("password login flow (4 requests)", rate, login, login["flows"])
        other = login["foreign_cpu_s"] / wall
        if other > 0.25:
            busy.append(f"password_login ({other:.2f} cores)")
        rows.append([
            "password login flow (4 requests)", fmt_rate(rate),
            (f"{pct:.0f}% of ceiling" if pct is not None else "-"),
            f"{login['p50_ms']:.1f}", f"{login['p99_ms']:.1f}", f"{login['server_cpu_s'] / wall:.2f}",
            f"{login['server_cpu_s'] / login['flows'] * 1e6:,.0f}" if login["flows"] else "-",
            f"{login['server_sys_s'] / login['server_cpu_s'] * 100:.0f}%" if login["server_cpu_s"] else "-",
            f"{login['loadgen_cpu_s'] / wall:.2f}", f"{other:.2f}",
            ">= 90 % of Argon2id", verdict,
        ])
        if cffi and sodium:
            notes.append(f"password login = {rate / sodium * 100:.0f}% of the libsodium ceiling (the server's library, "
                         f"used for the verdict) and {rate / cffi * 100:.0f}% of the argon2-cffi ceiling")

    if cffi or sodium:
        other = argon["foreign_cpu_s"] / argon["wall_s"] if argon.get("wall_s") else 0.0
        if other > 0.25:
            busy.append(f"argon2 ceiling ({other:.2f} cores)")
        for label, value in (("libsodium (server's library)", sodium), ("argon2-cffi", cffi)):
            mark = "ceiling" if label.startswith(ceiling_name) else "reference"
            rows.append([f"Argon2id verify/s, {label}", fmt_rate(value) if value else "n/a", "", "", "", "", "", "",
                         "", f"{other:.2f}", f"{argon.get('procs')} processes, idle server", mark])

    check = load(args.work, "introspect_check")
    if check and check.get("token_active_after") != "active":
        notes.append(f"introspected token was {check.get('token_active_after')} after the run: its 200s may be active:false")

    if busy:
        notes.append("MACHINE BUSY during " + ", ".join(busy) + ": another process used CPU, so those figures are "
                     "pessimistic; rerun on a quiet machine before comparing")

    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=1)
    # PostgreSQL: the database's CPU (postmaster + backends) is the server's too; shown beside it.
    db_rows = {row_label: s for s in summary.values() for row_label in [s["label"]] if s.get("db_cores") is not None}
    if db_rows:
        for row in rows:
            s = db_rows.get(row[0])
            row[8:8] = [f"{s['db_cores']:.2f}", f"{s['db_us_per_req']:,.0f}"] if s else ["", ""]
    header = ["endpoint", "ok req/s", "vs baseline", "p50 ms", "p99 ms", "srv cores", "srv CPU us/req",
              "srv sys", "gen cores", "other cores", "target", "status"]
    if db_rows:
        header[8:8] = ["db cores", "db CPU us/req"]
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    right = set(range(1, len(header) - 2))

    def line(row):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths)))

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
    print("ok req/s counts 200 responses only (refresh: successful rotations/s; login: completed flows/s).")
    print("srv cores = server CPU time / wall time; gen cores = the load generator's (wrk or the Python driver);")
    print("other cores = CPU used by anything else meanwhile (should be ~0); all share the same 2 cores.")
    print("srv CPU us/req = server CPU microseconds per successful request (or flow); srv sys = its kernel share.")
    if db_rows:
        print("db cores / db CPU us/req = PostgreSQL's CPU (postmaster and its backends), likewise; not in srv.")
    print("Targets are goals from the issue, not assertions; this run exits 0 either way.")
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
