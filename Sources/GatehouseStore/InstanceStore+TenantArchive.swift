import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// What an import or clone made.
public struct TenantCopyReport: Sendable {
    public let tenant: ResolvedTenant
    /// Clients whose keys were replaced (all of them in a clone; in an import those whose keys
    /// exist elsewhere in this instance). Others keep their keys.
    public let clientKeyChanges: [TenantArchive.ClientKeyChange]
    /// The source's own host, when the copy could not keep it (another tenant is served there, or
    /// a clone, which never shares its source's host).
    public let droppedHostname: String?
    /// Users in the copy.
    public let users: Int
}

extension InstanceStore {
    /// A tenant as one archive under `passphrase` (`TenantArchive`), taken online with SQLite's
    /// backup API while the tenant keeps serving.
    /// - Returns: the archive's bytes.
    /// - Throws: `TenantArchive.Failure` for a passphrase outside 12–1024 characters.
    public func exportTenant(_ tenant: ResolvedTenant, passphrase: String) async throws -> [UInt8] {
        let keys = try TenantArchive.derivedKeys(passphrase: passphrase)
        let now = clock.now
        let work = workFile("export")
        defer { removeWorkFile(work) }
        try InstanceBackup.copyDatabase(from: tenantFile(tenant.id), to: work)
        let queue = try DatabaseQueue(path: work.path)
        try await queue.write { db in
            try TenantArchive.detachLiveCredentials(db, now: now)
            try TenantArchive.reseal(db, from: self.masterKey, to: keys.columns)
        }
        try TenantArchive.compact(queue)
        try queue.close()
        let database = try Array(Data(contentsOf: work))
        let contents = TenantArchive.Contents(
            format: 1, createdAt: ISO8601DateFormatter().string(from: now), slug: tenant.slug,
            name: tenant.tenant.name, environment: tenant.tenant.environment,
            settings: tenant.tenant.settings)
        return try TenantArchive.seal(contents: contents, database: database, keys: keys)
    }

    /// Creates a tenant from an archive made by `exportTenant`, under `slug` (default: the
    /// archive's). Users keep their ids, passwords and second factors; clients keep their keys
    /// unless a key exists elsewhere in this instance (then new ones are issued and reported);
    /// the signing keys come along, so relying parties that pinned them keep verifying.
    /// - Throws: `TenantArchive.Failure` (wrong passphrase, altered or foreign file, invalid
    ///   slug); `StoreError.conflict` when the slug is taken; `StoreError.unavailable` for an
    ///   archive written by a newer version.
    public func importTenant(_ archive: [UInt8], passphrase: String, slug: String?) async throws -> TenantCopyReport {
        let (contents, database, keys) = try TenantArchive.open(archive, passphrase: passphrase)
        let slug = slug ?? contents.slug
        try checkNewSlug(slug)
        let work = workFile("import")
        defer { removeWorkFile(work) }
        guard FileManager.default.createFile(atPath: work.path, contents: Data(database), attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("cannot write into the data folder")
        }
        let queue = try DatabaseQueue(path: work.path)
        defer { try? queue.close() }
        guard (try? await queue.read({ db in try String.fetchOne(db, sql: "PRAGMA quick_check") })) == "ok" else {
            throw TenantArchive.Failure("the archive's database is damaged")
        }
        try Migrations.checkedMigrate(Migrations.tenant, queue, label: "the archive")
        try await queue.read { db in try TenantArchive.checkSchema(db) }
        let taken = try await instance.read { db in
            (
                clientIDs: try Set(String.fetchAll(db, sql: "SELECT client_id FROM client_keys")),
                secretHashes: try Set(Data.fetchAll(db, sql: "SELECT secret_hash FROM secret_keys"))
            )
        }
        let now = clock.now
        let changes = try await queue.write { db in
            try TenantArchive.detachLiveCredentials(db, now: now)
            try TenantArchive.reseal(db, from: keys.columns, to: self.masterKey)
            return try TenantArchive.replaceClientKeys(db, environment: contents.environment) { client in
                taken.clientIDs.contains(client.clientID) || client.secretHashes.contains(where: taken.secretHashes.contains)
            }
        }
        try queue.close()
        return try await register(
            copy: work, slug: slug, name: contents.name, environment: contents.environment,
            settings: contents.settings, keepHostname: true, changes: changes, now: now)
    }

    /// Copies a tenant within this instance under `slug`: settings, templates, upstream
    /// providers, users and clients (every client with new keys); new signing keys, no sessions
    /// or tokens, not the source's own host. With `scrubPII`, personal data is replaced
    /// (`TenantArchive.scrub`) and the copy's file is rewritten so no old value remains in it.
    /// - Throws: `StoreError.conflict` when the slug is taken; `TenantArchive.Failure` for an invalid slug.
    public func cloneTenant(_ source: ResolvedTenant, slug: String, scrubPII: Bool) async throws -> TenantCopyReport {
        try checkNewSlug(slug)
        let now = clock.now
        let work = workFile("clone")
        defer { removeWorkFile(work) }
        try InstanceBackup.copyDatabase(from: tenantFile(source.id), to: work)
        let queue = try DatabaseQueue(path: work.path)
        defer { try? queue.close() }
        let changes = try await queue.write { db in
            try TenantArchive.detachLiveCredentials(db, now: now)
            // A copy is another issuer: it signs with keys of its own, and its source's tokens
            // cannot verify there.
            try db.execute(sql: "DELETE FROM signing_keys")
            try db.execute(sql: "DELETE FROM grants")
            if scrubPII { try TenantArchive.scrub(db) }
            return try TenantArchive.replaceClientKeys(db, environment: source.tenant.environment) { _ in true }
        }
        try TenantArchive.compact(queue)
        try queue.close()
        return try await register(
            copy: work, slug: slug, name: source.tenant.name, environment: source.tenant.environment,
            settings: source.tenant.settings, keepHostname: false, changes: changes, now: now)
    }

    /// Puts a prepared copy in place as a new tenant: moves the file under the new tenant id,
    /// then writes the registry row and the copy's keys into the key index in one transaction
    /// (undone, with the file, if that fails), and makes sure the copy has signing keys.
    private func register(
        copy work: URL, slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings,
        keepHostname: Bool, changes: [TenantArchive.ClientKeyChange], now: Date
    ) async throws -> TenantCopyReport {
        var settings = settings
        var dropped: String?
        if let hostname = settings.hostname {
            let taken = try await instance.read { db in try Self.hostnameTaken(hostname, except: nil, db) }
            if !keepHostname || taken {
                dropped = hostname
                settings.hostname = nil
            }
        }
        let settingsKept = settings
        let tenant = Tenant(id: .generate(at: now), slug: slug, name: name, environment: environment, settings: settingsKept, createdAt: now)
        let final = tenantFile(tenant.id)
        let reader = try DatabaseQueue(path: work.path)
        let (clients, users) = try await reader.read { db in
            (try TenantArchive.clientKeys(db), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0)
        }
        try reader.close()
        try FileManager.default.moveItem(at: work, to: final)
        do {
            try await instance.write { db in
                try Self.insertTenantRow(tenant, db)
                for client in clients {
                    try db.execute(cached: "INSERT INTO client_keys (client_id, tenant_id) VALUES (?,?)", arguments: [client.clientID, tenant.id.rawValue])
                    for hash in client.secretHashes {
                        try db.execute(
                            cached: "INSERT INTO secret_keys (secret_hash, client_id, tenant_id) VALUES (?,?,?)",
                            arguments: [hash, client.clientID, tenant.id.rawValue])
                    }
                }
            }
        } catch let error as DatabaseError where TenantDatabase.isUniqueViolation(error) {
            removeFiles(of: tenant.id)
            throw StoreError.conflict("a tenant with slug '\(slug)' already exists, or a client key is taken")
        } catch {
            removeFiles(of: tenant.id)
            throw error
        }
        let resolved = registerCopied(tenant)
        do {
            _ = try await database(for: resolved).keyRing(at: now)
        } catch {
            try? await deleteTenant(resolved)
            throw error
        }
        return TenantCopyReport(tenant: resolved, clientKeyChanges: changes, droppedHostname: dropped, users: users)
    }

    /// A slug a new tenant may take.
    private func checkNewSlug(_ slug: String) throws {
        guard Tenant.isValidSlug(slug) else { throw TenantArchive.Failure("slug must be 2–63 characters of a-z, 0-9 and '-'") }
        guard !Tenant.isReservedSlug(slug) else { throw TenantArchive.Failure("slug '\(slug)' is reserved for the instance") }
        guard resolve(slug: slug) == nil else { throw StoreError.conflict("a tenant with slug '\(slug)' already exists") }
    }

    /// A private scratch file inside the data folder (same file system as the tenant files, so
    /// the final move is a rename; never world-readable).
    private func workFile(_ purpose: String) -> URL {
        configuration.dataDirectory.appendingPathComponent("tenants")
            .appendingPathComponent(".\(purpose)-\(Base64URL.encode(SecureRandom.bytes(12))).sqlite")
    }

    private func removeWorkFile(_ url: URL) {
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: url.path + suffix) }
    }
}
