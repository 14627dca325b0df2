import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Prometheus
import Synchronization
import GatehouseThreads

/// The instance's Prometheus metrics, exposed at `/metrics` in the text format.
///
/// Names follow Prometheus conventions: a `gatehouse_` prefix, counters end in `_total`,
/// durations are histograms in seconds ending in `_seconds`, every family has a `# HELP` line,
/// and labels carry only small, fixed sets of values. No series has a tenant label: an instance
/// may serve 10,000 tenants, and per-tenant series would multiply every family by that.
/// docs/operations.md lists every family.
final class GatehouseMetrics: Sendable {
    /// The process-wide registry (metrics are per process, like the port).
    static let shared = GatehouseMetrics()

    let registry = PrometheusCollectorRegistry()
    private let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private init() {
        registry.makeGauge(
            name: "gatehouse_build_info", labels: [("version", GatehouseVersion.current)],
            help: "Always 1; the version label names this build."
        ).set(Double(1))
    }

    // MARK: HTTP

    /// One answered request: `route` is the route template (`/t/{slug}/token`), never the path.
    func request(route: String, method: HTTPRequest.Method, status: Int, duration: Duration) {
        let key = HTTPSeriesKey(route: route, method: method.rawValue, statusClass: status / 100)
        let series =
            httpSeries.withLock { $0[key] }
            ?? {
                let made = (
                    requests: registry.makeCounter(
                        name: "gatehouse_http_requests_total",
                        labels: [("route", route), ("method", key.method), ("status_class", "\(key.statusClass)xx")],
                        help: "HTTP requests answered, by route template, method and status class."),
                    duration: registry.makeDurationHistogram(
                        name: "gatehouse_http_request_duration_seconds", labels: [("route", route), ("method", key.method)],
                        buckets: durationBuckets, help: "Time from the request head to the response head, by route template and method.")
                )
                httpSeries.withLock { $0[key] = made }
                return made
            }()
        series.requests.increment()
        series.duration.recordNanoseconds(duration.nanoseconds)
    }

    /// The HTTP series already made, so that a request costs one dictionary lookup rather than
    /// two registry lookups (each re-checking the help text). Bounded: route templates, methods
    /// and status classes are small fixed sets (unmatched paths share one route value).
    private let httpSeries = Mutex<[HTTPSeriesKey: (requests: Counter, duration: DurationHistogram)]>([:])

    private struct HTTPSeriesKey: Hashable {
        let route: String
        let method: String
        let statusClass: Int
    }

    // MARK: Protocol and accounts

    /// Tokens issued by the token endpoint, by `grant_type` (RFC 6749 §4).
    func tokenIssued(grantType: String) {
        registry.makeCounter(
            name: "gatehouse_tokens_issued_total", labels: [("grant_type", Self.bounded(grantType, GrantType.allCases.map(\.rawValue)))],
            help: "Successful token endpoint responses, by grant type."
        ).increment()
    }

    /// The totals of `StoreEvents` counters already reported, by series (the store counts them; see `exposition`).
    private let reportedStoreEvents = Mutex<[String: Int]>([:])

    /// Advances the counter `name` with `labels` to `total`, a count the store keeps. The total is
    /// read under the lock, so that concurrent scrapes neither count a step twice nor move back.
    private func storeCounter(_ name: String, _ labels: [(String, String)], help: String, total: borrowing Atomic<Int>) {
        let series = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = reportedStoreEvents.withLock { reported in
            let now = total.load(ordering: .relaxed)
            let before = reported[series] ?? 0
            reported[series] = max(before, now)
            return now - before
        }
        registry.makeCounter(name: name, labels: labels, help: help).increment(by: Int64(max(delta, 0)))
    }

    /// A sign-in attempt: `method` `password`, `magic_link`, `federation`, `second_factor`;
    /// `outcome` `success`, `failure`, `throttled`, `busy`.
    func signIn(method: String, outcome: String) {
        registry.makeCounter(
            name: "gatehouse_sign_ins_total",
            labels: [
                ("method", Self.bounded(method, ["password", "magic_link", "federation", "second_factor"])),
                ("outcome", Self.bounded(outcome, ["success", "failure", "throttled", "busy"])),
            ],
            help: "Sign-in steps, by method and outcome."
        ).increment()
    }

    /// A request refused by an abuse control (`kind`: the limit's name).
    func throttleRefusal(kind: String) {
        registry.makeCounter(
            name: "gatehouse_throttle_refusals_total", labels: [("kind", kind)],
            help: "Requests refused by sign-in throttles and per-IP rate limits, by limit."
        ).increment()
    }

    // MARK: Mail

    enum MailOutcome: String { case delivered, failedAttempt = "failed_attempt", givenUp = "given_up" }

    /// A delivery attempt of the mail outbox.
    func mail(_ outcome: MailOutcome) {
        registry.makeCounter(
            name: "gatehouse_mail_deliveries_total", labels: [("outcome", outcome.rawValue)],
            help: "Mail delivery attempts: delivered, failed_attempt (retried later), given_up."
        ).increment()
    }

    // MARK: Scrape-time gauges

    /// Sets the gauges read at scrape time and returns the exposition text.
    func exposition(services: Services) async -> [UInt8] {
        let pool = services.passwords.pool
        registry.makeGauge(name: "gatehouse_hashing_pool_jobs", help: "Password hashing jobs running or queued.").set(Double(pool.load))
        registry.makeGauge(name: "gatehouse_hashing_pool_capacity", help: "Jobs the hashing pool accepts before answering 503.")
            .set(Double(pool.workers + pool.queueLimit))
        registry.makeGauge(name: "gatehouse_tenant_databases_open", help: "Tenant databases open in the LRU.")
            .set(Double(services.store.openDatabaseCount))
        registry.makeGauge(name: "gatehouse_tenants", help: "Tenants of this instance.").set(Double(services.store.tenants().count))
        if let pending = try? await services.store.tenantsWithPendingMail() {
            registry.makeGauge(name: "gatehouse_mail_outbox_tenants", help: "Tenants with mail waiting in their outbox.").set(Double(pending))
        }
        if let heap = HeapMemory.usage() {
            registry.makeGauge(name: "gatehouse_heap_in_use_bytes", help: "C heap (malloc) bytes in use.").set(Double(heap.inUse))
            registry.makeGauge(name: "gatehouse_heap_reserved_bytes", help: "C heap (malloc) bytes held from the system, in use or free.")
                .set(Double(heap.reserved))
        }
        registry.makeGauge(
            name: "gatehouse_sqlite_memory_bytes",
            help: "Heap bytes SQLite holds for every database of this process: page caches, prepared statements, schemas."
        ).set(Double(SQLiteMemory.inUse))
        // RFC 9700 §4.14.2: a rotated refresh token presented again after the grace window.
        storeCounter(
            "gatehouse_refresh_token_reuse_detected_total", [],
            help: "Rotated refresh tokens presented again after the grace window; each revoked its grant.",
            total: StoreEvents.refreshTokenReuse)
        let checkpointHelp =
            "WAL frames (pages) of tenant databases copied into their files by checkpoints: on the background thread, or on a writer (catch-ups after a background pass, a WAL past 8,000 frames). Always 0 on PostgreSQL."
        storeCounter(
            "gatehouse_sqlite_wal_checkpointed_frames_total", [("on", "background")], help: checkpointHelp,
            total: StoreEvents.walFramesCheckpointedInBackground)
        storeCounter(
            "gatehouse_sqlite_wal_checkpointed_frames_total", [("on", "writer")], help: checkpointHelp,
            total: StoreEvents.walFramesCheckpointedOnWriter)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    /// `value` when it is one of `known`, else `other`: label values stay a small set whatever a client sends.
    static func bounded(_ value: String, _ known: [String]) -> String { known.contains(value) ? value : "other" }
}

extension Duration {
    /// Whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
