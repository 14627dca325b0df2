import Foundation
import GatehouseCore
import GatehouseCrypto
import PostgresNIO
import Synchronization

/// Signing keys of a tenant schema (`KeyStore`), with the schedule of `TenantDatabase+Keys.swift`
/// (`SigningKeySchedule`).
///
/// Several nodes may maintain or rotate one tenant's keys at once: every change re-reads the
/// records and decides inside one transaction that holds the tenant's key lock (a
/// transaction-scoped advisory lock on the schema name + `keys`), so an algorithm never gets two
/// keys from two nodes. Keys are generated before the lock (RSA takes tens of milliseconds); one a
/// node turns out not to need is dropped.
extension PostgresTenantDatabase {
    /// Every key record, oldest first (expired ones included until they are purged).
    public func signingKeyRecords() async throws -> [SigningKeyRecord] {
        try await query("SELECT \(unescaped: SigningKeyRecord.columns) FROM \(unescaped: schema).signing_keys ORDER BY created_at")
            .map(SigningKeyRecord.init(postgres:))
    }

    /// Starts a rotation for each distinct algorithm of `requested`, as `KeyStore` describes:
    /// decided under the key lock, so two nodes rotating at once make one pending key, not two.
    /// - Returns: the new (or already pending) keys, one per distinct algorithm.
    @discardableResult
    public func rotateSigningKeys(algorithms requested: [JWSAlgorithm], at now: Date) async throws -> [SigningKeyRecord] {
        let algorithms = SigningKeySchedule.distinct(requested)
        let fresh = try SigningKeySchedule.generate(algorithms)
        let policy = keyPolicy
        let masterKey = masterKey
        let result = try await lockedKeys { records, connection in
            let (changes, keys) = try SigningKeySchedule.rotation(
                algorithms, fresh: fresh, records: records, at: now, policy: policy, masterKey: masterKey)
            try await self.apply(changes, on: connection)
            return keys
        }
        caches.keyRing.withLock { $0 = nil }
        return result
    }

    /// Makes sure each algorithm the tenant enables has a signing key (a newly enabled algorithm
    /// gets one that signs at once: no token of that algorithm exists yet), retires keys of
    /// algorithms no longer enabled, and starts scheduled rotations that are due.
    func maintainSigningKeys(at now: Date) async throws {
        let algorithms = try await SigningKeySchedule.enabled(tenant.tenant.settings, clientsUse: clientsUse)
        let policy = keyPolicy
        let plan = SigningKeySchedule.maintenance(enabled: algorithms, records: try await signingKeyRecords(), at: now, policy: policy)
        if !plan.missing.isEmpty || !plan.disabled.isEmpty {
            // As on SQLite, a key that must act at once is dated a second back.
            let immediately = now.addingTimeInterval(-1)
            let fresh = try SigningKeySchedule.generate(plan.missing)
            let masterKey = masterKey
            try await lockedKeys { records, connection in
                // Decided again under the lock: another node may have done it meanwhile. An
                // algorithm that became missing only now gets its key from the next ring.
                let current = SigningKeySchedule.maintenance(enabled: algorithms, records: records, at: now, policy: policy)
                let changes = try SigningKeySchedule.immediate(
                    fresh: current.missing.compactMap { fresh[$0] }, disabled: current.disabled, immediately: immediately, at: now,
                    policy: policy, masterKey: masterKey)
                try await self.apply(changes, on: connection)
            }
        }
        if !plan.due.isEmpty { try await rotateSigningKeys(algorithms: plan.due, at: now) }
    }

    /// The tenant's published keys at `now`, unsealed, made as on SQLite and cached (shared by the
    /// tenant's live handles) until the next key transition.
    /// - Throws: `StoreError.unavailable` when a private key cannot be unsealed (wrong master key).
    public func keyRing(at now: Date) async throws -> KeyRing {
        try await SigningKeySchedule.cachedRing(
            caches, at: now, masterKey: masterKey, maintain: { try await maintainSigningKeys(at: now) }, records: signingKeyRecords)
    }

    /// Drops the cached ring and makes it again, with the keys the tenant's settings and clients
    /// need (the admin API calls this after a client change).
    public func ensureSigningKeys(at now: Date) async throws {
        caches.keyRing.withLock { $0 = nil }
        _ = try await keyRing(at: now)
    }

    // MARK: Statements

    /// Runs `body` in a transaction holding the tenant's key lock, with every key record as read
    /// under it.
    private func lockedKeys<T: Sendable>(
        _ body: @Sendable ([SigningKeyRecord], PostgresConnection) async throws -> T
    ) async throws -> T {
        try await transaction { connection in
            try await self.run("SELECT pg_advisory_xact_lock(hashtext(\(self.schema + "keys")))", on: connection)
            let records = try await self.run(
                "SELECT \(unescaped: SigningKeyRecord.columns) FROM \(unescaped: self.schema).signing_keys", on: connection
            ).map(SigningKeyRecord.init(postgres:))
            return try await body(records, connection)
        }
    }

    /// Writes `changes` in the caller's transaction.
    private func apply(_ changes: SigningKeySchedule.Changes, on connection: PostgresConnection) async throws {
        for record in changes.inserted {
            try await run(insert(into: "signing_keys", columns: SigningKeyRecord.columns, values: record.postgresValues), on: connection)
        }
        for (record, retiresAt, expiresAt) in changes.retired {
            try await run(
                """
                UPDATE \(unescaped: schema).signing_keys SET retires_at = \(PostgresTimestamp(retiresAt)),
                expires_at = \(PostgresTimestamp(expiresAt)) WHERE kid = \(record.kid)
                """, on: connection)
        }
    }
}
