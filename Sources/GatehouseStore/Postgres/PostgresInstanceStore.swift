import Foundation
import GatehouseCore
import GatehouseCrypto
import Logging
import PostgresNIO
import Synchronization

/// The instance in one PostgreSQL database: the registry and indexes in the instance schema, a
/// schema per tenant (`PostgresSchemas`), one bounded connection pool per node. Several nodes may
/// share the database (docs/architecture.md, Storage).
///
/// Open one with `PostgresInstanceStore.open(configuration:masterKey:clock:logger:)` and end it
/// with `shutdown()`.
public final class PostgresInstanceStore: InstanceStorage {
    public let configuration: PostgresStoreConfiguration
    public var keyPolicy: KeyPolicy { configuration.keyPolicy }
    /// The node's pool, renewed after `configuration.connectionLifetime` (`PostgresPool`).
    let client: PostgresPool
    let schemas: PostgresSchemas
    /// The instance schema, quoted.
    var instance: String { schemas.instance }
    let masterKey: SecretBox
    let clock: any Clock
    let logger: Logger
    let feed = PostgresChangeFeed()
    private let polling = Mutex<Task<Void, Never>?>(nil)
    /// The registry, client-key cache and open handles of this node.
    let directory: TenantDirectory<PostgresTenantDatabase>
    /// Hostnames recently found without a tenant in the database.
    let lookupMisses = TenantLookupMisses()
    /// Registry reads that went to the database (`find` on a registry miss), for tests.
    let tenantLookups = Atomic<Int>(0)
    /// Tenant schemas this node has checked and migrated.
    let migrated = Mutex(Set<TenantID>())

    private init(
        configuration: PostgresStoreConfiguration, client: PostgresPool, schemas: PostgresSchemas, masterKey: SecretBox,
        clock: any Clock, logger: Logger
    ) {
        self.configuration = configuration
        self.client = client
        self.schemas = schemas
        self.masterKey = masterKey
        self.clock = clock
        self.logger = logger
        self.directory = TenantDirectory(maxOpen: configuration.maxOpenTenants)
    }

    /// Connects, migrates the instance schema and loads the registry.
    /// - Parameter masterKey: the 32-byte key that seals private keys and secrets at rest; every
    ///   node of one database must use the same (checked against the value the first node stored).
    /// - Throws: `StoreError.unavailable` for a bad URL, an unreachable server, a schema written
    ///   by a newer version, or another master key.
    public static func open(
        configuration: PostgresStoreConfiguration, masterKey: [UInt8], clock: any Clock, logger: Logger
    ) async throws -> PostgresInstanceStore {
        let schemas = try PostgresSchemas(prefix: configuration.schemaPrefix)
        let sealing = try SecretBox(key: masterKey)
        // The pool's own log is kept to errors: it warns about every lease made before its run
        // loop has started, which the first queries here always are. Failures reach the callers.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        let poolLogger = quiet
        let clientConfiguration = try configuration.clientConfiguration()
        let client = PostgresPool(lifetime: configuration.connectionLifetime.map { .milliseconds(Int64($0 * 1000)) }) {
            PostgresClient(configuration: clientConfiguration, backgroundLogger: poolLogger)
        }
        let store = PostgresInstanceStore(
            configuration: configuration, client: client, schemas: schemas, masterKey: sealing, clock: clock, logger: logger)
        do {
            try await store.start(keyCheck: InstanceBackup.keyCheck(masterKey))
        } catch {
            client.shutdown()
            if let error = error as? StoreError { throw error }
            throw StoreError.unavailable("cannot use the PostgreSQL database: \(String(reflecting: error))")
        }
        return store
    }

    /// Waits at most `seconds` for the database to answer, so that a wrong host, port, database or
    /// `sslmode` is reported at once instead of after the pool's minute of retries.
    private func reachable(within seconds: Int) async throws {
        let client = self.client
        let logger = self.logger
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await client.query("SELECT 1", logger: logger)
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        guard answered else {
            throw StoreError.unavailable(
                "PostgreSQL at \(configuration.address) did not answer within \(seconds) s: check the host, port, database, "
                    + "user and sslmode of GATEHOUSE_DATABASE_URL, and that the server accepts this node")
        }
    }

    private func start(keyCheck: String) async throws {
        try await reachable(within: configuration.startupTimeout)
        try await PostgresSchemas.migrate(
            instance, PostgresSchemas.instanceMigrations, label: "the instance schema \(instance)", instance: instance, client: client, logger: logger)
        let stored = try await client.transaction(logger: logger) { connection -> String in
            try await connection.query(
                """
                INSERT INTO \(unescaped: instance).instance_meta (name, value) VALUES ('master_key_check', \(keyCheck))
                ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            // A registry holding tenants (made before the instance recorded it, or by `storage copy`) was initialised.
            try await connection.query(
                """
                INSERT INTO \(unescaped: instance).instance_meta (name, value)
                SELECT 'initialised', MIN(id) FROM \(unescaped: instance).tenants HAVING COUNT(*) > 0
                ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            let rows = try await connection.query(
                "SELECT value FROM \(unescaped: instance).instance_meta WHERE name = 'master_key_check'", logger: logger)
            var value = ""
            for try await v in rows.decode(String.self) { value = v }
            return value
        }
        guard ConstantTime.equals(stored, keyCheck) else {
            throw StoreError.unavailable(
                "this database was set up with another master key: every node must use the same one (GATEHOUSE_MASTER_KEY_FILE)")
        }
        // The feed's position first: a change made while the registry loads is applied after.
        let task = try await startChangeFeed()
        polling.withLock { $0 = task }
        directory.load(try await loadTenants())
    }

    func loadTenants() async throws -> [Tenant] {
        var tenants: [Tenant] = []
        let rows = try await client.query(
            "SELECT id, slug, name, environment, settings, created_at FROM \(unescaped: instance).tenants", logger: logger)
        for try await row in rows.decode((String, String, String, String, String, Date).self) {
            if let tenant = Self.tenant(row) { tenants.append(tenant) }
        }
        return tenants
    }

    /// A registry row (id, slug, name, environment, settings, created_at) as a tenant.
    static func tenant(_ row: (String, String, String, String, String, Date)) -> Tenant? {
        let (id, slug, name, environment, settings, createdAt) = row
        guard let id = TenantID(rawValue: id) else { return nil }
        return Tenant(
            id: id, slug: slug, name: name, environment: TenantEnvironment(rawValue: environment) ?? .dev,
            settings: JSONColumn.decode(TenantSettings.self, settings) ?? TenantSettings(), createdAt: createdAt)
    }

    /// Closes the connection pool and stops the change feed, without waiting. Handles in use fail
    /// from then on.
    public func shutdown() {
        polling.withLock { $0?.cancel() }
        client.shutdown()
    }

    /// `shutdown()`, then waits for the change feed's poller and (at most `seconds`, as a
    /// connection attempt to a database that is gone may take longer) for the pool's run loop to
    /// end. Requests waiting for a connection fail at once with `PSQLError.poolClosed`
    /// (`StoreError.unavailable(from:)`).
    public func close() async {
        await close(waitingAtMost: 3)
    }

    func close(waitingAtMost seconds: Int) async {
        shutdown()
        if let poller = polling.withLock({ $0 }) { await poller.value }
        let client = self.client
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.waitUntilStopped() }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Re-reads tenant `id`'s registry row after another node changed it: the registry takes the
    /// new value (or drops a deleted tenant), and open handles and the key ring are dropped.
    ///
    /// A change this node makes while the row is being read (`updateTenant` replaces the registry
    /// entry at once) may be newer than what the read returned: the read is then repeated, so a
    /// stale row never replaces a fresher local update.
    func reloadTenant(_ id: TenantID) async {
        do {
            var found: Tenant?
            var old: Tenant?
            for _ in 0..<5 {
                let before = directory.resolve(id: id)?.tenant
                let rows = try await client.query(
                    "SELECT id, slug, name, environment, settings, created_at FROM \(unescaped: instance).tenants WHERE id = \(id.rawValue)",
                    logger: logger)
                found = nil
                for try await row in rows.decode((String, String, String, String, String, Date).self) { found = Self.tenant(row) }
                old = directory.resolve(id: id)?.tenant
                if old == before { break }
            }
            if let found {
                // A tenant this node is deleting stays forgotten (`placeTombstone`).
                if found != old { directory.replace(with: found) }
            } else if let old {
                forget(old)
            }
        } catch {
            if !Task.isCancelled { logger.warning("change feed: tenant \(id.rawValue): \(String(reflecting: error))") }
        }
    }

    /// Drops a deleted tenant from this node's registry and caches.
    func forget(_ tenant: Tenant) {
        directory.forget(tenant)
        migrated.withLock { _ = $0.remove(tenant.id) }
    }

    // MARK: Resolution

    public func resolve(slug: String) -> ResolvedTenant? { directory.resolve(slug: slug) }

    public func resolve(hostname: String) -> ResolvedTenant? { directory.resolve(hostname: hostname) }

    /// The tenant with `id`, for the instance's own indexes (the mail index).
    func resolve(id: TenantID) -> ResolvedTenant? { directory.resolve(id: id) }

    /// `resolve(slug:)`, then the database unless the slug was found missing a moment ago
    /// (`lookupMisses`).
    public func find(slug: String) async throws -> ResolvedTenant? {
        if let tenant = resolve(slug: slug) { return tenant }
        guard Tenant.isValidSlug(slug) else { return nil }
        return try await fetchUnlessMissing(.slug, slug, miss: .slug(slug))
    }

    /// `resolve(hostname:)`, then the database unless the hostname was found missing a moment ago
    /// (`lookupMisses`).
    public func find(hostname: String) async throws -> ResolvedTenant? {
        if let tenant = resolve(hostname: hostname) { return tenant }
        guard TenantSettings.isValidHostname(hostname) else { return nil }
        return try await fetchUnlessMissing(.hostname, hostname, miss: .hostname(hostname))
    }

    /// `fetchTenant`, skipped while `miss` is remembered, and remembered when nothing is found.
    private func fetchUnlessMissing(_ key: TenantKey, _ value: String, miss: TenantLookupMisses.Key) async throws
        -> ResolvedTenant?
    {
        let now = clock.now
        if lookupMisses.contains(miss, at: now) { return nil }
        let generation = lookupMisses.generation
        if let tenant = try await fetchTenant(key, value) { return tenant }
        lookupMisses.record(miss, at: now, generation: generation)
        return nil
    }

    /// `resolve(id:)` with the database behind it (a tenant created on another node a moment ago).
    func find(id: TenantID) async throws -> ResolvedTenant? {
        if let tenant = resolve(id: id) { return tenant }
        return try await fetchTenant(.id, id.rawValue)
    }

    /// A unique column of the registry.
    enum TenantKey: String { case id, slug, hostname }

    /// The tenant whose `key` is `value` in the database, added to this node's registry (the
    /// change feed would bring it a moment later).
    private func fetchTenant(_ key: TenantKey, _ value: String) async throws -> ResolvedTenant? {
        let query: PostgresQuery = """
            SELECT id, slug, name, environment, settings, created_at FROM \(unescaped: instance).tenants
            WHERE \(unescaped: key.rawValue) = \(value)
            """
        tenantLookups.add(1, ordering: .relaxed)
        let rows = try await client.query(query, logger: logger)
        for try await row in rows.decode((String, String, String, String, String, Date).self) {
            return Self.tenant(row).flatMap(directory.insertIfAbsent)
        }
        return nil
    }

    public func resolve(clientID: String) async throws -> ResolvedTenant? {
        guard clientID.utf8.count <= 128, !clientID.utf8.contains(0) else { return nil }
        let id = try await directory.tenantID(ofClient: clientID) {
            let rows = try await client.query(
                "SELECT tenant_id FROM \(unescaped: instance).client_keys WHERE client_id = \(clientID)", logger: logger)
            var id: TenantID?
            for try await tenantID in rows.decode(String.self) { id = TenantID(rawValue: tenantID) }
            return id
        }
        guard let id else { return nil }
        return try await find(id: id)
    }

    public func resolve(secretKey secret: String) async throws -> (ResolvedTenant, clientID: String)? {
        guard secret.utf8.count <= 128 else { return nil }
        let hash = Data(SecretHash.of(secret))
        let rows = try await client.query(
            "SELECT client_id, tenant_id FROM \(unescaped: instance).secret_keys WHERE secret_hash = \(hash)", logger: logger)
        for try await (clientID, tenantID) in rows.decode((String, String).self) {
            guard let id = TenantID(rawValue: tenantID), let tenant = try await find(id: id) else { return nil }
            return (tenant, clientID)
        }
        return nil
    }

    public func tenants() -> [Tenant] { directory.tenants() }

    public func isOriginAllowedByAnyTenant(_ origin: String) -> Bool { directory.isOriginAllowedByAnyTenant(origin) }

    // MARK: Tenant storage

    /// The storage of a resolved tenant: its schema checked (and migrated) once per node, its
    /// caches loaded once per live set of handles.
    public func database(for tenant: ResolvedTenant) async throws -> PostgresTenantDatabase {
        if let db = directory.handle(for: tenant) { return db }
        let schema = schemas.tenant(tenant.id)
        if !migrated.withLock({ $0.contains(tenant.id) }) {
            try await PostgresSchemas.migrate(
                schema, PostgresSchemas.tenantMigrations, label: "the schema of tenant '\(tenant.slug)'", instance: instance, existing: true,
                client: client, logger: logger)
            migrated.withLock { _ = $0.insert(tenant.id) }
        }
        let db = PostgresTenantDatabase(
            tenant: tenant, client: client, schema: schema, masterKey: masterKey, keyPolicy: configuration.keyPolicy,
            caches: directory.caches(for: tenant.id), logger: logger)
        try await db.prepare(now: clock.now)
        return directory.keep(db)
    }

    public func storage(for tenant: ResolvedTenant) async throws -> any TenantHandle {
        try await database(for: tenant)
    }

    public var openDatabaseCount: Int { directory.openCount }
}
