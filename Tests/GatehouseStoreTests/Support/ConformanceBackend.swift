import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseStoreTesting
import Testing

/// One tenant of a backend under the conformance suite: its `TenantStore` (the protocols the core
/// uses: clients, users, sessions, interactions, grants and tokens), plus the admin operations
/// those leave out (creating users and clients), needed to seed rows.
struct TenantUnderTest: Sendable {
    let store: any TenantStore
    let insertUser: @Sendable (User) async throws -> Void
    let insertClient: @Sendable (Client) async throws -> Void
    /// Drops cached state and reopens the tenant from its durable storage (a restart).
    let reopen: @Sendable () async throws -> TenantUnderTest
}

/// Two tenants of one instance, for cross-tenant cases (hydra's `persister_nid_test.go`).
struct TenantPair: Sendable {
    let a: TenantUnderTest
    let b: TenantUnderTest
    let clock: TestClock
}

/// A storage backend under the conformance suite (dex's `storage/conformance`): a few lines per
/// backend that make a fresh pair of tenants and clean up afterwards.
///
/// `all` holds every backend of the core's `TenantStore`; cases of the web layer's protocols take
/// a `StorageBackend` (`StorageBackend.all`). PostgreSQL joins both lists when the test cluster's
/// URL is set (`PostgresFixture.url`; `scripts/test` always sets it) (docs/architecture.md, Storage).
struct ConformanceBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let withPair: @Sendable (_ body: @Sendable (TenantPair) async throws -> Void) async throws -> Void

    var testDescription: String { name }

    static let all: [ConformanceBackend] = [sqlite, inMemory] + (PostgresFixture.url == nil ? [] : [postgres])

    /// GatehouseStoreTesting's `InMemoryTenantStore`: one instance per tenant. A "restart" keeps the
    /// instance (it is the storage) and drops nothing else, as the store holds no cache.
    static let inMemory = ConformanceBackend(name: "in-memory (GatehouseStoreTesting)") { body in
        try await body(TenantPair(a: memoryTenant(InMemoryTenantStore()), b: memoryTenant(InMemoryTenantStore()), clock: TestClock()))
    }

    static func memoryTenant(_ store: InMemoryTenantStore) -> TenantUnderTest {
        TenantUnderTest(
            store: store,
            insertUser: { store.insertUser($0) },
            insertClient: { store.insertClient($0) },
            reopen: { memoryTenant(store) })
    }

    /// GatehouseStore: one SQLite file per tenant under a temporary data folder.
    static let sqlite = ConformanceBackend(name: "SQLite (GatehouseStore)") { body in
        try await StoreFixture.with { fixture in
            let store = try fixture.open()
            let a = try await store.makeTenant("tenant-a")
            let b = try await store.makeTenant("tenant-b")
            try await body(
                TenantPair(
                    a: try await sqliteTenant(store, a, fixture), b: try await sqliteTenant(store, b, fixture),
                    clock: fixture.clock))
        }
    }

    /// GatehouseStore's PostgreSQL backend: one schema per tenant, under a prefix of the case's own.
    static let postgres = ConformanceBackend(name: "PostgreSQL (GatehouseStore)") { body in
        try await PostgresFixture.with { fixture in
            let store = try await fixture.open()
            defer { store.shutdown() }
            let a = try await store.makeTenant("tenant-a")
            let b = try await store.makeTenant("tenant-b")
            try await body(
                TenantPair(
                    a: try await postgresTenant(store, a, fixture), b: try await postgresTenant(store, b, fixture),
                    clock: fixture.clock))
        }
    }

    static func postgresTenant(_ store: PostgresInstanceStore, _ tenant: ResolvedTenant, _ fixture: PostgresFixture) async throws
        -> TenantUnderTest
    {
        let db = try await store.database(for: tenant)
        return TenantUnderTest(
            store: db,
            insertUser: { try await db.insertUser($0) },
            insertClient: { try await store.registerClient($0, in: tenant) },
            reopen: {
                // Another node on the same database: nothing survives but the rows.
                let fresh = try await fixture.open()
                guard let resolved = fresh.resolve(slug: tenant.slug) else { throw StoreError.notFound(tenant.slug) }
                return try await postgresTenant(fresh, resolved, fixture)
            })
    }

    static func sqliteTenant(_ store: InstanceStore, _ tenant: ResolvedTenant, _ fixture: StoreFixture) async throws -> TenantUnderTest {
        let db = try await store.database(for: tenant)
        return TenantUnderTest(
            store: db,
            insertUser: { try await db.insertUser($0) },
            insertClient: { try await store.registerClient($0, in: tenant) },
            reopen: {
                // A new instance on the same folder: nothing survives but the files.
                let fresh = try fixture.open()
                guard let resolved = fresh.resolve(slug: tenant.slug) else { throw StoreError.notFound(tenant.slug) }
                return try await sqliteTenant(fresh, resolved, fixture)
            })
    }
}

extension TenantUnderTest {
    /// A user, a session of that user, and one grant of `client` in the session.
    struct SignedIn: Sendable {
        let user: User
        let session: Session
        let grant: Grant
    }

    /// Seeds a user with an active session and a grant of `scope` for `clientID`.
    func signIn(
        clientID: String = "pk_dev_conformance", scope: ScopeSet = ["openid", "email"], at now: Date,
        sessionLifetime: TimeInterval = 3600
    ) async throws -> SignedIn {
        let user = Seed.user(at: now)
        try await insertUser(user)
        let session = Seed.session(user: user.id, at: now, lifetime: sessionLifetime)
        try await store.insertSession(session)
        let grant = Seed.grant(client: clientID, user: user.id, session: session.id, scope: scope, at: now)
        try await store.insertGrant(grant)
        return SignedIn(user: user, session: session, grant: grant)
    }
}

extension ConformanceBackend {
    /// Runs `body` with a fresh pair, a user of tenant A signed in (`TenantUnderTest.signIn`) and
    /// the clock's time.
    func withSignedIn(_ body: @Sendable @escaping (TenantPair, TenantUnderTest.SignedIn, Date) async throws -> Void) async throws {
        try await withPair { pair in
            let now = pair.clock.now
            try await body(pair, try await pair.a.signIn(at: now), now)
        }
    }
}
