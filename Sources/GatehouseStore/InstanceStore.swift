import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB
import Logging
import Synchronization

/// A tenant that was looked up in the instance registry. Only `InstanceStore` makes these, and a
/// `TenantDatabase` can only be opened from one (ARCHITECTURE.md B2).
public struct ResolvedTenant: Sendable, Equatable {
    public let tenant: Tenant
    fileprivate init(_ tenant: Tenant) { self.tenant = tenant }
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

    public init(dataDirectory: URL, synchronous: String = "normal", maxOpenTenants: Int = 128, readersPerTenant: Int = 2) {
        self.dataDirectory = dataDirectory
        self.synchronous = synchronous
        self.maxOpenTenants = maxOpenTenants
        self.readersPerTenant = readersPerTenant
    }
}

/// The instance: the tenant registry, the key → tenant index and the LRU of open tenant databases.
public final class InstanceStore: Sendable {
    public let configuration: StoreConfiguration
    let instance: DatabasePool
    let masterKey: SecretBox
    let clock: any Clock
    let logger: Logger
    /// Every tenant by slug, and slugs by id: the registry is small enough to keep in memory.
    private let registry = Mutex<(bySlug: [String: Tenant], slugByID: [TenantID: String])>(([:], [:]))
    private let open: Mutex<LRU<TenantID, TenantDatabase>>

    /// Opens (creating if needed) the instance database under `configuration.dataDirectory`.
    /// - Parameter masterKey: the 32-byte key that seals private keys and secrets at rest.
    public init(configuration: StoreConfiguration, masterKey: [UInt8], clock: any Clock, logger: Logger) throws {
        self.configuration = configuration
        self.masterKey = try SecretBox(key: masterKey)
        self.clock = clock
        self.logger = logger
        self.open = Mutex(LRU(capacity: max(1, configuration.maxOpenTenants)))
        let fm = FileManager.default
        try fm.createDirectory(at: configuration.dataDirectory.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        instance = try DatabasePool(path: configuration.dataDirectory.appendingPathComponent("instance.sqlite").path,
                                    configuration: Self.databaseConfiguration(configuration, readers: 2))
        try Migrations.instance.migrate(instance)
        let tenants = try instance.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tenants").map(Self.tenant(row:)) }
        registry.withLock { r in
            for t in tenants {
                r.bySlug[t.slug] = t
                r.slugByID[t.id] = t.slug
            }
        }
    }

    static func databaseConfiguration(_ c: StoreConfiguration, readers: Int) -> Configuration {
        var config = Configuration()
        config.maximumReaderCount = max(1, readers)
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        let synchronous = c.synchronous.uppercased() == "FULL" ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        return config
    }

    static func tenant(row: Row) -> Tenant {
        Tenant(id: TenantID(rawValue: row["id"])!, slug: row["slug"], name: row["name"],
               environment: TenantEnvironment(rawValue: row["environment"]) ?? .dev,
               settings: JSONColumn.decode(TenantSettings.self, row["settings"]) ?? TenantSettings(),
               createdAt: row["created_at"])
    }

    // MARK: Resolution

    /// The tenant with `slug`, from the in-memory registry.
    public func resolve(slug: String) -> ResolvedTenant? {
        registry.withLock { $0.bySlug[slug] }.map(ResolvedTenant.init)
    }

    /// The tenant that owns the publishable or secret key `clientID` (one indexed lookup).
    public func resolve(clientID: String) async throws -> ResolvedTenant? {
        guard let id = try await instance.read({ db in
            try String.fetchOne(db, sql: "SELECT tenant_id FROM client_keys WHERE client_id = ?", arguments: [clientID])
        }).flatMap(TenantID.init(rawValue:)) else { return nil }
        return registry.withLock { r in r.slugByID[id].flatMap { r.bySlug[$0] } }.map(ResolvedTenant.init)
    }

    /// Every tenant, ordered by slug.
    public func tenants() -> [Tenant] {
        registry.withLock { Array($0.bySlug.values) }.sorted { $0.slug < $1.slug }
    }

    // MARK: Tenant databases

    func tenantFile(_ id: TenantID) -> URL {
        configuration.dataDirectory.appendingPathComponent("tenants").appendingPathComponent("\(id.rawValue).sqlite")
    }

    /// The open database of a resolved tenant, opening it (and evicting the least recently used
    /// one beyond `maxOpenTenants`) when cold.
    public func database(for tenant: ResolvedTenant) async throws -> TenantDatabase {
        if let db = open.withLock({ $0.get(tenant.id) }), db.tenant == tenant { return db }
        let pool = try DatabasePool(path: tenantFile(tenant.id).path,
                                    configuration: Self.databaseConfiguration(configuration, readers: configuration.readersPerTenant))
        try Migrations.tenant.migrate(pool)
        let db = try TenantDatabase(tenant: tenant, pool: pool, masterKey: masterKey, now: clock.now)
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
                try db.execute(sql: "INSERT INTO tenants (id, slug, name, environment, settings, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
                               arguments: [tenant.id.rawValue, slug, name, environment.rawValue, JSONColumn.encode(settings), now, now])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("a tenant with slug '\(slug)' already exists")
        }
        let resolved = ResolvedTenant(tenant)
        do {
            let db = try await database(for: resolved)
            try await db.insertSigningKey(SigningKey.generate(.eddsa), status: .active, at: now)
        } catch {
            try? await instance.write { db in try db.execute(sql: "DELETE FROM tenants WHERE id = ?", arguments: [tenant.id.rawValue]) }
            removeFiles(of: tenant.id)
            throw error
        }
        registry.withLock { r in
            r.bySlug[slug] = tenant
            r.slugByID[tenant.id] = slug
        }
        return resolved
    }

    /// Updates a tenant's name and settings; effective at once for new requests.
    public func updateTenant(_ tenant: ResolvedTenant, name: String, settings: TenantSettings) async throws -> ResolvedTenant {
        var updated = tenant.tenant
        updated.name = name
        updated.settings = settings
        let now = clock.now
        let id = updated.id.rawValue
        try await instance.write { db in
            try db.execute(sql: "UPDATE tenants SET name = ?, settings = ?, updated_at = ? WHERE id = ?",
                           arguments: [name, JSONColumn.encode(settings), now, id])
        }
        registry.withLock { $0.bySlug[updated.slug] = updated }
        // The open database carries the old tenant value; drop it so the next request reopens.
        _ = open.withLock { $0.remove(updated.id) }
        return ResolvedTenant(updated)
    }

    /// Deletes a tenant: its registry row, its keys from the index and its database files.
    /// Its tokens stop verifying at once because its keys are gone.
    public func deleteTenant(_ tenant: ResolvedTenant) async throws {
        try await instance.write { db in
            try db.execute(sql: "DELETE FROM client_keys WHERE tenant_id = ?", arguments: [tenant.id.rawValue])
            try db.execute(sql: "DELETE FROM tenants WHERE id = ?", arguments: [tenant.id.rawValue])
        }
        registry.withLock { r in
            r.bySlug[tenant.slug] = nil
            r.slugByID[tenant.id] = nil
        }
        let db = open.withLock { $0.remove(tenant.id) }
        try? db?.pool.close()
        removeFiles(of: tenant.id)
    }

    func removeFiles(of id: TenantID) {
        let base = tenantFile(id).path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: base + suffix) }
    }

    // MARK: Client keys

    /// Registers a client in its tenant and the instance key index.
    /// - Throws: `StoreError.conflict` when the key exists anywhere in the instance.
    public func registerClient(_ client: Client, in tenant: ResolvedTenant, builtin: String? = nil) async throws {
        do {
            try await instance.write { db in
                try db.execute(sql: "INSERT INTO client_keys (client_id, tenant_id) VALUES (?,?)", arguments: [client.clientID, tenant.id.rawValue])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY || error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("client key already exists")
        }
        do {
            try await database(for: tenant).insertClient(client, builtin: builtin)
        } catch {
            try? await instance.write { db in try db.execute(sql: "DELETE FROM client_keys WHERE client_id = ?", arguments: [client.clientID]) }
            throw error
        }
    }

    /// Deletes a client from its tenant and the key index, revoking its grants.
    public func deleteClient(clientID: String, in tenant: ResolvedTenant) async throws {
        try await database(for: tenant).deleteClient(clientID: clientID, at: clock.now)
        try await instance.write { db in
            try db.execute(sql: "DELETE FROM client_keys WHERE client_id = ? AND tenant_id = ?", arguments: [clientID, tenant.id.rawValue])
        }
    }

    /// Runs housekeeping on every open tenant database.
    public func purgeExpired() async {
        let dbs = open.withLock { $0.values }
        for db in dbs { try? await db.purgeExpired(now: clock.now) }
    }
}

/// A small least-recently-used map.
struct LRU<Key: Hashable, Value> {
    private var entries: [Key: (value: Value, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.count }
    var values: [Value] { entries.values.map(\.value) }

    mutating func get(_ key: Key) -> Value? {
        guard let entry = entries[key] else { return nil }
        tick += 1
        entries[key] = (entry.value, tick)
        return entry.value
    }

    mutating func set(_ key: Key, _ value: Value) {
        tick += 1
        entries[key] = (value, tick)
        if entries.count > capacity, let oldest = entries.min(by: { $0.value.tick < $1.value.tick })?.key {
            entries[oldest] = nil
        }
    }

    @discardableResult
    mutating func remove(_ key: Key) -> Value? { entries.removeValue(forKey: key)?.value }
}
