import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB
import Logging
import Synchronization

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
    /// Every tenant, in memory: the registry is small enough (10,000 tenants ≈ a few MB).
    private let registry = Mutex(Registry())
    /// client_id → tenant id, filled on first lookup (client ids never move between tenants).
    let clientTenants = Mutex<[String: TenantID]>([:])
    let open: Mutex<LRU<TenantID, TenantDatabase>>
    private let liveCaches = Mutex(LiveTenantCaches())

    /// Opens (creating if needed) the instance database under `configuration.dataDirectory`.
    /// - Parameter masterKey: the 32-byte key that seals private keys and secrets at rest.
    public init(configuration: StoreConfiguration, masterKey: [UInt8], clock: any Clock, logger: Logger) throws {
        self.configuration = configuration
        self.masterKey = try SecretBox(key: masterKey)
        self.backupKeyCheck = InstanceBackup.keyCheck(masterKey)
        self.clock = clock
        self.logger = logger
        self.open = Mutex(LRU(capacity: max(1, configuration.maxOpenTenants)))
        let fm = FileManager.default
        try fm.createDirectory(at: configuration.dataDirectory.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        instance = try DatabasePool(
            path: configuration.dataDirectory.appendingPathComponent("instance.sqlite").path,
            configuration: Self.databaseConfiguration(configuration, readers: 2))
        try Migrations.checkedMigrate(Migrations.instance, instance, label: "instance.sqlite")
        let tenants = try instance.read { db in try Row.fetchAll(db, cached: "SELECT * FROM tenants").map(Self.tenant(row:)) }
        registry.withLock { r in for t in tenants { r.insert(t) } }
    }

    /// Connection settings. Tenant databases get a small page cache (`cacheKiB`) so that the LRU's
    /// open databases stay within a bounded memory budget; the instance database keeps SQLite's default.
    static func databaseConfiguration(_ c: StoreConfiguration, readers: Int, cacheKiB: Int? = nil) -> Configuration {
        var config = Configuration()
        config.maximumReaderCount = max(1, readers)
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        let synchronous = c.synchronous.uppercased() == "FULL" ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(cached: "PRAGMA synchronous = \(synchronous)")
            if let cacheKiB { try db.execute(cached: "PRAGMA cache_size = -\(cacheKiB)") }
        }
        return config
    }

    static func tenant(row: Row) -> Tenant {
        Tenant(
            id: TenantID(rawValue: row["id"])!, slug: row["slug"], name: row["name"],
            environment: TenantEnvironment(rawValue: row["environment"]) ?? .dev,
            settings: JSONColumn.decode(TenantSettings.self, row["settings"]) ?? TenantSettings(),
            createdAt: row["created_at"])
    }

    // MARK: Resolution

    /// The tenant with `slug`, from the in-memory registry.
    public func resolve(slug: String) -> ResolvedTenant? {
        registry.withLock { $0.bySlug[slug] }.map(ResolvedTenant.init)
    }

    /// The tenant whose `settings.hostname` is `hostname` (lowercase, no port).
    public func resolve(hostname: String) -> ResolvedTenant? {
        registry.withLock { $0.byHostname[hostname] }.map(ResolvedTenant.init)
    }

    /// The tenant with `id`, for instance-level indexes that store tenant ids (the mail index).
    /// Internal on purpose: no public API takes a bare tenant id (docs/architecture.md, Tenancy in the types).
    func resolve(id: TenantID) -> ResolvedTenant? {
        registry.withLock { $0.tenant(id: id) }.map(ResolvedTenant.init)
    }

    /// The tenant that owns the publishable key `clientID` (one indexed lookup, then cached).
    public func resolve(clientID: String) async throws -> ResolvedTenant? {
        guard clientID.utf8.count <= 128 else { return nil }
        var id = clientTenants.withLock { $0[clientID] }
        if id == nil {
            id = try await instance.read({ db in
                try String.fetchOne(db, cached: "SELECT tenant_id FROM client_keys WHERE client_id = ?", arguments: [clientID])
            }).flatMap(TenantID.init(rawValue:))
            if let id { clientTenants.withLock { $0[clientID] = id } }
        }
        guard let id else { return nil }
        return registry.withLock { $0.tenant(id: id) }.map(ResolvedTenant.init)
    }

    /// The tenant and client that own the secret key `secret` (looked up by its SHA-256).
    public func resolve(secretKey secret: String) async throws -> (ResolvedTenant, clientID: String)? {
        guard secret.utf8.count <= 128 else { return nil }
        let hash = Data(SecretHash.of(secret))
        guard
            let found = try await instance.read({ db -> (clientID: String, tenantID: String)? in
                try Row.fetchOne(db, cached: "SELECT client_id, tenant_id FROM secret_keys WHERE secret_hash = ?", arguments: [hash])
                    .map { ($0["client_id"], $0["tenant_id"]) }
            }), let id = TenantID(rawValue: found.tenantID),
            let tenant = registry.withLock({ $0.tenant(id: id) })
        else { return nil }
        return (ResolvedTenant(tenant), found.clientID)
    }

    /// Every tenant, ordered by slug.
    public func tenants() -> [Tenant] {
        registry.withLock { Array($0.bySlug.values) }.sorted { $0.slug < $1.slug }
    }

    /// Whether any tenant allows `origin` (CORS preflights of the headless API, which carry no client id).
    public func isOriginAllowedByAnyTenant(_ origin: String) -> Bool {
        registry.withLock { ($0.originCounts[origin] ?? 0) > 0 }
    }

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
        if let db = open.withLock({ $0.get(tenant.id) }), db.tenant == tenant { return db }
        let pool = try DatabasePool(
            path: tenantFile(tenant.id).path,
            configuration: Self.databaseConfiguration(configuration, readers: configuration.readersPerTenant, cacheKiB: 256))
        try Migrations.checkedMigrate(Migrations.tenant, pool, label: "the database of tenant '\(tenant.slug)'")
        let caches = liveCaches.withLock { $0.caches(for: tenant.id) }
        let db = try TenantDatabase(
            tenant: tenant, pool: pool, masterKey: masterKey, keyPolicy: configuration.keyPolicy,
            caches: caches, now: clock.now)
        return open.withLock { lru in
            if let existing = lru.get(tenant.id), existing.tenant == tenant { return existing }
            lru.set(tenant.id, db)
            return db
        }
    }

    /// Number of tenant databases currently open.
    public var openDatabaseCount: Int { open.withLock { $0.count } }

    // MARK: Tenant lifecycle

    /// Creates a tenant: its registry row, its database file and its first Ed25519 signing key.
    /// - Throws: `StoreError.conflict` when the slug is taken.
    public func createTenant(slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings) async throws -> ResolvedTenant {
        let now = clock.now
        let tenant = Tenant(id: .generate(at: now), slug: slug, name: name, environment: environment, settings: settings, createdAt: now)
        do {
            try await instance.write { db in
                try Self.insertTenantRow(tenant, db)
            }
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
        registry.withLock { $0.insert(tenant) }
        return resolved
    }

    /// Adds a tenant whose registry row and database file are already in place (an import or
    /// clone) to the in-memory registry.
    func registerCopied(_ tenant: Tenant) -> ResolvedTenant {
        registry.withLock { $0.insert(tenant) }
        return ResolvedTenant(tenant)
    }

    /// Updates a tenant's name and settings; effective at once for new requests.
    public func updateTenant(_ tenant: ResolvedTenant, name: String, settings: TenantSettings) async throws -> ResolvedTenant {
        var updated = tenant.tenant
        updated.name = name
        updated.settings = settings
        let now = clock.now
        let id = updated.id.rawValue
        try await instance.write { db in
            if let hostname = settings.hostname, try Self.hostnameTaken(hostname, except: id, db) {
                throw StoreError.conflict("another tenant is served on '\(hostname)'")
            }
            try db.execute(
                cached: "UPDATE tenants SET name = ?, settings = ?, hostname = ?, updated_at = ? WHERE id = ?",
                arguments: [name, JSONColumn.encode(settings), settings.hostname, now, id])
        }
        registry.withLock { r in
            r.remove(tenant.tenant)
            r.insert(updated)
        }
        // The open database carries the old tenant value; drop it so the next request reopens. Its
        // key ring may depend on the settings (signing algorithms).
        _ = open.withLock { $0.remove(updated.id) }
        liveCaches.withLock { $0.existing(updated.id) }?.keyRing.withLock { $0 = nil }
        return ResolvedTenant(updated)
    }

    /// Writes a new tenant's registry row (created and updated at `tenant.createdAt`) in the
    /// caller's transaction.
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
    }

    /// Whether a tenant other than `except` is served on `hostname` (checked in the writing
    /// transaction; the unique index `tenants_hostname` backs it).
    static func hostnameTaken(_ hostname: String, except id: String?, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, cached: "SELECT EXISTS(SELECT 1 FROM tenants WHERE hostname = ? AND id IS NOT ?)", arguments: [hostname, id]) ?? false
    }

    /// Deletes a tenant: its registry row, its keys from the index and its database files.
    /// Its tokens stop verifying at once because its keys are gone.
    public func deleteTenant(_ tenant: ResolvedTenant) async throws {
        try await instance.write { db in
            try db.execute(cached: "DELETE FROM secret_keys WHERE tenant_id = ?", arguments: [tenant.id.rawValue])
            try db.execute(cached: "DELETE FROM client_keys WHERE tenant_id = ?", arguments: [tenant.id.rawValue])
            try db.execute(cached: "DELETE FROM tenants WHERE id = ?", arguments: [tenant.id.rawValue])
        }
        registry.withLock { $0.remove(tenant.tenant) }
        liveCaches.withLock { $0.remove(tenant.id) }
        clientTenants.withLock { $0 = $0.filter { $0.value != tenant.id } }
        // The pool is not closed here: requests still holding it finish against the unlinked files,
        // and it closes when the last one lets go.
        _ = open.withLock { $0.remove(tenant.id) }
        removeFiles(of: tenant.id)
    }

    func removeFiles(of id: TenantID) {
        let base = tenantFile(id).path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: base + suffix) }
    }
}
