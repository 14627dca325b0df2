#!/usr/bin/env python3
"""Print the benchmark table from the per-measurement JSON files bench/run leaves in --work.

Gatehouse's rows, each with its ratio to Gatehouse's /healthz, to the bare Hummingbird server
(bare_*.json) and to the peer, Glewlwyd (peer_*.json), where those ran; then a second table with
the comparands' own measurements.
"""

from __future__ import annotations

import argparse
import json
import os

# Targets of issue 15, each a list of (kind, value) conditions that must all hold, and its text:
# "bare" = req/s ratio to the bare server's row (BARE_OF) at least value; "cpu" = server CPU per
# request at most value microseconds; "rate" = ok req/s at least value.
WRK_CASES = [
    ("healthz", "GET /healthz (baseline)", ([("bare", 0.90)], ">= 0.90x bare")),
    ("jwks", "GET {issuer}/jwks.json", ([("bare", 0.85)], ">= 0.85x bare")),
    ("discovery", "GET {issuer}/.well-known/openid-configuration", ([("bare", 0.85)], ">= 0.85x bare")),
    ("client_credentials", "POST /token client_credentials", ([("cpu", 100)], "<= 100 us/req")),
    ("refresh_rotation", "POST /token refresh_token (rotation)", ([("rate", 5000), ("cpu", 200)], ">= 5,000/s, <= 200 us")),
    ("introspect", "POST /introspect (user access token)", ([("cpu", 90)], "<= 90 us/req")),
]


# The bare server's measurement each Gatehouse row is divided by: its /healthz for /healthz, its fixed
# JWKS document (the cheapest JSON answer) for everything else.
BARE_OF = {"healthz": "bare_healthz", "jwks": "bare_jwks", "discovery": "bare_jwks", "client_credentials": "bare_jwks",
           "refresh_rotation": "bare_jwks", "introspect": "bare_jwks", "password_login": "bare_jwks"}
# The peer's measurement of the same path (Glewlwyd has no /healthz and no server-rendered login).
PEER_OF = {"jwks": "peer_jwks", "discovery": "peer_discovery", "client_credentials": "peer_client_credentials",
           "refresh_rotation": "peer_refresh", "introspect": "peer_introspect"}
# name, server, label, the Gatehouse row it pairs with in the comparand table
COMPARANDS = [
    ("bare_healthz", "bare", "GET /healthz", "healthz"),
    ("bare_jwks", "bare", "GET /jwks (fixed 602-byte document)", "jwks"),
    ("peer_jwks", "Glewlwyd", "GET /api/oidc/jwks", "jwks"),
    ("peer_discovery", "Glewlwyd", "GET /api/oidc/.well-known/openid-configuration", "discovery"),
    ("peer_client_credentials", "Glewlwyd", "POST /api/oidc/token client_credentials", "client_credentials"),
    ("peer_refresh", "Glewlwyd", "POST /api/oidc/token refresh_token", "refresh_rotation"),
    ("peer_introspect", "Glewlwyd", "POST /api/oidc/introspect (user access token)", "introspect"),
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


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" if x >= 0.095 else f"{x:.2g}x"


def wrk_stats(r: dict) -> dict:
    """The figures of one wrk measurement (measure.py's JSON) that the tables show."""
    wall = r.get("wall_s")
    errs = r["bad"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
    err_txt = str(errs)
    if r.get("bad_statuses"):
        err_txt += " (" + ", ".join(f"{k}:{v}" for k, v in sorted(r["bad_statuses"].items())) + ")"
    return {
        "rate": r["ok"] / (r["duration_us"] / 1e6),
        "errs": errs, "err_txt": err_txt,
        "cores": r["server_cpu_s"] / wall if wall else None,
        "gen": r["loadgen_cpu_s"] / wall if wall else None,
        "other": r["foreign_cpu_s"] / wall if wall else None,
        "cpu_per_req": r["server_cpu_s"] / r["ok"] * 1e6 if r["ok"] else None,
        "sys_pct": r["server_sys_s"] / r["server_cpu_s"] * 100 if r.get("server_cpu_s") else None,
    }


def usable(r: dict | None) -> bool:
    return bool(r) and not r.get("missing") and bool(r.get("duration_us"))


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
    ap.add_argument("--bare-status", default="ok", help="'ok', or why the bare server was not measured")
    ap.add_argument("--peer-status", default="ok", help="'ok', or why the peer was not measured")
    args = ap.parse_args()
    bare_on, peer_on = args.bare_status == "ok", args.peer_status == "ok"
    peer_state = load(args.work, "peer_state") or {}
    peer_rotates = bool(peer_state.get("refresh_rotates"))

    def comparand_rate(name: str | None) -> float | None:
        r = load(args.work, name) if name else None
        return wrk_stats(r)["rate"] if usable(r) else None

    def bare_cells(name: str, rate: float) -> str:
        if not bare_on:
            return ""
        b = comparand_rate(BARE_OF.get(name))
        return fmt_ratio(rate / b) if b else "n/a"

    def peer_cells(name: str, rate: float) -> list[str]:
        if not peer_on:
            return ["", ""]
        if name not in PEER_OF:
            return ["-", "-"]
        p = comparand_rate(PEER_OF[name])
        if not p:
            return ["n/a", ""]
        mark = " *" if name == "refresh_rotation" and not peer_rotates else ""
        return [fmt_rate(p) + mark, fmt_ratio(rate / p)]

    rows = []
    summary: dict[str, dict] = {}
    notes = []
    busy: list[str] = []
    base_rate = comparand_rate("healthz")

    for name, label, target in WRK_CASES:
        r = load(args.work, name)
        if not usable(r):
            rows.append([label, "n/a", "", "", "", "", "", "", "", "", "", "", "", target[1] if target else "",
                         "not run"])
            continue
        w = wrk_stats(r)
        rate, errs, err_txt = w["rate"], w["errs"], w["err_txt"]
        ratio = rate / base_rate if base_rate else None
        cores, gen, other, cpu_per_req, sys_pct = w["cores"], w["gen"], w["other"], w["cpu_per_req"], w["sys_pct"]
        if other is not None and other > 0.25:
            busy.append(f"{name} ({other:.2f} cores)")
        summary[name] = case_summary(label, rate, r, r["ok"])
        verdict = ""
        if target:
            bare = comparand_rate(BARE_OF.get(name)) if bare_on else None

            def holds(kind: str, value: float) -> bool | None:
                if kind == "bare":
                    return None if not bare else rate / bare >= value
                if kind == "cpu":
                    return None if cpu_per_req is None else cpu_per_req <= value
                return rate >= value

            results = [holds(kind, value) for kind, value in target[0]]
            verdict = "n/a" if None in results else ("meets" if all(results) else "BELOW")
            if errs and verdict == "meets":
                verdict = "n/a"  # a rate that includes failures decides nothing
        rows.append([
            label, fmt_rate(rate), fmt_ratio(ratio), bare_cells(name, rate), *peer_cells(name, rate),
            fmt_ms(r["p50_us"]), fmt_ms(r["p99_us"]),
            f"{cores:.2f}" if cores is not None else "-",
            f"{cpu_per_req:,.0f}" if cpu_per_req is not None else "-",
            f"{sys_pct:.0f}%" if sys_pct is not None else "-",
            f"{gen:.2f}" if gen is not None else "-", f"{other:.2f}" if other is not None else "-",
            (target[1] if target else ""), (verdict + ("" if errs == 0 else f"; non-200/errors {err_txt}")).strip("; "),
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
            verdict = ("n/a" if verdict == "meets" else verdict) + f"; failed flows {login['failed']}"
            notes.append(f"password_login failures: {login['errors']}")
        wall = login["wall_s"]
        summary["password_login"] = case_summary("password login flow (4 requests)", rate, login, login["flows"])
        other = login["foreign_cpu_s"] / wall
        if other > 0.25:
            busy.append(f"password_login ({other:.2f} cores)")
        rows.append([
            "password login flow (4 requests)", fmt_rate(rate),
            (f"{pct:.0f}% of ceiling" if pct is not None else "-"), bare_cells("password_login", rate),
            *peer_cells("password_login", rate),
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
                         "", "", "", "", f"{other:.2f}", f"{argon.get('procs')} processes, idle server", mark])

    # The half-rate pass: the same path paced to half of the rate its full run reached.
    hrows = []
    for name, label, _ in WRK_CASES:
        h, full = load(args.work, f"{name}_half"), load(args.work, name)
        if not usable(h) or not usable(full):
            continue
        hw, fw = wrk_stats(h), wrk_stats(full)
        busy_note = hw["other"] is not None and hw["other"] > 0.25
        if busy_note:
            busy.append(f"{name}_half ({hw['other']:.2f} cores)")
        p99_ms = h["p99_us"] / 1000
        share = hw["rate"] / fw["rate"] if fw["rate"] else 0.0
        # The goal is at half of the maximum: a run that missed half by more than 5 points decides nothing.
        verdict = ("meets" if p99_ms < 10 else "BELOW") if 0.45 <= share <= 0.55 else f"not at half ({share * 100:.1f}%)"
        if hw["errs"] and verdict == "meets":
            verdict = "n/a"  # percentiles that include failures decide nothing
        delay = h.get("delay_ms")
        hrows.append([
            label, fmt_rate(fw["rate"]), fmt_rate(hw["rate"]), f"{share * 100:.1f}%",
            f"{delay:.2f}" if isinstance(delay, (int, float)) else "?", fmt_ms(h["p50_us"]), fmt_ms(h["p90_us"]),
            fmt_ms(h["p99_us"]), fmt_ms(h["max_us"]),
            f"{hw['cpu_per_req']:,.0f}" if hw["cpu_per_req"] is not None else "-",
            "p99 < 10 ms at 45-55 %", verdict + ("" if hw["errs"] == 0 else f"; non-200/errors {hw['err_txt']}"),
        ])
        if hw["errs"]:
            notes.append(f"{name}_half: {h['bad']} non-200 {h.get('bad_statuses') or ''}")

    check = load(args.work, "introspect_check")
    if check and check.get("token_active_after") != "active":
        notes.append(f"introspected token was {check.get('token_active_after')} after the run: its 200s may be active:false")
    check = load(args.work, "peer_introspect_check")
    if check and check.get("token_active_after") != "active":
        notes.append(f"Glewlwyd's introspected token was {check.get('token_active_after')} after the run: "
                     "its 200s may be active:false")

    # The comparands' own measurements: the bare server and the peer.
    crows = []
    for name, server, label, pair in COMPARANDS:
        on = bare_on if server == "bare" else peer_on
        if not on:
            continue
        if name == "peer_refresh":
            label += " (rotation)" if peer_rotates else " (no rotation) *"
        r = load(args.work, name)
        if not usable(r):
            crows.append([server, label, "n/a", "", "", "", "", "", "", "", pair, "", "", "not run"])
            continue
        w = wrk_stats(r)
        if w["other"] is not None and w["other"] > 0.25:
            busy.append(f"{name} ({w['other']:.2f} cores)")
        if w["errs"]:
            notes.append(f"{name}: {r['bad']} non-200 {r.get('bad_statuses') or ''}, connect/read/write/timeout "
                         f"{r['connect_errors']}/{r['read_errors']}/{r['write_errors']}/{r['timeouts']}")
        g = load(args.work, pair)
        gw = wrk_stats(g) if usable(g) else None
        crows.append([
            server, label, fmt_rate(w["rate"]), fmt_ms(r["p50_us"]), fmt_ms(r["p99_us"]),
            f"{w['cores']:.2f}" if w["cores"] is not None else "-",
            f"{w['cpu_per_req']:,.0f}" if w["cpu_per_req"] is not None else "-",
            f"{w['sys_pct']:.0f}%" if w["sys_pct"] is not None else "-",
            f"{w['gen']:.2f}" if w["gen"] is not None else "-", f"{w['other']:.2f}" if w["other"] is not None else "-",
            pair, fmt_ratio(gw["rate"] / w["rate"]) if gw and w["rate"] else "-",
            fmt_ratio(gw["cpu_per_req"] / w["cpu_per_req"]) if gw and gw["cpu_per_req"] and w["cpu_per_req"] else "-",
            "ok" if not w["errs"] else f"non-200/errors {w['err_txt']}",
        ])

    if busy:
        notes.append("MACHINE BUSY during " + ", ".join(busy) + ": another process used CPU, so those figures are "
                     "pessimistic; rerun on a quiet machine before comparing")

    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=1)
    # PostgreSQL: the database's CPU (postmaster + backends) is the server's too; shown beside it.
    db_rows = {row_label: s for s in summary.values() for row_label in [s["label"]] if s.get("db_cores") is not None}
    header = ["endpoint", "ok req/s", "vs /healthz", "vs bare", "Glewlwyd req/s", "vs Glewlwyd", "p50 ms", "p99 ms",
              "srv cores", "srv CPU us/req", "srv sys", "gen cores", "other cores", "target", "status"]
    at = header.index("srv sys") + 1
    if db_rows:
        for row in rows:
            s = db_rows.get(row[0])
            row[at:at] = [f"{s['db_cores']:.2f}", f"{s['db_us_per_req']:,.0f}"] if s else ["", ""]
        header[at:at] = ["db cores", "db CPU us/req"]

    def table(header: list[str], rows: list[list], left: set[int]) -> None:
        widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]

        def line(row):
            return "  ".join(str(c).ljust(w) if i in left else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip()

        print(line(header))
        print("  ".join("-" * w for w in widths))
        for row in rows:
            print(line(row))

    table(header, rows, {0, len(header) - 2, len(header) - 1})
    print()
    print("ok req/s counts answers below 400 (wrk counts 4xx and 5xx as errors; every path measured answers 200;\n"
          "refresh: successful rotations/s, each a 200 whose successor token was read; login: completed flows/s).")
    print("vs /healthz = this rate / Gatehouse's /healthz rate (login: % of the Argon2id ceiling);")
    print("vs bare = this rate / the bare Hummingbird server's: its /healthz for /healthz, its /jwks for every other row;")
    print("Glewlwyd req/s = the peer on the same path, same run and wrk settings; vs Glewlwyd = Gatehouse / Glewlwyd")
    print("(above 1: Gatehouse serves more). Empty: not measured (see the notes); -: no such path.")
    print("srv cores = server CPU time / wall time; gen cores = the load generator's (wrk or the Python driver);")
    print("other cores = CPU used by anything else meanwhile (should be ~0); all share the same 2 cores.")
    print("srv CPU us/req = server CPU microseconds per successful request (or flow); srv sys = its kernel share.")
    if db_rows:
        print("db cores / db CPU us/req = PostgreSQL's CPU (postmaster and its backends), likewise; not in srv.")
    print("Targets are goals from the issue, not assertions; this run exits 0 either way.")
    if peer_on and not peer_rotates:
        print("* Glewlwyd's refresh tokens do not rotate (refresh-token-one-use \"never\", its default): its refresh row")
        print("  re-presents live tokens and returns only a new access token; Gatehouse spends each refresh token and")
        print("  returns a successor (and an ID token) every time.")
    if hrows:
        print()
        print("Token endpoint at half of its maximum rate (same run; each connection waits 'delay' ms on average after")
        print("a response before its next request, calibrated by a 3 s probe so that together they send half of the")
        print("full run's rate; 'of full' is the share reached):")
        table(["endpoint", "full req/s", "paced req/s", "of full", "delay ms", "p50 ms", "p90 ms", "p99 ms", "max ms",
               "srv CPU us/req", "target", "status"], hrows, {0, 10, 11})
    if crows:
        print()
        print("Comparands (same run, same wrk settings; srv = the bare server or Glewlwyd):")
        cheader = ["server", "endpoint", "ok req/s", "p50 ms", "p99 ms", "srv cores", "srv CPU us/req", "srv sys",
                   "gen cores", "other cores", "Gatehouse row", "GH/this req/s", "GH/this us/req", "status"]
        table(cheader, crows, {0, 1, 10, 13})
    if not bare_on:
        notes.append(f"bare server: {args.bare_status}")
    if not peer_on:
        notes.append(f"peer (Glewlwyd): {args.peer_status}")
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
