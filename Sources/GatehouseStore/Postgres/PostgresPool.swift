import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The node's bounded connection pool, renewed when it gets old: a `PostgresClient` that is
/// replaced by a fresh one once it has served `lifetime`; the old one takes no new work and is
/// shut down `drain` later, so that statements and transactions already running on it finish.
///
/// Why: every PostgreSQL backend keeps the catalog of each tenant schema it has touched (≈ 40 KiB
/// per schema), and each catalog change anywhere in the database (a tenant schema created,
/// migrated or dropped) costs every backend time in proportion to those schemas. postgres-nio's
/// pool has no maximum connection lifetime and a busy pool never idles a connection out, so
/// without renewal a node's backends grow with every tenant it has served (bench/README.md,
/// "Tenants as schemas"). Renewal is lazy: the first use after `lifetime` makes the new client.
final class PostgresPool: Sendable {
    private struct Generation: Sendable {
        let client: PostgresClient
        let running: Task<Void, Never>
        let born: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var current: Generation
        /// Old generations still draining, by serial number.
        var retired: [Int: Generation] = [:]
        var serial = 1
        var closed = false
    }

    /// How long one client serves new work; `nil`: forever.
    let lifetime: Duration?
    /// How long a replaced client keeps running for the work it already holds.
    let drain: Duration
    private let make: @Sendable () -> PostgresClient
    private let state: Mutex<State>

    /// - Parameters:
    ///   - lifetime: age after which the next use makes a new client; `nil` or zero: never.
    ///   - drain: how long a replaced client still runs before it is shut down.
    ///   - make: a new, not yet running client (its run loop is started here).
    init(lifetime: Duration?, drain: Duration = .seconds(30), make: @escaping @Sendable () -> PostgresClient) {
        self.lifetime = lifetime.flatMap { $0 > .zero ? $0 : nil }
        self.drain = drain
        self.make = make
        let client = make()
        let first = Generation(client: client, running: Task { await client.run() }, born: .now)
        self.state = Mutex(State(current: first))
    }

    /// Clients made so far (1, plus one per renewal).
    var generations: Int { state.withLock { $0.serial } }

    /// The client to use now: the current one, or a new one if the current one has served its
    /// lifetime (the old one is then drained in the background).
    var client: PostgresClient {
        let now = ContinuousClock.now
        let (client, retiring) = state.withLock { s -> (PostgresClient, Int?) in
            guard !s.closed, let lifetime, now - s.current.born >= lifetime else { return (s.current.client, nil) }
            s.retired[s.serial] = s.current
            let fresh = make()
            s.current = Generation(client: fresh, running: Task { await fresh.run() }, born: now)
            defer { s.serial += 1 }
            return (fresh, s.serial)
        }
        if let retiring {
            let drain = self.drain
            Task { [weak self] in
                try? await Task.sleep(for: drain)
                self?.retire(retiring)
            }
        }
        return client
    }

    /// Makes the current client count as having served its lifetime, so that the next use renews
    /// the pool (tests: renewal without waiting on the wall clock). No effect without a lifetime.
    func expireCurrent() {
        state.withLock { s in
            guard let lifetime else { return }
            s.current = Generation(client: s.current.client, running: s.current.running, born: .now - lifetime)
        }
    }

    private func retire(_ serial: Int) {
        state.withLock { $0.retired.removeValue(forKey: serial) }?.running.cancel()
    }

    /// Shuts every client down (the current and the draining ones), without waiting; later uses
    /// fail with `PSQLError.poolClosed`.
    func shutdown() {
        let all = state.withLock { s -> [Generation] in
            s.closed = true
            defer { s.retired = [:] }
            return [s.current] + Array(s.retired.values)
        }
        for generation in all { generation.running.cancel() }
    }

    /// Waits for the current client's run loop to end (after `shutdown()`).
    func waitUntilStopped() async {
        let running = state.withLock { $0.current.running }
        await running.value
    }

    // MARK: The client's calls, on the current client

    /// `PostgresClient.query` on the current client.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws
        -> PostgresRowSequence
    {
        try await client.query(query, logger: logger, file: file, line: line)
    }

    /// `PostgresClient.transaction` (rolled back when `body` throws; the body's own error) on
    /// the current client.
    func transaction<T>(
        logger: Logger, isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        try await client.transaction(logger: logger, isolation: isolation, body)
    }
}
