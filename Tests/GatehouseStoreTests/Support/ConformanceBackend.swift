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
    /// Creates an upstream provider with this slug and answers its id (what SSO names).
    let insertProvider: @Sendable (String, Date) async throws -> String
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
            insertProvider: { _, now in
                let id = UpstreamProviderID.generate(at: now).rawValue
                store.insertUpstreamProvider(id: id)
                return id
            },
            reopen: { memoryTenant(store) })
    }

    /// GatehouseStore: one SQLite file per tenant under a temporary data folder; a restart is a
    /// new instance on the same folder.
    static let sqlite = ConformanceBackend(name: "SQLite (GatehouseStore)") { body in
        try await StoreFixture.with { fixture in
            try await body(try await instancePair(try fixture.open(), clock: fixture.clock) { try fixture.open() })
        }
    }

    /// GatehouseStore's PostgreSQL backend: one schema per tenant, under a prefix of the case's
    /// own; a restart is another node on the same database.
    static let postgres = ConformanceBackend(name: "PostgreSQL (GatehouseStore)") { body in
        try await PostgresFixture.withStore { store, fixture in
            try await body(try await instancePair(store, clock: fixture.clock) { try await fixture.open() })
        }
    }

    /// Tenants A and B of an instance store of any backend; `openNode` opens another store on the
    /// same storage.
    static func instancePair(
        _ store: any InstanceStorage, clock: TestClock, openNode: @escaping @Sendable () async throws -> any InstanceStorage
    ) async throws -> TenantPair {
        let a = try await instanceTenant(store, try await store.makeTenant("tenant-a"), openNode: openNode)
        let b = try await instanceTenant(store, try await store.makeTenant("tenant-b"), openNode: openNode)
        return TenantPair(a: a, b: b, clock: clock)
    }

    /// One tenant of `store`; its restart opens a store with `openNode`, in which nothing survives but
    /// the stored rows.
    static func instanceTenant(
        _ store: any InstanceStorage, _ tenant: ResolvedTenant, openNode: @escaping @Sendable () async throws -> any InstanceStorage
    ) async throws -> TenantUnderTest {
        let db = try await store.storage(for: tenant)
        return TenantUnderTest(
            store: db,
            insertUser: { try await db.insertUser($0) },
            insertClient: { try await store.registerClient($0, in: tenant) },
            insertProvider: { slug, now in
                let provider = FederationMailConformanceTests.provider(slug, at: now)
                try await db.insertUpstreamProvider(provider)
                return provider.id.rawValue
            },
            reopen: {
                let fresh = try await openNode()
                guard let resolved = fresh.resolve(slug: tenant.slug) else { throw StoreError.notFound(tenant.slug) }
                return try await instanceTenant(fresh, resolved, openNode: openNode)
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
