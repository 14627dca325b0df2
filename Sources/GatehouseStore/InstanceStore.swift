import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB
import Logging

/// A tenant that was looked up in the instance registry. Only the instance stores make these, and a
/// `TenantDatabase` can only be opened from one (docs/architecture.md, Tenancy in the types).
public struct ResolvedTenant: Sendable, Equatable {
    public let tenant: Tenant
    init(_ tenant: Tenant) { self.tenant = tenant }
    public var id: TenantID { tenant.id }
    public var slug: String { tenant.slug }
}

/// Storage settings (the `[storage]` table of gatehouse.toml).
public struct StoreConfiguration: Sendable {
    /// The data folder: `instance.sqlite`, `tenants/<tenant id>.sqlite`.
    public var dataDirectory: URL
    /// SQLite `synchronous` in WAL mode: `normal` (durable across process crashes such as
    /// `kill -9`; the last commits may roll back on power loss) or `full` (also power-loss durable).
    public var synchronous: String
    /// Tenant databases kept open at once (LRU).
    public var maxOpenTenants: Int
    /// Reader connections per open tenant database.
    public var readersPerTenant: Int
    /// Signing key rotation.
    public var keyPolicy: KeyPolicy

    /// `synchronous` as the pragma's value: `FULL` for `full` (any case), `NORMAL` otherwise.
    var synchronousPragma: String { synchronous.uppercased() == "FULL" ? "FULL" : "NORMAL" }

    public init(
        dataDirectory: URL, synchronous: String = "normal", maxOpenTenants: Int = 128, readersPerTenant: Int = 2,
        keyPolicy: KeyPolicy = KeyPolicy()
    ) {
        self.dataDirectory = dataDirectory
        self.synchronous = synchronous
        self.maxOpenTenants = maxOpenTenants
        self.readersPerTenant = readersPerTenant
        self.keyPolicy = keyPolicy
    }
}

/// The instance: the tenant registry, the key → tenant index and the LRU of open tenant databases.
public final class InstanceStore: InstanceStorage {
    public let configuration: StoreConfiguration
    public var keyPolicy: KeyPolicy { configuration.keyPolicy }
    let instance: DatabasePool
    let masterKey: SecretBox
    /// The master key's check value, written into backup manifests.
    let backupKeyCheck: String
    let clock: any Clock
    let logger: Logger
    /// Every tenant in memory (10,000 tenants ≈ a few MB) and the LRU of open tenant databases.
    let directory: TenantDirectory<TenantDatabase>

    /// Opens (creating if needed) the instance database under `configuration.dataDirectory`.
    /// - Parameter masterKey: the 32-byte key that seals private keys and secrets at rest.
    public init(configuration: StoreConfiguration, masterKey: [UInt8], clock: any Clock, logger: Logger) throws {
        self.configuration = configuration
        self.masterKey = try SecretBox(key: masterKey)
        self.backupKeyCheck = InstanceBackup.keyCheck(masterKey)
        self.clock = clock
        self.logger = logger
        self.directory = TenantDirectory(maxOpen: configuration.maxOpenTenants)
        let fm = FileManager.default
        try fm.createDirectory(at: configuration.dataDirectory.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        instance = try Self.openPool(
            path: configuration.dataDirectory.appendingPathComponent("instance.sqlite").path, configuration, readers: 2)
        let applied = try Migrations.checkedMigrate(Migrations.instance, instance, label: "instance.sqlite")
        let upgraded = applied.contains(Migrations.instanceMetaMigration) && !applied.contains("2026-11-29-instance-v1")
        try instance.write { db in
            // A registry holding tenants, or a data folder made before the instance recorded it, was initialised.
            try db.execute(
                cached: """
                    INSERT OR IGNORE INTO instance_meta (name, value)
                    SELECT 'initialised', COALESCE((SELECT MIN(id) FROM tenants), '') WHERE ? OR EXISTS (SELECT 1 FROM tenants)
                    """, arguments: [upgraded])
        }
        let tenants = try instance.read { db in try Row.fetchAll(db, cached: "SELECT * FROM tenants").map(Self.tenant(row:)) }
        directory.load(tenants)
    }

    /// Connection settings. Tenant databases get a small page cache (`cacheKiB`) so that the LRU's
    /// open databases stay within a bounded memory budget; the instance database keeps SQLite's default.
    /// With `checkpointer`, the writer's WAL checkpoints run off its queue (``WALCheckpointer``),
    /// and `isDeleted` tells it when the tenant is being deleted.
    static func databaseConfiguration(
        _ c: StoreConfiguration, readers: Int, cacheKiB: Int? = nil,
        checkpointer: (WALCheckpointer, isDeleted: @Sendable () -> Bool)? = nil
    ) -> Configuration {
        var config = Configuration()
        config.maximumReaderCount = max(1, readers)
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        let synchronous = c.synchronousPragma
        config.prepareDatabase { db in
            try db.execute(cached: "PRAGMA synchronous = \(synchronous)")
            if let cacheKiB { try db.execute(cached: "PRAGMA cache_size = -\(cacheKiB)") }
            if let (checkpointer, isDeleted) = checkpointer, !db.configuration.readonly {
                checkpointer.install(on: db, isDeleted: isDeleted)
            }
        }
        return config
    }

    /// Opens a pool in WAL mode with ``databaseConfiguration(_:readers:cacheKiB:checkpointer:)``.
    /// GRDB sets `synchronous = NORMAL` on the writer after `prepareDatabase` has run, so the
    /// configured value is set again once the pool is open.
    static func openPool(
        path: String, _ c: StoreConfiguration, readers: Int, cacheKiB: Int? = nil,
        checkpointer: (WALCheckpointer, isDeleted: @Sendable () -> Bool)? = nil
    ) throws -> DatabasePool {
        let pool = try DatabasePool(
            path: path, configuration: databaseConfiguration(c, readers: readers, cacheKiB: cacheKiB, checkpointer: checkpointer))
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(c.synchronousPragma)") }
        return pool
    }

    static func tenant(row: Row) -> Tenant {
        Tenant(
            id: TenantID(rawValue: row["id"])!, slug: row["slug"], name: row["name"],
            environment: TenantEnvironment(rawValue: row["environment"]) ?? .dev,
            settings: JSONColumn.decode(TenantSettings.self, row["settings"]) ?? TenantSettings(),
            createdAt: row.date("created_at"))
    }

    // MARK: Resolution

    /// The tenant with `slug`, from the in-memory registry.
    public func resolve(slug: String) -> ResolvedTenant? { directory.resolve(slug: slug) }

    /// The tenant whose `settings.hostname` is `hostname` (lowercase, no port).
    public func resolve(hostname: String) -> ResolvedTenant? { directory.resolve(hostname: hostname) }

    /// The tenant with `id`, for instance-level indexes that store tenant ids (the mail index).
    /// Internal on purpose: no public API takes a bare tenant id (docs/architecture.md, Tenancy in the types).
    func resolve(id: TenantID) -> ResolvedTenant? { directory.resolve(id: id) }

    /// The tenant that owns the publishable key `clientID` (one indexed lookup, then cached).
    public func resolve(clientID: String) async throws -> ResolvedTenant? {
        guard clientID.utf8.count <= 128 else { return nil }
        let id = try await directory.tenantID(ofClient: clientID) {
            try await instance.read({ db in
                try String.fetchOne(db, cached: "SELECT tenant_id FROM client_keys WHERE client_id = ?", arguments: [clientID])
            }).flatMap(TenantID.init(rawValue:))
        }
        return id.flatMap(resolve(id:))
    }

    /// The tenant and client that own the secret key `secret` (looked up by its SHA-256).
    public func resolve(secretKey secret: String) async throws -> (ResolvedTenant, clientID: String)? {
        guard secret.utf8.count <= 128 else { return nil }
        let hash = Data(SecretHash.of(secret))
        guard
            let found = try await instance.read({ db -> (clientID: String, tenantID: String)? in
                try Row.fetchOne(db, cached: "SELECT client_id, tenant_id FROM secret_keys WHERE secret_hash = ?", arguments: [hash])
                    .map { ($0["client_id"], $0["tenant_id"]) }
            }), let id = TenantID(rawValue: found.tenantID), let tenant = resolve(id: id)
        else { return nil }
        return (tenant, found.clientID)
    }

    /// Every tenant, ordered by slug.
    public func tenants() -> [Tenant] { directory.tenants() }

    /// Whether any tenant allows `origin` (CORS preflights of the headless API, which carry no client id).
    public func isOriginAllowedByAnyTenant(_ origin: String) -> Bool { directory.isOriginAllowedByAnyTenant(origin) }

    // MARK: Tenant databases

    func tenantFile(_ id: TenantID) -> URL {
        configuration.dataDirectory.appendingPathComponent("tenants").appendingPathComponent("\(id.rawValue).sqlite")
    }

    /// The open database of a resolved tenant, opening it (and evicting the least recently used
    /// one beyond `maxOpenTenants`) when cold.
    public func database(for tenant: ResolvedTenant) async throws -> TenantDatabase {
        try await openDatabase(for: tenant)
    }

    /// The tenant's storage as the web layer uses it: the per-consumer protocols of GatehouseCore
    /// (`TenantStorage`) and the tenant it belongs to (docs/architecture.md, Storage).
    /// - Throws: as `database(for:)`.
    public func storage(for tenant: ResolvedTenant) async throws -> any TenantHandle {
        try await openDatabase(for: tenant)
    }

    private func openDatabase(for tenant: ResolvedTenant) async throws -> TenantDatabase {
        if let db = directory.handle(for: tenant) { return db }
        // Counted from before the tombstone check to the end: a deletion removes the files only
        // once no open is in flight, so that an open cannot create them again.
        return try await directory.opening(tenant.id) { try await openNewDatabase(for: tenant) }
    }

    private func openNewDatabase(for tenant: ResolvedTenant) async throws -> TenantDatabase {
        // A request that resolved the tenant before its deletion must not create its file again.
        let id = tenant.id
        guard !directory.isDeleted(id) else { throw StoreError.tenantGone("the tenant was deleted") }
        let caches = directory.caches(for: id)
        let pool = try Self.openPool(
            path: tenantFile(id).path, configuration, readers: configuration.readersPerTenant, cacheKiB: 256,
            checkpointer: (caches.walCheckpointer, isDeleted: { [weak directory] in directory?.isDeleted(id) ?? true }))
        try Migrations.checkedMigrate(Migrations.tenant, pool, label: "the database of tenant '\(tenant.slug)'")
        let db = try TenantDatabase(
            tenant: tenant, pool: pool, masterKey: masterKey, keyPolicy: configuration.keyPolicy, caches: caches, now: clock.now)
        let kept = directory.keep(db)
        // Deleted while this opened: the deletion forgot the handles before this one was kept.
        if directory.isDeleted(id) {
            directory.close(id)
            throw StoreError.tenantGone("the tenant was deleted")
        }
        return kept
    }

    /// Number of tenant databases currently open.
    public var openDatabaseCount: Int { directory.openCount }

    @discardableResult
    public func releaseIdleMemory() -> Int {
        // Eventually: a reader closes once its current read ends; nothing waits here.
        let idle = directory.idleHandles()
        for db in idle { db.pool.base.releaseMemoryEventually() }
        return idle.count
    }

    // MARK: Tenant lifecycle

    /// Creates a tenant: its registry row, its database file and its first Ed25519 signing key;
    /// with `first`, only when the instance was never initialised (nil otherwise).
    /// - Throws: `StoreError.conflict` when the slug is taken.
    public func createTenant(slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings, first: Bool)
        async throws -> ResolvedTenant?
    {
        let now = clock.now
        let tenant = Tenant(id: .generate(at: now), slug: slug, name: name, environment: environment, settings: settings, createdAt: now)
        do {
            let created = try await instance.write { db -> Bool in
                if first, try Bool.fetchOne(db, cached: "SELECT EXISTS(SELECT 1 FROM instance_meta WHERE name = 'initialised')") == true {
                    return false
                }
                try Self.insertTenantRow(tenant, db)
                return true
            }
            guard created else { return nil }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("a tenant with slug '\(slug)' already exists")
        }
        let resolved = ResolvedTenant(tenant)
        do {
            // The first keys of a new tenant sign at once: nobody can have cached its JWKS yet.
            _ = try await database(for: resolved).keyRing(at: now)
        } catch {
            try? await instance.write { db in try db.execute(cached: "DELETE FROM tenants WHERE id = ?", arguments: [tenant.id.rawValue]) }
            removeFiles(of: tenant.id)
            throw error
        }
        return directory.insert(tenant)
    }

    /// Adds a tenant whose registry row and database file are already in place (an import or
    /// clone) to the in-memory registry.
    func registerCopied(_ tenant: Tenant) -> ResolvedTenant {
        directory.insert(tenant)
    }

    /// Updates a tenant's name and settings; effective at once for new requests.
    /// - Throws: `StoreError.notFound` when the tenant was deleted meanwhile (its registry entry
    ///   stays gone); `StoreError.conflict` when another tenant is served on the hostname.
    public func updateTenant(_ tenant: ResolvedTenant, name: String, settings: TenantSettings) async throws -> ResolvedTenant {
        let updated = tenant.tenant.with(name: name, settings: settings)
        let now = clock.now
        let id = updated.id.rawValue
        try await instance.write { db in
            if let hostname = settings.hostname, try Self.hostnameTaken(hostname, except: id, db) {
                throw StoreError.conflict("another tenant is served on '\(hostname)'")
            }
            try db.execute(
                cached: "UPDATE tenants SET name = ?, settings = ?, hostname = ?, updated_at = ? WHERE id = ?",
                arguments: [name, JSONColumn.encode(settings), settings.hostname, now, id])
            guard db.changesCount == 1 else { throw StoreError.notFound("tenant '\(tenant.slug)'") }
        }
        guard let registered = directory.replace(with: updated) else { throw StoreError.notFound("tenant '\(tenant.slug)'") }
        return registered
    }

    /// Writes a new tenant's registry row (created and updated at `tenant.createdAt`) in the
    /// caller's transaction, and records the instance as initialised if it was not.
    /// - Throws: `StoreError.conflict` when another tenant is served on its hostname; the
    ///   database's unique-constraint error when the slug is taken.
    static func insertTenantRow(_ tenant: Tenant, _ db: Database) throws {
        let settings = tenant.settings
        if let hostname = settings.hostname, try hostnameTaken(hostname, except: nil, db) {
            throw StoreError.conflict("another tenant is served on '\(hostname)'")
        }
        try db.execute(
            cached: "INSERT INTO tenants (id, slug, name, environment, settings, hostname, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            arguments: [
                tenant.id.rawValue, tenant.slug, tenant.name, tenant.environment.rawValue, JSONColumn.encode(settings),
                settings.hostname, tenant.createdAt, tenant.createdAt,
            ])
        try db.execute(
            cached: "INSERT OR IGNORE INTO instance_meta (name, value) VALUES ('initialised', ?)", arguments: [tenant.id.rawValue])
    }

    /// Whether a tenant other than `except` is served on `hostname` (checked in the writing
    /// transaction; the unique index `tenants_hostname` backs it).
    static func hostnameTaken(_ hostname: String, except id: String?, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, cached: "SELECT EXISTS(SELECT 1 FROM tenants WHERE hostname = ? AND id IS NOT ?)", arguments: [hostname, id]) ?? false
    }

    /// Deletes a tenant: its registry row, its keys from the index and its database files.
    /// Its tokens stop verifying at once because its keys are gone.
    public func deleteTenant(_ tenant: ResolvedTenant) async throws {
        // The tombstone first: an update whose row was written before the deletion must not put
        // the tenant back into the registry afterwards (``TenantDirectory/replace(with:)``).
        let placed = directory.placeTombstone(tenant.id)
        do {
            try await instance.write { db in
                try db.execute(cached: "DELETE FROM secret_keys WHERE tenant_id = ?", arguments: [tenant.id.rawValue])
                try db.execute(cached: "DELETE FROM client_keys WHERE tenant_id = ?", arguments: [tenant.id.rawValue])
                try db.execute(cached: "DELETE FROM tenants WHERE id = ?", arguments: [tenant.id.rawValue])
            }
        } catch {
            if placed { directory.liftTombstone(tenant.id) }
            throw error
        }
        // The pool is not closed here: requests still holding it finish against the unlinked files,
        // and it closes when the last one lets go. Opens and background checkpoints that began
        // before the tombstone end before the files go; later ones see it and open nothing.
        directory.forget(tenant.tenant)
        await WALCheckpointer.drain()
        while directory.isOpening(tenant.id) { try? await Task.sleep(for: .milliseconds(2)) }
        removeFiles(of: tenant.id)
    }

    func removeFiles(of id: TenantID) {
        let base = tenantFile(id).path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: base + suffix) }
    }
}
