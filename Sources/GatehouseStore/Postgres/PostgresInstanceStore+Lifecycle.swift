import Foundation
import GatehouseCore
import PostgresNIO
import Synchronization

/// Tenant lifecycle on PostgreSQL: a tenant's registry row and its schema are created, and
/// dropped, in one transaction; other nodes learn of it from the change feed (or, for a creation,
/// from `find(slug:)` at once).
extension PostgresInstanceStore {
    /// `first`: only when the instance was never initialised (nil otherwise). The `initialised`
    /// row is inserted in the tenant's transaction: a node starting at the same time waits on it,
    /// then finds it.
    public func createTenant(slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings, first: Bool)
        async throws -> ResolvedTenant?
    {
        let now = clock.now
        let tenant = Tenant(id: .generate(at: now), slug: slug, name: name, environment: environment, settings: settings, createdAt: now)
        let schema = schemas.tenant(tenant.id)
        do {
            try await client.transaction(logger: logger) { connection in
                try await self.insertTenantRow(tenant, onlyFirst: first, on: connection)
                try await PostgresSchemas.migrate(
                    schema, PostgresSchemas.tenantMigrations, label: "the schema of tenant '\(slug)'", instance: self.instance, on: connection,
                    logger: self.logger)
            }
        } catch is AlreadyInitialised {
            return nil
        } catch  where PostgresTenantDatabase.isUniqueViolation(error) {
            throw StoreError.conflict("a tenant with slug '\(slug)' already exists")
        }
        migrated.withLock { _ = $0.insert(tenant.id) }
        lookupMisses.clear()
        let resolved = ResolvedTenant(tenant)
        do {
            // The first keys of a new tenant sign at once: nobody can have cached its JWKS yet.
            _ = try await database(for: resolved).keyRing(at: now)
        } catch {
            try? await dropTenant(tenant.id)
            throw error
        }
        return directory.insert(tenant)
    }

    /// Thrown to roll back a first tenant's transaction when the instance was initialised before.
    struct AlreadyInitialised: Error {}

    /// Records the instance as initialised by tenant `id` in the caller's transaction.
    private func markInitialised(by id: TenantID, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO \(unescaped: instance).instance_meta (name, value) VALUES ('initialised', \(id.rawValue))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Inserts a tenant's registry row in the caller's transaction, and records the instance as
    /// initialised if it was not (first, so that a node starting at the same time waits on it).
    /// - Parameter onlyFirst: throw `AlreadyInitialised` (before the row) when the instance was
    ///   initialised before.
    /// - Throws: `StoreError.conflict` when another tenant is served on its hostname; the unique
    ///   violation when the slug is taken.
    func insertTenantRow(_ tenant: Tenant, onlyFirst: Bool = false, on connection: PostgresConnection) async throws {
        if try await !markInitialised(by: tenant.id, on: connection), onlyFirst { throw AlreadyInitialised() }
        let settings = tenant.settings
        if let hostname = settings.hostname, try await hostnameTaken(hostname, except: nil, on: connection) {
            throw StoreError.conflict("another tenant is served on '\(hostname)'")
        }
        try await connection.query(
            """
            INSERT INTO \(unescaped: instance).tenants (id, slug, name, environment, settings, hostname, created_at, updated_at)
            VALUES (\(tenant.id.rawValue), \(tenant.slug), \(tenant.name), \(tenant.environment.rawValue),
                    \(JSONColumn.encode(settings)), \(settings.hostname), \(tenant.createdAt), \(tenant.createdAt))
            """, logger: logger)
    }

    func hostnameTaken(_ hostname: String, except id: String?, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT 1 FROM \(unescaped: instance).tenants WHERE hostname = \(hostname) AND id IS DISTINCT FROM \(id)
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func updateTenant(_ tenant: ResolvedTenant, name: String, settings: TenantSettings) async throws -> ResolvedTenant {
        let updated = tenant.tenant.with(name: name, settings: settings)
        let now = clock.now
        let id = updated.id.rawValue
        do {
            try await client.transaction(logger: logger) { connection in
                if let hostname = settings.hostname, try await self.hostnameTaken(hostname, except: id, on: connection) {
                    throw StoreError.conflict("another tenant is served on '\(hostname)'")
                }
                let rows = try await connection.query(
                    """
                    UPDATE \(unescaped: self.instance).tenants SET name = \(name), settings = \(JSONColumn.encode(settings)),
                        hostname = \(settings.hostname), updated_at = \(now) WHERE id = \(id) RETURNING id
                    """, logger: self.logger)
                var updatedRows = 0
                for try await _ in rows { updatedRows += 1 }
                guard updatedRows == 1 else { throw StoreError.notFound("tenant '\(tenant.slug)'") }
            }
        } catch  where PostgresTenantDatabase.isUniqueViolation(error) {
            throw StoreError.conflict("another tenant is served on '\(settings.hostname ?? "")'")
        }
        lookupMisses.clear()
        guard let registered = directory.replace(with: updated) else { throw StoreError.notFound("tenant '\(tenant.slug)'") }
        return registered
    }

    public func deleteTenant(_ tenant: ResolvedTenant) async throws {
        // Forgotten first: requests on this node answer "unknown tenant" while the schema goes; the
        // tombstone keeps a change-feed reload or lookup that read the row before the deletion
        // committed from bringing it back.
        let placed = directory.placeTombstone(tenant.id)
        forget(tenant.tenant)
        do {
            try await dropTenant(tenant.id)
        } catch {
            // The registry row decides: read afresh (another node may have changed the tenant
            // meanwhile, or the deletion committed and only its answer was lost).
            if placed { directory.liftTombstone(tenant.id) }
            await reloadTenant(tenant.id)
            throw error
        }
    }

    /// Deletes a tenant's registry row (its keys and index entries cascade) and drops its schema,
    /// in one transaction.
    func dropTenant(_ id: TenantID) async throws {
        let schema = schemas.tenant(id)
        try await client.transaction(logger: logger) { connection in
            // The lock migrations take: a node migrating the schema finishes first, or finds it gone.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema)))", logger: self.logger)
            try await connection.query("DELETE FROM \(unescaped: self.instance).tenants WHERE id = \(id.rawValue)", logger: self.logger)
            try await connection.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: self.logger)
        }
    }

    public func exportTenant(_ tenant: ResolvedTenant, passphrase: String) async throws -> [UInt8] {
        throw Self.notOnPostgres("tenant export")
    }

    public func importTenant(_ archive: [UInt8], passphrase: String, slug: String?) async throws -> TenantCopyReport {
        throw Self.notOnPostgres("tenant import")
    }

    public func cloneTenant(_ source: ResolvedTenant, slug: String, scrubPII: Bool) async throws -> TenantCopyReport {
        throw Self.notOnPostgres("tenant clone")
    }

    static func notOnPostgres(_ operation: String) -> StoreError {
        .unsupported("\(operation) is not available with the PostgreSQL backend yet")
    }
}
