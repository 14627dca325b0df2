import Foundation
import GatehouseCore
@testable import GatehouseStore
import Logging
import PostgresNIO
import Testing

/// `PostgresPool`: the node's pool is replaced by a fresh one after its lifetime (new PostgreSQL
/// backends, which have touched no tenant schema yet), work already running on the old one
/// finishes, and the old one's connections are closed after the drain.
@Suite("PostgreSQL: pool renewal")
struct PostgresPoolTests {
    static let logger = Logger(label: "gatehouse.pool-tests")

    static func pool(lifetime: Duration?, drain: Duration) throws -> PostgresPool {
        let configuration = try PostgresStoreConfiguration(url: try #require(PostgresFixture.url), maxConnections: 2)
            .clientConfiguration()
        return PostgresPool(lifetime: lifetime, drain: drain) { PostgresClient(configuration: configuration, backgroundLogger: logger) }
    }

    static func backend(_ pool: PostgresPool) async throws -> Int32 {
        var pid: Int32 = 0
        for try await value in try await pool.query("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) { pid = value }
        return pid
    }

    static func alive(_ pid: Int32, on pool: PostgresPool) async throws -> Bool {
        var count = 0
        let rows = try await pool.query("SELECT count(*)::int FROM pg_stat_activity WHERE pid = \(pid)", logger: logger)
        for try await value in rows.decode(Int.self) { count = value }
        return count == 1
    }

    @Test(
        "after its lifetime the pool is a new client on new backends; the old backends are closed after the drain",
        .enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
    func renewal() async throws {
        // Ages are set with expireCurrent(), not slept through: a loaded machine makes any
        // wall-clock lifetime short enough for a test race the queries that must precede it.
        // A drain long enough that the checks before it end first on a loaded machine.
        let pool = try Self.pool(lifetime: .seconds(3600), drain: .seconds(45))
        defer { pool.shutdown() }
        let first = try await Self.backend(pool)
        #expect(try await Self.backend(pool) == first)
        #expect(pool.generations == 1)
        pool.expireCurrent()
        let second = try await Self.backend(pool)
        #expect(pool.generations == 2)
        #expect(second != first)
        #expect(try await Self.alive(first, on: pool), "the old client is still draining")
        var closed = false
        for _ in 0..<900 where !closed {
            try await Task.sleep(for: .milliseconds(100))
            closed = try await !Self.alive(first, on: pool)
        }
        #expect(closed, "the old client's backend is gone after the drain")
    }

    @Test(
        "a transaction running when the pool is renewed commits on its old connection",
        .enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
    func transactionAcrossRenewal() async throws {
        let pool = try Self.pool(lifetime: .seconds(3600), drain: .seconds(30))
        defer { pool.shutdown() }
        let table = "pool_test_\(UInt32.random(in: 0...UInt32.max))"
        try await pool.query("CREATE TABLE \(unescaped: table) (n int)", logger: Self.logger)
        let old = try await pool.transaction(logger: Self.logger) { connection -> Int32 in
            try await connection.query("INSERT INTO \(unescaped: table) VALUES (1)", logger: Self.logger)
            pool.expireCurrent()
            #expect(try await Self.backend(pool) != 0)  // this use renews the pool
            try await connection.query("INSERT INTO \(unescaped: table) VALUES (2)", logger: Self.logger)
            var pid: Int32 = 0
            for try await v in try await connection.query("SELECT pg_backend_pid()", logger: Self.logger).decode(Int32.self) { pid = v }
            return pid
        }
        #expect(pool.generations == 2)
        #expect(try await Self.backend(pool) != old)
        var count = 0
        for try await v in try await pool.query("SELECT count(*)::int FROM \(unescaped: table)", logger: Self.logger).decode(Int.self) {
            count = v
        }
        #expect(count == 2)
        try await pool.query("DROP TABLE \(unescaped: table)", logger: Self.logger)
    }

    @Test(
        "without a lifetime (nil or zero) the pool is never renewed",
        .enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
    func noLifetime() async throws {
        for lifetime: Duration? in [nil, .zero] {
            let pool = try Self.pool(lifetime: lifetime, drain: .milliseconds(100))
            defer { pool.shutdown() }
            let first = try await Self.backend(pool)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.backend(pool) == first)
            #expect(pool.generations == 1)
        }
    }

    @Test(
        "a store whose pool is renewed keeps serving its tenants, on fresh backends",
        .enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
    func storeAcrossRenewals() async throws {
        try await PostgresFixture.with { fixture in
            let store = try await fixture.open(connectionLifetime: 3600)
            defer { store.shutdown() }
            let created = try await store.createTenant(slug: "renewed", name: "Renewed", environment: .dev, settings: TenantSettings())
            let before = try await Self.backend(store.client)
            store.client.expireCurrent()
            let tenant = try #require(try await store.find(slug: "renewed"))
            #expect(tenant.id == created.id)
            #expect(try await !store.database(for: tenant).signingKeyRecords().isEmpty)
            #expect(store.client.generations >= 2)
            #expect(try await Self.backend(store.client) != before)
            _ = try await store.createTenant(slug: "renewed-2", name: "Renewed 2", environment: .dev, settings: TenantSettings())
        }
    }
}
