#!/usr/bin/env python3
"""Idle memory of one Gatehouse process: reads /proc/PID/status, smaps_rollup and smaps and prints
the resident set (RSS) split into anonymous and file-backed pages, the proportional set (PSS,
shared pages divided among the processes mapping them), the private pages, and the mappings that
hold the most, by file. Units: MB = 10^6 bytes (the issue's targets), MiB = 2^20 bytes.

Usage: idle.py PID [--target-mb 40] [--top 12]
"""

from __future__ import annotations

import argparse
import collections
import re


def kib_fields(path: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in open(path):
        m = re.match(r"^(\w+):\s+(\d+) kB", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def by_mapping(pid: int) -> dict[tuple[str, str], collections.Counter]:
    """Rss, Pss and private pages (KiB) summed by file name and permissions (`r-xp` code, `r--p`
    read-only data, `rw-p` written data), from one reading of /proc/PID/smaps."""
    acc: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    current = ("[anonymous]", "")
    for line in open(f"/proc/{pid}/smaps"):
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            parts = line.split()
            current = (parts[5].rsplit("/", 1)[-1] if len(parts) > 5 else "[anonymous]", parts[1])
        else:
            m = re.match(r"^(Rss|Pss|Private_Clean|Private_Dirty|Anonymous):\s+(\d+) kB", line)
            if m:
                acc[current][m.group(1)] += int(m.group(2))
    return acc


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("pid", type=int)
    ap.add_argument("--target-mb", type=float, default=40.0)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    status = kib_fields(f"/proc/{args.pid}/status")
    threads = next(line.split()[1] for line in open(f"/proc/{args.pid}/status") if line.startswith("Threads:"))
    rollup = kib_fields(f"/proc/{args.pid}/smaps_rollup")
    mb = lambda kib: kib * 1024 / 1e6  # noqa: E731
    rss = status["VmRSS"]
    print(f"RSS            {mb(rss):7.1f} MB  ({rss / 1024:.1f} MiB)")
    print(f"  anonymous    {mb(status['RssAnon']):7.1f} MB  heap, caches, thread stacks: what Gatehouse allocates")
    if status.get("RssShmem"):
        print(f"  shared mem   {mb(status['RssShmem']):7.1f} MB  shared memory (SQLite's -shm files on a tmpfs, if any)")
    print(f"  file-backed  {mb(status['RssFile']):7.1f} MB  clean code and data of the binary and its libraries, shared by every process mapping the same files")
    print(f"PSS            {mb(rollup['Pss']):7.1f} MB  shared pages divided among the processes mapping them")
    private = rollup["Private_Clean"] + rollup["Private_Dirty"]
    print(f"private        {mb(private):7.1f} MB  pages no other process maps now (dirty {mb(rollup['Private_Dirty']):.1f} MB)")
    print(f"threads        {threads:>7}")

    def largest(groups: dict[str, collections.Counter]) -> None:
        for name, c in sorted(groups.items(), key=lambda kv: -kv[1]["Rss"])[: args.top]:
            print(f"{mb(c['Rss']):7.1f} {mb(c['Pss']):7.1f} {mb(c['Private_Dirty']):13.1f}  {name}")

    mappings = by_mapping(args.pid)
    files: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (name, _), c in mappings.items():
        files[name].update(c)
    print("\nlargest resident mappings, by file (MB):")
    print(f"{'rss':>7} {'pss':>7} {'private dirty':>13}  file")
    largest(files)
    print("\nthe same, split by permissions (r-xp code, r--p read-only data, rw-p written data), MB:")
    largest({f"{name} {perms}".rstrip(): c for (name, perms), c in mappings.items()})
    verdict = "meets" if mb(rss) < args.target_mb else "BELOW"
    print(f"\ntarget: idle RSS < {args.target_mb:g} MB with one tenant: {mb(rss):.1f} MB, {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
