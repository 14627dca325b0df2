"""Many-tenants benchmark driver (see bench/tenants). Standard library only."""
import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Conn:
    def __init__(self, host, port, token):
        self.c = http.client.HTTPConnection(host, port, timeout=30)
        self.h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path, body):
        self.c.request("POST", path, json.dumps(body), self.h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, data

    def get(self, path):
        self.c.request("GET", path)
        r = self.c.getresponse()
        r.read()
        return r.status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--lru", type=int, default=128)
    ap.add_argument("--data", required=True)
    ap.add_argument("--workers", type=int, default=4)
    a = ap.parse_args()
    host, port = a.url.split("//")[1].split(":")
    port = int(port)
    print(f"machine: nproc={os.cpu_count()} date={time.strftime('%Y-%m-%d %H:%M:%S')} "
          f"rev={subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()}")
    print(f"creating {a.count} tenants with {a.workers} concurrent admin connections; LRU of open tenant databases = {a.lru}")
    rss0 = rss_kib(a.pid)
    slugs = [f"bench-{i:05d}" for i in range(a.count)]
    chunks = [slugs[i::a.workers] for i in range(a.workers)]

    def create(chunk):
        c = Conn(host, port, a.token)
        times = []
        for slug in chunk:
            t = time.perf_counter()
            status, body = c.post("/admin/v1/tenants", {"slug": slug, "name": slug, "environment": "test"})
            times.append(time.perf_counter() - t)
            if status != 201:
                raise SystemExit(f"create {slug}: {status} {body[:200]!r}")
        return times

    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.workers) as ex:
        latencies = [x for part in ex.map(create, chunks) for x in part]
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    print(f"creation: {a.count} tenants in {wall:.1f} s = {wall / a.count * 1000:.2f} ms per tenant (wall, {a.workers} clients); "
          f"per request p50 {statistics.median(lat) * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms")

    # Cold first requests: tenants created early have been evicted from the LRU.
    c = Conn(host, port, a.token)
    cold = random.sample(slugs[: max(1, a.count - a.lru * 2)], min(500, max(1, a.count - a.lru * 2)))
    cold_lat = []
    for slug in cold:
        t = time.perf_counter()
        status = c.get(f"/t/{slug}/jwks.json")
        cold_lat.append(time.perf_counter() - t)
        assert status == 200, (slug, status)
    warm_lat = []
    for slug in cold[:100]:
        t = time.perf_counter()
        c.get(f"/t/{slug}/jwks.json")
        warm_lat.append(time.perf_counter() - t)
    cl = sorted(cold_lat)
    print(f"cold first request (GET jwks.json of a tenant outside the LRU, {len(cold)} samples): "
          f"p50 {statistics.median(cl) * 1000:.2f} ms, p99 {cl[int(len(cl) * 0.99)] * 1000:.2f} ms; "
          f"warm p50 {statistics.median(sorted(warm_lat)) * 1000:.2f} ms")
    time.sleep(1)
    rss = rss_kib(a.pid)
    fds = fd_count(a.pid)
    files = len(os.listdir(os.path.join(a.data, "tenants")))
    print(f"steady state: RSS {rss / 1024:.1f} MiB (at start {rss0 / 1024:.1f} MiB), open file descriptors {fds} "
          f"(LRU {a.lru}), tenant database files {files}")
    print("targets: creation < 50 ms per tenant, cold first request < 20 ms, RSS < 150 MB, fds bounded by the LRU size")


if __name__ == "__main__":
    main()
