"""Many-tenants benchmark driver (see bench/tenants). Standard library only.

--phase all (default): create --count tenants, then first requests to cold tenants (outside the
LRU of open tenant stores), RSS and file descriptors. With --database-url (PostgreSQL) it also
reports the catalog: pg_database_size, tenant schemas, relations in pg_class.
--phase cold: no creation; the node at --url has never served any of the --count tenants (a node
started after they were created), so every sampled tenant is cold for it.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory_parts_mib(pid):
    """RssAnon and RssFile of the process, MiB."""
    parts = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:")):
                name, value = line.split()[:2]
                parts[name.rstrip(":")] = int(value) / 1024
    return parts


def gauges_mib(conn):
    """The server's memory gauges from /metrics, MiB: heap in use, heap held, SQLite's part, open tenant databases."""
    conn.c.request("GET", "/metrics")
    r = conn.c.getresponse()
    text = r.read().decode()
    found = {}
    for line in text.splitlines():
        for name in ("gatehouse_heap_in_use_bytes", "gatehouse_heap_reserved_bytes", "gatehouse_sqlite_memory_bytes",
                     "gatehouse_tenant_databases_open"):
            if line.startswith(name + " "):
                found[name] = float(line.split()[1])
    return found


def report_memory(pid, conn, label):
    parts, g = memory_parts_mib(pid), gauges_mib(conn)
    if g:
        mib = 1024 * 1024
        print(f"{label}: RssAnon {parts.get('RssAnon', 0):.1f} MiB, RssFile {parts.get('RssFile', 0):.1f} MiB; C heap in use "
              f"{g.get('gatehouse_heap_in_use_bytes', 0) / mib:.1f} MiB (SQLite {g.get('gatehouse_sqlite_memory_bytes', 0) / mib:.1f} MiB "
              f"with {g.get('gatehouse_tenant_databases_open', 0):.0f} tenant handles open), "
              f"held {g.get('gatehouse_heap_reserved_bytes', 0) / mib:.1f} MiB")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def pg_backends_anon_kib(data_dir):
    """Private memory (RssAnon) of the PostgreSQL server processes of the cluster in data_dir:
    (sum, largest), KiB. Shared buffers are not private, so they are not counted."""
    try:
        with open(os.path.join(data_dir, "postmaster.pid")) as f:
            pm = int(f.readline())
        children = subprocess.run(["pgrep", "-P", str(pm)], capture_output=True, text=True).stdout.split()
    except (OSError, ValueError):
        return 0, 0
    sizes = []
    for c in children:
        try:
            with open(f"/proc/{c}/status") as f:
                sizes += [int(line.split()[1]) for line in f if line.startswith("RssAnon:")]
        except OSError:
            pass
    return sum(sizes), max(sizes, default=0)


def load():
    """The machine's load average over 1, 5 and 15 minutes (other processes' share of the CPUs)."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pct(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


class Conn:
    def __init__(self, host, port, token):
        self.c = http.client.HTTPConnection(host, port, timeout=float(os.environ.get("BENCH_HTTP_TIMEOUT", "120")))
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


def psql(url, sql):
    """One value from PostgreSQL through the psql client (the newest installed)."""
    binary = shutil.which("psql") or sorted(
        (f"/usr/lib/postgresql/{v}/bin/psql" for v in os.listdir("/usr/lib/postgresql")),
        key=lambda x: int(x.split("/")[4]))[-1]
    return subprocess.run([binary, url, "-qAt", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def db_size(url):
    return int(psql(url, "SELECT pg_database_size(current_database())"))


def catalog(url, size0):
    """Prints the catalog after creation; size0 = pg_database_size before it."""
    size = db_size(url)
    schemas = int(psql(url, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'gatehouse_t_%'"))
    rels = int(psql(url, "SELECT count(*) FROM pg_class"))
    tenant_rels = int(psql(url, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                "WHERE n.nspname LIKE 'gatehouse_t_%'"))
    attrs = int(psql(url, "SELECT count(*) FROM pg_attribute"))
    kinds = psql(url, "SELECT string_agg(k || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT CASE c.relkind WHEN 'r' THEN "
                      "'tables' WHEN 'i' THEN 'indexes' WHEN 'S' THEN 'sequences' ELSE c.relkind::text END AS k, count(*) AS n "
                      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'gatehouse_t_%' "
                      "GROUP BY 1) x")
    toast = int(psql(url, "SELECT count(*) FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid JOIN pg_namespace n "
                          "ON n.oid = c.relnamespace WHERE n.nspname LIKE 'gatehouse_t_%'"))
    print(f"catalog: database {size / 2**20:,.1f} MiB (was {size0 / 2**20:,.1f} MiB before creation: "
          f"{(size - size0) / max(1, schemas) / 1024:,.1f} KiB per tenant schema); "
          f"{schemas} tenant schemas; pg_class {rels:,} relations ({tenant_rels:,} in tenant schemas = "
          f"{tenant_rels / max(1, schemas):.1f} per tenant: tables, indexes, sequences, TOAST); "
          f"pg_attribute {attrs:,} rows\n  tenant schemas hold {kinds}; plus {toast:,} TOAST tables (each with its index) in pg_toast")


def cold_requests(c, cold):
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
    return sorted(cold_lat), sorted(warm_lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--lru", type=int, default=128)
    ap.add_argument("--data", required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--phase", choices=["all", "cold"], default="all")
    ap.add_argument("--database-url", help="PostgreSQL backend: report the catalog")
    ap.add_argument("--pg-data", help="PostgreSQL backend: the cluster's data folder (backend memory)")
    ap.add_argument("--bucket", type=int, default=1000, help="tenants per line of the creation table")
    ap.add_argument("--settle", type=int, default=0,
                    help="seconds without requests after which memory is read again (the server releases idle "
                         "tenants' memory once a minute)")
    a = ap.parse_args()
    host, port = a.url.split("//")[1].split(":")
    port = int(port)
    print(f"machine: nproc={os.cpu_count()} date={time.strftime('%Y-%m-%d %H:%M:%S')} "
          f"rev={subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()} "
          f"load={load()}")
    slugs = [f"bench-{i:05d}" for i in range(a.count)]
    # BENCH_DEADLINE (Unix time): creation stops there and the rest is measured on the tenants made.
    deadline = float(os.environ.get("BENCH_DEADLINE") or "inf")
    created_file = os.path.join(os.path.dirname(os.path.abspath(a.data)), "created-slugs.txt")
    if a.phase == "cold":
        if os.path.exists(created_file):
            with open(created_file) as f:
                slugs = f.read().split()
        c = Conn(host, port, a.token)
        rss0 = rss_kib(a.pid)
        cl, wl = cold_requests(c, random.sample(slugs, min(500, a.count)))
        print(f"fresh node, cold first request (GET jwks.json of a tenant this node never served, {len(cl)} samples): "
              f"p50 {statistics.median(cl) * 1000:.2f} ms, p99 {pct(cl, 0.99) * 1000:.2f} ms; "
              f"warm p50 {statistics.median(wl) * 1000:.2f} ms, p99 {pct(wl, 0.99) * 1000:.2f} ms")
        time.sleep(1)
        print(f"fresh node: RSS {rss_kib(a.pid) / 1024:.1f} MiB (at start {rss0 / 1024:.1f} MiB), "
              f"open file descriptors {fd_count(a.pid)}")
        if a.pg_data:
            anon, largest = pg_backends_anon_kib(a.pg_data)
            print(f"PostgreSQL private memory (RssAnon of the server processes, both nodes' pools): {anon / 1024:,.0f} MiB, "
                  f"largest process {largest / 1024:,.0f} MiB")
        return
    print(f"creating {a.count} tenants with {a.workers} concurrent admin connections; LRU of open tenant databases = {a.lru}")
    rss0 = rss_kib(a.pid)
    size0 = db_size(a.database_url) if a.database_url else 0
    chunks = [slugs[i::a.workers] for i in range(a.workers)]

    done = []  # (finished at, seconds), in completion order (list.append is atomic)
    progress = open(os.path.join(a.data, "creation-progress.log"), "a", buffering=1)

    def create(chunk):
        c = Conn(host, port, a.token)
        for slug in chunk:
            if time.time() > deadline:
                return
            t = time.perf_counter()
            try:
                status, body = c.post("/admin/v1/tenants", {"slug": slug, "name": slug, "environment": "test"})
            except Exception as e:  # a timeout: say where, and stop
                raise SystemExit(f"create {slug} after {len(done)} tenants: {e!r} ({time.perf_counter() - t:.1f} s)")
            end = time.perf_counter()
            done.append((end, end - t))
            created.append(slug)
            if status != 201:
                raise SystemExit(f"create {slug}: {status} {body[:200]!r}")
            n = len(done)
            if n % 100 == 0:
                window = sorted(x for _, x in done[-100:])
                anon, largest = pg_backends_anon_kib(a.pg_data) if a.pg_data else (0, 0)
                progress.write(f"{time.strftime('%H:%M:%S')} {n} tenants {end - t0:.1f} s; last 100: p50 "
                               f"{statistics.median(window) * 1000:.0f} ms p99 {pct(window, 0.99) * 1000:.0f} ms; node RSS "
                               f"{rss_kib(a.pid) / 1024:.0f} MiB; db private {anon / 1024:.0f} MiB (largest {largest / 1024:.0f}); "
                               f"load {load()}\n")

    created = []
    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.workers) as ex:
        list(ex.map(create, chunks))
    wall = time.perf_counter() - t0
    with open(created_file, "w") as f:
        f.write("\n".join(created))
    if len(created) < a.count:
        print(f"creation stopped at BENCH_DEADLINE after {len(created)} of {a.count} tenants")
        a.count = len(created)
        slugs = created
    lat = sorted(x for _, x in done)
    print(f"creation: {a.count} tenants in {wall:.1f} s = {wall / a.count * 1000:.2f} ms per tenant (wall, {a.workers} clients); "
          f"per request p50 {statistics.median(lat) * 1000:.1f} ms, p99 {pct(lat, 0.99) * 1000:.1f} ms; load now {load()}")
    print(f"  {'tenants':>13}  {'wall s':>7}  {'per s':>6}  {'p50 ms':>7}  {'p99 ms':>7}  {'max ms':>7}")
    prev = t0
    for i in range(0, len(done), a.bucket):
        part = done[i:i + a.bucket]
        w = sorted(x for _, x in part)
        span = part[-1][0] - prev
        prev = part[-1][0]
        print(f"  {i + 1:>6}-{i + len(part):<6}  {span:>7.1f}  {len(part) / span:>6.1f}  {statistics.median(w) * 1000:>7.1f}  "
              f"{pct(w, 0.99) * 1000:>7.1f}  {w[-1] * 1000:>7.1f}")

    # Cold first requests: tenants created early have been evicted from the LRU.
    c = Conn(host, port, a.token)
    cold = random.sample(slugs[: max(1, a.count - a.lru * 2)], min(500, max(1, a.count - a.lru * 2)))
    cl, warm_lat = cold_requests(c, cold)
    print(f"cold first request (GET jwks.json of a tenant outside the LRU, {len(cold)} samples): "
          f"p50 {statistics.median(cl) * 1000:.2f} ms, p99 {pct(cl, 0.99) * 1000:.2f} ms; "
          f"warm p50 {statistics.median(warm_lat) * 1000:.2f} ms, p99 {pct(warm_lat, 0.99) * 1000:.2f} ms")
    time.sleep(1)
    rss = rss_kib(a.pid)
    fds = fd_count(a.pid)
    tenants_dir = os.path.join(a.data, "tenants")
    files = len(os.listdir(tenants_dir)) if os.path.isdir(tenants_dir) else 0
    print(f"steady state: RSS {rss / 1024:.1f} MiB (at start {rss0 / 1024:.1f} MiB), open file descriptors {fds} "
          f"(LRU {a.lru}), tenant database files {files}")
    report_memory(a.pid, c, "memory")
    rss_settled = None
    if a.settle > 0:
        time.sleep(a.settle)
        rss_settled = rss_kib(a.pid)
        print(f"after {a.settle} s without requests: RSS {rss_settled / 1024:.1f} MiB, open file descriptors {fd_count(a.pid)}")
        report_memory(a.pid, Conn(host, port, a.token), "memory")
    if a.database_url:
        catalog(a.database_url, size0)
    if a.pg_data:
        anon, largest = pg_backends_anon_kib(a.pg_data)
        print(f"PostgreSQL private memory (RssAnon of the server processes): {anon / 1024:,.0f} MiB, largest process "
              f"{largest / 1024:,.0f} MiB")
    print("targets: creation < 50 ms per tenant, cold first request < 20 ms, RSS < 120 MB (issue 15; 150 MB in issue 3), "
          "fds bounded by the LRU size")
    # The RSS target in MB (10^6 bytes), against both moments: right after the cold requests
    # (the LRU full of databases just used) and after the idle release.
    moments = [("right after the cold requests", rss)] + ([(f"after {a.settle} s idle", rss_settled)] if rss_settled else [])
    for label, kib in moments:
        mb = kib * 1024 / 1e6
        print(f"RSS < 120 MB {label}: {mb:.1f} MB, {'meets' if mb < 120 else 'BELOW'}")


if __name__ == "__main__":
    main()
