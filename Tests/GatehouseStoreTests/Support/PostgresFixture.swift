import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Logging
import Testing

/// An instance on the PostgreSQL test cluster (`GATEHOUSE_TEST_DATABASE_URL`, started by
/// `scripts/test` with `scripts/postgres-cluster`), under a schema prefix of its own so that
/// fixtures running in parallel never see each other; its schemas are dropped afterwards.
struct PostgresFixture: Sendable {
    /// The test cluster's URL, or nil when the PostgreSQL backend is not under test here.
    static let url: String? = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    let url: String
    let prefix: String
    let masterKey: [UInt8]
    let clock: TestClock

    /// Opens a new instance store on this fixture's schemas (as another node or a restart would).
    func open(maxOpenTenants: Int = 1024, masterKey other: [UInt8]? = nil) async throws -> PostgresInstanceStore {
        try await PostgresInstanceStore.open(
            configuration: PostgresStoreConfiguration(url: url, schemaPrefix: prefix, maxConnections: 8, maxOpenTenants: maxOpenTenants),
            masterKey: other ?? masterKey, clock: clock, logger: Logger(label: "gatehouse.store-tests"))
    }

    /// Runs `body` with a fixture under a fresh prefix and drops every schema of that prefix
    /// afterwards, whatever happens.
    static func with<T>(clock: TestClock = TestClock(), _ body: (PostgresFixture) async throws -> T) async throws -> T {
        guard let url else { throw StoreError.unavailable("GATEHOUSE_TEST_DATABASE_URL is not set") }
        let prefix = "t" + String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(12))
        let fixture = PostgresFixture(url: url, prefix: prefix, masterKey: SecretBox.generateKey(), clock: clock)
        do {
            let result = try await body(fixture)
            try await fixture.dropSchemas()
            return result
        } catch {
            try? await fixture.dropSchemas()
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

    /// Drops every schema whose name starts with this fixture's prefix.
    func dropSchemas() async throws {
        let store = try await open()
        defer { store.shutdown() }
        try await store.dropSchemas(startingWith: prefix + "_")
    }
}
