import Foundation
import GatehouseCore
import GRDB
import Synchronization

/// The instance index of client keys: registering, rotating and deleting clients across the
/// instance database and the tenant's own file.
extension InstanceStore {
    /// Registers a client in its tenant and the instance key index (its publishable key, and the
    /// hash of its secret key when it has one).
    /// - Throws: `StoreError.conflict` when the key exists anywhere in the instance.
    public func registerClient(_ client: Client, in tenant: ResolvedTenant, builtin: String?) async throws {
        do {
            try await instance.write { db in
                try db.execute(cached: "INSERT INTO client_keys (client_id, tenant_id) VALUES (?,?)", arguments: [client.clientID, tenant.id.rawValue])
                if let hash = client.secretHash {
                    try db.execute(
                        cached: "INSERT INTO secret_keys (secret_hash, client_id, tenant_id) VALUES (?,?,?)",
                        arguments: [Data(hash), client.clientID, tenant.id.rawValue])
                }
            }
        } catch let error as DatabaseError where TenantDatabase.isUniqueViolation(error) {
            throw StoreError.conflict("client key already exists")
        }
        do {
            try await database(for: tenant).insertClient(client, builtin: builtin)
        } catch {
            try? await instance.write { db in
                try db.execute(cached: "DELETE FROM secret_keys WHERE client_id = ?", arguments: [client.clientID])
                try db.execute(cached: "DELETE FROM client_keys WHERE client_id = ?", arguments: [client.clientID])
            }
            throw error
        }
    }

    /// Replaces a confidential client's secret key. The previous secret stays valid for `overlap`
    /// seconds (0: revoked at once). Both secrets stay in the secret-key index until the overlap ends.
    /// - Returns: the updated client.
    public func rotateClientSecret(_ client: Client, newSecret: String, overlap: TimeInterval, in tenant: ResolvedTenant) async throws -> Client {
        let updated = client.rotatingSecret(to: newSecret, overlap: overlap, at: clock.now)
        let newHash = Data(updated.secretHash ?? [])
        let keep = updated.previousSecretHash.map { Data($0) }
        try await instance.write { db in
            try db.execute(cached: "DELETE FROM secret_keys WHERE client_id = ? AND tenant_id = ?", arguments: [client.clientID, tenant.id.rawValue])
            try db.execute(
                cached: "INSERT INTO secret_keys (secret_hash, client_id, tenant_id) VALUES (?,?,?)",
                arguments: [newHash, client.clientID, tenant.id.rawValue])
            if let keep {
                try db.execute(
                    cached: "INSERT OR IGNORE INTO secret_keys (secret_hash, client_id, tenant_id) VALUES (?,?,?)",
                    arguments: [keep, client.clientID, tenant.id.rawValue])
            }
        }
        try await database(for: tenant).updateClient(updated)
        return updated
    }

    /// Deletes a client from its tenant and the key index, revoking its grants.
    public func deleteClient(clientID: String, in tenant: ResolvedTenant) async throws {
        try await database(for: tenant).deleteClient(clientID: clientID, at: clock.now)
        try await instance.write { db in
            try db.execute(cached: "DELETE FROM secret_keys WHERE client_id = ? AND tenant_id = ?", arguments: [clientID, tenant.id.rawValue])
            try db.execute(cached: "DELETE FROM client_keys WHERE client_id = ? AND tenant_id = ?", arguments: [clientID, tenant.id.rawValue])
        }
        directory.forgetClient(clientID)
    }

    /// Migrates every tenant database now (tenants otherwise migrate on first open), one at a time
    /// and without keeping them open. `gatehouse migrate` prints the report.
    /// - Returns: one report per tenant, by slug; the instance database was migrated when this store opened.
    /// - Throws: `StoreError.unavailable` at the first database written by a newer version.
    public func migrateAllTenants() throws -> [Migrations.Report] {
        try tenants().map { tenant in
            let queue = try DatabaseQueue(
                path: tenantFile(tenant.id).path,
                configuration: Self.databaseConfiguration(configuration, readers: 1))
            defer { try? queue.close() }
            let applied = try Migrations.checkedMigrate(Migrations.tenant, queue, label: "the database of tenant '\(tenant.slug)'")
            return Migrations.Report(database: tenant.slug, applied: applied)
        }
    }

    /// Readiness: the instance database answers a query and the data folder accepts a new file.
    /// - Returns: the reasons this instance is not ready; empty when it is.
    public func readinessProblems() async -> [String] {
        var problems: [String] = []
        do {
            _ = try await instance.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
        } catch {
            problems.append("the instance database does not answer")
        }
        let probe = configuration.dataDirectory.appendingPathComponent(".readyz-probe").path
        if FileManager.default.createFile(atPath: probe, contents: Data(), attributes: [.posixPermissions: 0o600]) {
            try? FileManager.default.removeItem(atPath: probe)
        } else {
            problems.append("the data folder is not writable")
        }
        return problems
    }

    /// Takes an online backup of the data folder into the new or empty folder `destination`
    /// (`InstanceBackup.create`).
    @discardableResult
    public func backup(to destination: URL) throws -> InstanceBackup.Manifest {
        try InstanceBackup.create(
            dataDirectory: configuration.dataDirectory, destination: destination,
            keyCheck: backupKeyCheck, now: clock.now)
    }

    /// Runs housekeeping on every open tenant database (`TenantDatabase.purgeExpired(now:)`).
    public func purgeExpired() async {
        let dbs = directory.handles
        for db in dbs { try? await db.purgeExpired(now: clock.now) }
    }
}
