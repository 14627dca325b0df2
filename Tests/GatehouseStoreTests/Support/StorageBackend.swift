import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// A backend of the whole `TenantStorage` (the web layer's protocols: accounts, second factors,
/// federation, mail, templates, keys). PostgreSQL is in `all` when the test cluster's URL is set
/// (`PostgresFixture.url`) (docs/architecture.md, Storage).
struct StorageBackend: Sendable, CustomTestStringConvertible {
    let name: String
    /// Runs `body` with the instance store, two fresh tenants (A, B) of it and the instance clock.
    let withInstance:
        @Sendable (_ body: @Sendable (any InstanceStorage, any TenantHandle, any TenantHandle, TestClock) async throws -> Void) async throws ->
            Void

    var testDescription: String { name }

    /// Runs `body` with two fresh tenants (A, B) of one instance and the instance clock.
    func withPair(_ body: @escaping @Sendable (any TenantStorage, any TenantStorage, TestClock) async throws -> Void) async throws {
        try await withInstance { _, a, b, clock in try await body(a, b, clock) }
    }

    static let all: [StorageBackend] = [sqlite] + (PostgresFixture.url == nil ? [] : [postgres])

    /// GatehouseStore: one SQLite file per tenant under a temporary data folder.
    static let sqlite = StorageBackend(name: "SQLite (GatehouseStore)") { body in
        try await StoreFixture.withStore { store, fixture in try await body(store, try await tenantA(store), try await tenantB(store), fixture.clock) }
    }

    /// GatehouseStore's PostgreSQL backend: one schema per tenant under a prefix of the case's own.
    static let postgres = StorageBackend(name: "PostgreSQL (GatehouseStore)") { body in
        try await PostgresFixture.withStore { store, fixture in
            try await body(store, try await tenantA(store), try await tenantB(store), fixture.clock)
        }
    }

    static func tenantA(_ store: any InstanceStorage) async throws -> any TenantHandle {
        try await store.storage(for: try await store.makeTenant("tenant-a"))
    }

    static func tenantB(_ store: any InstanceStorage) async throws -> any TenantHandle {
        try await store.storage(for: try await store.makeTenant("tenant-b"))
    }
}

extension StorageBackend {
    /// Runs `body` with tenants A and B and a user of A (email `email`) created at the clock's time.
    func withUser(
        email: String = "shared@example.com",
        _ body: @Sendable @escaping (any TenantStorage, any TenantStorage, User, Date) async throws -> Void
    ) async throws {
        try await withPair { a, b, clock in
            let now = clock.now
            let user = Seed.user(email: email, at: now)
            try await a.insertUser(user)
            try await body(a, b, user, now)
        }
    }
}

/// Racing requests for consume-once cases.
enum Race {
    /// Runs `body` `count` times concurrently, with the index of each run.
    /// - Returns: every result, in completion order.
    static func run<T: Sendable>(_ count: Int, _ body: @Sendable @escaping (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: T.self) { group in
            for index in 0..<count { group.addTask { try await body(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}
