#!/usr/bin/env python3
"""Run one load generator and account for where the machine's CPU went meanwhile.

    measure.py --out NAME.json [--server-pid PID]... -- COMMAND ARGS...

Runs COMMAND, copying its output to stdout, and takes the last `BENCHJSON {...}` line it prints.
Adds to that JSON:
  wall_s         wall time of the command
  server_cpu_s   CPU seconds the server processes used (from /proc/PID/stat), if --server-pid; repeat
                 --server-pid for several nodes: the sum over all of them
  server_sys_s   the kernel-mode part of server_cpu_s (syscalls: sockets, SQLite file I/O)
  db_cpu_s       with --db-pid (PostgreSQL's postmaster): CPU seconds of it and its children (the
                 backends serving the nodes' pools); null without. A backend that exits meanwhile is lost.
  loadgen_cpu_s  CPU seconds of COMMAND and its children (wrk, or the Python driver processes)
  system_busy_s  CPU seconds all CPUs were busy (from /proc/stat)
  foreign_cpu_s  system_busy_s - server - database - load generator: anything else on the machine (a compiler,
                 another test run). Above ~0.2 cores the figures of that measurement are suspect.

`measure.py --idle SECONDS` instead prints how busy the machine is now (cores, and the busiest
processes), for the pre-flight check.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def system_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return total - idle, total


def proc_ticks(pid: int) -> tuple[int, int]:
    """(utime, stime) of a process, fields 14 and 15 of /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]), int(rest[12])
    except OSError:
        return 0, 0


def servers_ticks(pids: list[int]) -> tuple[int, int]:
    """(utime, stime) summed over the server processes (one per node)."""
    ticks = [proc_ticks(pid) for pid in pids]
    return sum(t[0] for t in ticks), sum(t[1] for t in ticks)


def tree_ticks(root: int) -> dict[int, int]:
    """utime + stime of ROOT and of its direct children, by pid (PostgreSQL: postmaster + backends)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(name) == root or int(rest[1]) == root:
            out[int(name)] = int(rest[11]) + int(rest[12])
    return out


def all_proc_ticks() -> dict[int, tuple[str, int]]:
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                data = f.read()
            comm = data[data.index("(") + 1:data.rindex(")")]
            rest = data.rsplit(")", 1)[1].split()
            out[int(name)] = (comm, int(rest[11]) + int(rest[12]))
        except (OSError, ValueError, IndexError):
            continue
    return out


def idle_check(seconds: float) -> int:
    b0, t0 = system_ticks()
    p0 = all_proc_ticks()
    time.sleep(seconds)
    b1, t1 = system_ticks()
    p1 = all_proc_ticks()
    ncpu = os.cpu_count() or 1
    busy_cores = (b1 - b0) / max(1, t1 - t0) * ncpu
    top = sorted(((p1[pid][1] - p0.get(pid, ("", 0))[1], p1[pid][0], pid) for pid in p1), reverse=True)
    top = [(d / HZ / seconds, comm, pid) for d, comm, pid in top[:4] if d > 0]
    print(json.dumps({"busy_cores": round(busy_cores, 2),
                      "top": [f"{comm}[{pid}] {c:.2f}" for c, comm, pid in top]}))
    return 0


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "--idle":
        return idle_check(float(sys.argv[2]))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--server-pid", type=int, action="append", default=[])
    ap.add_argument("--db-pid", type=int)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd

    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s0 = servers_ticks(args.server_pid)
    d0 = tree_ticks(args.db_pid) if args.db_pid else {}
    b0, _ = system_ticks()
    w0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if line.startswith("BENCHJSON "):
            last = line[len("BENCHJSON "):]
    rc = proc.wait()
    wall = time.monotonic() - w0
    b1, _ = system_ticks()
    s1 = servers_ticks(args.server_pid)
    d1 = tree_ticks(args.db_pid) if args.db_pid else {}
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)

    result = json.loads(last) if last else {"missing": True, "exit_code": rc}
    loadgen = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    server = (s1[0] + s1[1] - s0[0] - s0[1]) / HZ
    server_sys = (s1[1] - s0[1]) / HZ
    db = sum(t - d0.get(pid, 0) for pid, t in d1.items()) / HZ if args.db_pid else None
    busy = (b1 - b0) / HZ
    result.update(wall_s=wall, server_cpu_s=server, server_sys_s=server_sys, db_cpu_s=db, loadgen_cpu_s=loadgen,
                  system_busy_s=busy, foreign_cpu_s=max(0.0, busy - server - (db or 0.0) - loadgen))
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0 if last else 1


if __name__ == "__main__":
    sys.exit(main())
