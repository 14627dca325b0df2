import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Synchronization
import Logging
import Testing

/// An instance on the PostgreSQL test cluster (`GATEHOUSE_TEST_DATABASE_URL`, started by
/// `scripts/test` with `scripts/postgres-cluster`), under a schema prefix of its own so that
/// fixtures running in parallel never see each other; its schemas are dropped afterwards.
final class PostgresFixture: Sendable {
    /// The test cluster's URL, or nil when the PostgreSQL backend is not under test here.
    static let url: String? = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    let url: String
    let prefix: String

    init(url: String, prefix: String, masterKey: [UInt8], clock: TestClock) {
        self.url = url
        self.prefix = prefix
        self.masterKey = masterKey
        self.clock = clock
    }

    let masterKey: [UInt8]
    let clock: TestClock
    /// Every store opened here, shut down when the fixture ends.
    let opened = Mutex<[PostgresInstanceStore]>([])

    /// Opens a new instance store on this fixture's schemas (as another node or a restart would).
    func open(maxOpenTenants: Int = 1024, masterKey other: [UInt8]? = nil, connectionLifetime: TimeInterval? = 60) async throws
        -> PostgresInstanceStore
    {
        var configuration = PostgresStoreConfiguration(
            url: url, schemaPrefix: prefix, maxConnections: 8, maxOpenTenants: maxOpenTenants, connectionLifetime: connectionLifetime)
        // The whole suite runs in parallel on two cores: a start waits longer than a node would.
        configuration.startupTimeout = 90
        let store = try await PostgresInstanceStore.open(
            configuration: configuration,
            masterKey: other ?? masterKey, clock: clock, logger: Logger(label: "gatehouse.store-tests"))
        opened.withLock { $0.append(store) }
        return store
    }

    /// Fixtures that may run at once: each store keeps up to 8 connections and a test may open
    /// several nodes, so without a bound the parallel test run exceeds the cluster's connections.
    static let gate = FixtureGate(slots: 10)

    /// Runs `body` with a fixture under a fresh prefix and drops every schema of that prefix
    /// afterwards, whatever happens. Waits for one of ``gate``'s slots first.
    static func with<T>(clock: TestClock = TestClock(), _ body: (PostgresFixture) async throws -> T) async throws -> T {
        guard url != nil else { throw StoreError.unavailable("GATEHOUSE_TEST_DATABASE_URL is not set") }
        await gate.enter()
        defer { Task { await gate.leave() } }
        return try await withinSlot(clock: clock, body)
    }

    static func withinSlot<T>(clock: TestClock, _ body: (PostgresFixture) async throws -> T) async throws -> T {
        guard let url else { throw StoreError.unavailable("GATEHOUSE_TEST_DATABASE_URL is not set") }
        let prefix = "t" + String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(12))
        let fixture = PostgresFixture(url: url, prefix: prefix, masterKey: SecretBox.generateKey(), clock: clock)
        do {
            let result = try await body(fixture)
            try await fixture.end()
            return result
        } catch {
            try? await fixture.end()
            throw error
        }
    }

    /// Runs `body` with an open store under a fresh prefix.
    static func withStore<T>(
        clock: TestClock = TestClock(), _ body: (PostgresInstanceStore, PostgresFixture) async throws -> T
    ) async throws -> T {
        try await with(clock: clock) { fixture in
            let store = try await fixture.open()
            defer { store.shutdown() }
            return try await body(store, fixture)
        }
    }

    /// Shuts every store of the fixture down and drops every schema of its prefix.
    func end() async throws {
        for store in opened.withLock({ $0 }) { store.shutdown() }
        let store = try await open()
        defer { store.shutdown() }
        try await store.dropSchemas(startingWith: prefix + "_")
    }
}

/// A counting semaphore for test fixtures: `enter` waits while every slot is taken.
actor FixtureGate {
    var free: Int
    var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) { free = slots }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
