import Foundation
import GatehouseCore
import GatehouseCrypto
import PostgresNIO
import Synchronization

/// The client-key index, idempotent answers, the pending-mail index and housekeeping of the
/// PostgreSQL instance; the same contracts as `InstanceStore`'s (InstanceStorage). The indexes and
/// the tenant schemas are in one database, so what SQLite does in two steps with a compensation,
/// this does in one transaction where the tenant side allows it.
extension PostgresInstanceStore {
    // MARK: Clients

    public func registerClient(_ client: Client, in tenant: ResolvedTenant, builtin: String?) async throws {
        let tenantID = tenant.id.rawValue
        do {
            try await self.client.transaction(logger: logger) { connection in
                try await connection.query(
                    "INSERT INTO \(unescaped: self.instance).client_keys (client_id, tenant_id) VALUES (\(client.clientID), \(tenantID))",
                    logger: self.logger)
                if let hash = client.secretHash {
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: self.instance).secret_keys (secret_hash, client_id, tenant_id)
                        VALUES (\(Data(hash)), \(client.clientID), \(tenantID))
                        """, logger: self.logger)
                }
            }
        } catch  where PostgresTenantDatabase.isUniqueViolation(error) {
            throw StoreError.conflict("client key already exists")
        }
        do {
            try await database(for: tenant).insertClient(client, builtin: builtin)
        } catch {
            try? await removeClientKeys(client.clientID, tenantID: tenantID)
            throw error
        }
    }

    private func removeClientKeys(_ clientID: String, tenantID: String) async throws {
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                "DELETE FROM \(unescaped: self.instance).secret_keys WHERE client_id = \(clientID) AND tenant_id = \(tenantID)",
                logger: self.logger)
            try await connection.query(
                "DELETE FROM \(unescaped: self.instance).client_keys WHERE client_id = \(clientID) AND tenant_id = \(tenantID)",
                logger: self.logger)
        }
    }

    public func rotateClientSecret(_ client: Client, newSecret: String, overlap: TimeInterval, in tenant: ResolvedTenant) async throws
        -> Client
    {
        let updated = client.rotatingSecret(to: newSecret, overlap: overlap, at: clock.now)
        let newHash = Data(updated.secretHash ?? [])
        let keep = updated.previousSecretHash.map { Data($0) }
        let tenantID = tenant.id.rawValue
        try await self.client.transaction(logger: logger) { connection in
            try await connection.query(
                "DELETE FROM \(unescaped: self.instance).secret_keys WHERE client_id = \(client.clientID) AND tenant_id = \(tenantID)",
                logger: self.logger)
            for hash in [newHash] + (keep.map { [$0] } ?? []) {
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: self.instance).secret_keys (secret_hash, client_id, tenant_id)
                    VALUES (\(hash), \(client.clientID), \(tenantID)) ON CONFLICT DO NOTHING
                    """, logger: self.logger)
            }
        }
        try await database(for: tenant).updateClient(updated)
        return updated
    }

    public func deleteClient(clientID: String, in tenant: ResolvedTenant) async throws {
        try await database(for: tenant).deleteClient(clientID: clientID, at: clock.now)
        try await removeClientKeys(clientID, tenantID: tenant.id.rawValue)
        directory.forgetClient(clientID)
    }

    // MARK: Idempotency

    public func idempotentAnswer(scope: String, key: String) async throws -> IdempotentAnswer? {
        guard !scope.utf8.contains(0), !key.utf8.contains(0) else { return nil }
        let oldest = clock.now.addingTimeInterval(-InstanceStore.idempotencyLifetime)
        let rows = try await client.query(
            """
            SELECT fingerprint, status, content_type, location, body FROM \(unescaped: instance).idempotency_keys
            WHERE scope = \(scope) AND key = \(key) AND created_at >= \(oldest)
            """, logger: logger)
        for try await (fingerprint, status, contentType, location, body) in rows.decode((Data, Int, String?, String?, Data).self) {
            guard let opened = try? masterKey.open(Array(body)) else { return nil }
            return IdempotentAnswer(
                fingerprint: Array(fingerprint), status: status, contentType: contentType, location: location, body: opened)
        }
        return nil
    }

    public func storeIdempotentAnswer(_ answer: IdempotentAnswer, scope: String, key: String, tenant: ResolvedTenant?) async throws {
        let now = clock.now
        let sealed = Data(masterKey.seal(answer.body))
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                """
                DELETE FROM \(unescaped: self.instance).idempotency_keys
                WHERE created_at < \(now.addingTimeInterval(-InstanceStore.idempotencyLifetime))
                """, logger: self.logger)
            try await connection.query(
                """
                INSERT INTO \(unescaped: self.instance).idempotency_keys
                    (scope, key, tenant_id, fingerprint, status, content_type, location, body, created_at)
                VALUES (\(scope), \(key), \(tenant?.id.rawValue), \(Data(answer.fingerprint)), \(answer.status),
                        \(answer.contentType), \(answer.location), \(sealed), \(now))
                ON CONFLICT (scope, key) DO UPDATE SET tenant_id = excluded.tenant_id, fingerprint = excluded.fingerprint,
                    status = excluded.status, content_type = excluded.content_type, location = excluded.location,
                    body = excluded.body, created_at = excluded.created_at
                """, logger: self.logger)
        }
    }

    // MARK: Mail

    /// Stores `message` in the tenant's outbox and marks the tenant pending, in one transaction.
    public func enqueueMail(_ message: OutboxMessage, in handle: any TenantHandle) async throws {
        let tenantID = handle.tenant.id.rawValue
        let schema = schemas.tenant(handle.tenant.id)
        try await client.transaction(logger: logger) { connection in
            try await connection.query(try PostgresTenantDatabase.outboxInsert(message, schema: schema), logger: self.logger)
            try await self.markMailPending(tenantID, dueAt: message.nextAttemptAt, on: connection)
        }
    }

    private func markMailPending(_ tenantID: String, dueAt: Date, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO \(unescaped: instance).mail_pending (tenant_id, due_at, version) VALUES (\(tenantID), \(dueAt), 1)
            ON CONFLICT (tenant_id) DO UPDATE SET due_at = LEAST(mail_pending.due_at, excluded.due_at),
                version = mail_pending.version + 1
            """, logger: logger)
    }

    public func tenantsWithPendingMail(dueBy now: Date?, limit: Int) async throws -> [PendingMail] {
        let rows = try await client.query(
            """
            SELECT tenant_id, due_at, version FROM \(unescaped: instance).mail_pending
            WHERE due_at <= \(now ?? .distantFuture) ORDER BY due_at LIMIT \(limit)
            """, logger: logger)
        var result: [PendingMail] = []
        for try await (id, due, version) in rows.decode((String, Date, Int).self) {
            if let id = TenantID(rawValue: id), let tenant = resolve(id: id) {
                result.append(PendingMail(tenant: tenant, dueAt: due, version: version))
            }
        }
        return result
    }

    public func nextPendingMailDue() async throws -> Date? {
        let rows = try await client.query("SELECT MIN(due_at) FROM \(unescaped: instance).mail_pending", logger: logger)
        for try await due in rows.decode(Date?.self) { return due }
        return nil
    }

    public func finishMailPass(_ pending: PendingMail, nextDue: Date?) async throws {
        let tenantID = pending.tenant.id.rawValue
        let version = pending.version
        if let nextDue {
            try await client.query(
                """
                UPDATE \(unescaped: instance).mail_pending SET due_at = \(nextDue) WHERE tenant_id = \(tenantID) AND version = \(version)
                """, logger: logger)
            return
        }
        // One transaction: the entry goes only if the outbox holds nothing undelivered.
        let schema = schemas.tenant(pending.tenant.id)
        try await client.transaction(logger: logger) { connection in
            let deleted = try await connection.query(
                """
                DELETE FROM \(unescaped: self.instance).mail_pending WHERE tenant_id = \(tenantID) AND version = \(version)
                RETURNING tenant_id
                """, logger: self.logger)
            var any = false
            for try await _ in deleted { any = true }
            guard any else { return }
            let due = try await connection.query(
                """
                SELECT MIN(next_attempt_at) FROM \(unescaped: schema).mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL
                """, logger: self.logger)
            for try await next in due.decode(Date?.self) {
                if let next { try await self.markMailPending(tenantID, dueAt: next, on: connection) }
            }
        }
    }

    public func postponeMail(_ pending: PendingMail, until: Date) async throws {
        try await client.query(
            """
            UPDATE \(unescaped: instance).mail_pending SET due_at = \(until) WHERE tenant_id = \(pending.tenant.id.rawValue)
            """, logger: logger)
    }

    public func tenantsWithPendingMail() async throws -> Int {
        let rows = try await client.query("SELECT COUNT(*) FROM \(unescaped: instance).mail_pending", logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    // MARK: Operations

    public func readinessProblems() async -> [String] {
        do {
            try await client.query("SELECT 1", logger: logger)
            return []
        } catch {
            return ["the PostgreSQL database does not answer"]
        }
    }

    /// Purges the tenants this node holds open (as `InstanceStore.purgeExpired()`); every node
    /// purges its own, and a purge twice over deletes nothing twice.
    public func purgeExpired() async {
        for db in directory.handles { try? await db.purgeExpired(now: clock.now) }
        // The change feed is read within a second; an hour of it is plenty for a slow node.
        _ = try? await client.query(
            "DELETE FROM \(unescaped: instance).changes WHERE recorded_at < clock_timestamp() - interval '1 hour'", logger: logger)
    }

    /// Nothing to free: a tenant handle holds a schema name and the shared connection pool, no
    /// connection or statement cache of its own.
    @discardableResult
    public func releaseIdleMemory() -> Int { 0 }

    /// Migrates every tenant schema now (tenants otherwise migrate on first use on each node).
    /// - Returns: one report per tenant, by slug.
    /// - Throws: `StoreError.unavailable` at the first schema written by a newer version.
    public func migrateAllTenants() async throws -> [Migrations.Report] {
        var reports: [Migrations.Report] = []
        for tenant in tenants() {
            let applied = try await PostgresSchemas.migrate(
                schemas.tenant(tenant.id), PostgresSchemas.tenantMigrations, label: "the schema of tenant '\(tenant.slug)'",
                instance: instance, existing: true, client: client, logger: logger)
            reports.append(Migrations.Report(database: tenant.slug, applied: applied))
        }
        return reports
    }
}

extension PostgresInstanceStore {
    /// Drops every schema whose name starts with `namePrefix` (tests clean up their instances
    /// with it). `namePrefix` must match `[a-z][a-z0-9_]*`.
    public func dropSchemas(startingWith namePrefix: String) async throws {
        guard namePrefix.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
            throw StoreError.unavailable("not a schema prefix: \(namePrefix)")
        }
        for name in try await schemaNames(startingWith: namePrefix) {
            try await client.query("DROP SCHEMA IF EXISTS \(unescaped: "\"\(name)\"") CASCADE", logger: logger)
        }
    }
}

extension PostgresInstanceStore {
    /// Names of the schemas starting with `namePrefix` (for tests and `gatehouse storage` reports).
    public func schemaNames(startingWith namePrefix: String) async throws -> [String] {
        let rows = try await client.query(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, \(namePrefix)) ORDER BY nspname", logger: logger)
        var names: [String] = []
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// Records a migration this version does not know in `tenant`'s schema, as a newer version
    /// would (tests of the refusal).
    public func recordForeignMigration(_ name: String, tenant: ResolvedTenant) async throws {
        try await client.query(
            "INSERT INTO \(unescaped: schemas.tenant(tenant.id)).schema_migrations (name) VALUES (\(name))", logger: logger)
    }
}

// MARK: Webhooks

/// The index of tenants with webhook endpoints (`webhook_tenants`), as `InstanceStore+Webhooks.swift`.
extension PostgresInstanceStore {
    public func markWebhookTenant(_ tenant: ResolvedTenant) async throws {
        try await client.query(
            """
            INSERT INTO \(unescaped: instance).webhook_tenants (tenant_id, version) VALUES (\(tenant.id.rawValue), 1)
            ON CONFLICT (tenant_id) DO UPDATE SET version = webhook_tenants.version + 1
            """, logger: logger)
    }

    public func unmarkWebhookTenant(_ tenant: ResolvedTenant) async throws {
        try await client.query(
            "DELETE FROM \(unescaped: instance).webhook_tenants WHERE tenant_id = \(tenant.id.rawValue)", logger: logger)
    }

    public func webhookTenants(limit: Int) async throws -> [ResolvedTenant] {
        let rows = try await client.query(
            "SELECT tenant_id FROM \(unescaped: instance).webhook_tenants ORDER BY tenant_id LIMIT \(limit)", logger: logger)
        var result: [ResolvedTenant] = []
        for try await id in rows.decode(String.self) {
            if let id = TenantID(rawValue: id), let tenant = resolve(id: id) { result.append(tenant) }
        }
        return result
    }
}

// MARK: Back-channel logout

/// The index of tenants with back-channel logout clients (`logout_tenants`), as
/// `InstanceStore+BackchannelLogout.swift`.
extension PostgresInstanceStore {
    public func markLogoutTenant(_ tenant: ResolvedTenant) async throws {
        try await client.query(
            """
            INSERT INTO \(unescaped: instance).logout_tenants (tenant_id, version) VALUES (\(tenant.id.rawValue), 1)
            ON CONFLICT (tenant_id) DO UPDATE SET version = logout_tenants.version + 1
            """, logger: logger)
    }

    public func logoutTenants(limit: Int) async throws -> [ResolvedTenant] {
        let rows = try await client.query(
            "SELECT tenant_id FROM \(unescaped: instance).logout_tenants ORDER BY tenant_id LIMIT \(limit)", logger: logger)
        var result: [ResolvedTenant] = []
        for try await id in rows.decode(String.self) {
            if let id = TenantID(rawValue: id), let tenant = resolve(id: id) { result.append(tenant) }
        }
        return result
    }
}
