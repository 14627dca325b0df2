import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB
import Synchronization

/// When keys rotate and how long they stay published (the `[keys]` table of gatehouse.toml).
public struct KeyPolicy: Sendable {
    /// Seconds a replacement key is published before it signs. The JWKS `Cache-Control` max-age is
    /// kept shorter than this, so relying parties see the key before any token uses it.
    public var prePublication: TimeInterval
    /// Seconds after which a signing key is replaced automatically; nil disables scheduled rotation.
    public var rotationInterval: TimeInterval?
    /// Seconds a retired key stays published: the longest token lifetime a tenant may configure
    /// (one day) plus a minute of clock skew.
    public var retention: TimeInterval = 86400 + 60

    public init(prePublication: TimeInterval = 3600, rotationInterval: TimeInterval? = 90 * 86400) {
        self.prePublication = prePublication
        self.rotationInterval = rotationInterval
    }

    /// The JWKS and discovery `Cache-Control` max-age in seconds: half the pre-publication window,
    /// at most five minutes.
    public var jwksMaxAge: Int { max(0, min(300, Int(prePublication / 2))) }
}

extension TenantDatabase {
    /// Writes `changes` in the caller's transaction.
    func apply(_ changes: SigningKeySchedule.Changes, db: Database) throws {
        for record in changes.inserted {
            try db.execute(
                cached: "INSERT INTO signing_keys (\(SigningKeyRecord.columns)) VALUES (?,?,?,?,?,?,?)",
                arguments: [
                    record.kid, record.algorithm, Data(record.sealedPrivateKey), record.createdAt,
                    record.activatesAt, record.retiresAt, record.expiresAt,
                ])
        }
        for (record, retiresAt, expiresAt) in changes.retired {
            try db.execute(
                cached: "UPDATE signing_keys SET retires_at = ?, expires_at = ? WHERE kid = ?", arguments: [retiresAt, expiresAt, record.kid])
        }
    }

    /// Every key record, oldest first (expired ones included until they are purged).
    public func signingKeyRecords() async throws -> [SigningKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, cached: "SELECT \(SigningKeyRecord.columns) FROM signing_keys ORDER BY created_at").map(SigningKeyRecord.init(row:))
        }
    }

    /// Starts a rotation for each of `algorithms`: a new key is published now and signs after the
    /// pre-publication window; the key it replaces retires then and stays published for `retention`.
    /// An algorithm that already has a key waiting to activate keeps it.
    /// Each algorithm counts once, however often it is listed.
    /// - Returns: the new (or already pending) keys, one per distinct algorithm.
    @discardableResult
    public func rotateSigningKeys(algorithms requested: [JWSAlgorithm], at now: Date) async throws -> [SigningKeyRecord] {
        let algorithms = SigningKeySchedule.distinct(requested)
        let policy = keyPolicy
        // Key generation (RSA takes tens of milliseconds) happens outside the write transaction.
        let fresh = try SigningKeySchedule.generate(algorithms)
        let result = try await pool.write { db -> [SigningKeyRecord] in
            let records = try Row.fetchAll(db, cached: "SELECT \(SigningKeyRecord.columns) FROM signing_keys").map(SigningKeyRecord.init(row:))
            let (changes, keys) = try SigningKeySchedule.rotation(
                algorithms, fresh: fresh, records: records, at: now, policy: policy, masterKey: self.masterKey)
            try self.apply(changes, db: db)
            return keys
        }
        caches.keyRing.withLock { $0 = nil }
        return result
    }

    /// Makes sure each algorithm the tenant enables has a signing key (a newly enabled algorithm
    /// gets one that signs at once: no token of that algorithm exists yet), retires keys of
    /// algorithms no longer enabled, and starts scheduled rotations that are due.
    func maintainSigningKeys(at now: Date) async throws {
        let enabled = try await SigningKeySchedule.enabled(tenant.tenant.settings, clientsUse: clientsUse)
        let plan = SigningKeySchedule.maintenance(enabled: enabled, records: try await signingKeyRecords(), at: now, policy: keyPolicy)
        let (due, missing, disabled) = (plan.due, plan.missing, plan.disabled)
        if !missing.isEmpty || !disabled.isEmpty {
            // Stored dates have millisecond precision: "now" is backdated by a second so that a key
            // that must act at once reads back as already active (or already retired).
            let immediately = now.addingTimeInterval(-1)
            let changes = try SigningKeySchedule.immediate(
                fresh: Array(try SigningKeySchedule.generate(missing).values), disabled: disabled, immediately: immediately, at: now,
                policy: keyPolicy, masterKey: masterKey)
            try await pool.write { db in try self.apply(changes, db: db) }
        }
        if !due.isEmpty { try await rotateSigningKeys(algorithms: due, at: now) }
    }

    /// Whether any client of the tenant signs ID tokens or access tokens with `algorithm`.
    func clientsUse(_ algorithm: JWSAlgorithm) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                cached: """
                    SELECT EXISTS(SELECT 1 FROM clients WHERE id_token_signed_response_alg = ? OR access_token_signing_alg = ?)
                    """, arguments: [algorithm.rawValue, algorithm.rawValue]) ?? false
        }
    }

    /// Rebuilds the key ring now, creating the keys the tenant's settings and clients need (called
    /// by the admin API after a client change, so that no token request has to make a key).
    public func ensureSigningKeys(at now: Date) async throws {
        caches.keyRing.withLock { $0 = nil }
        _ = try await keyRing(at: now)
    }

    /// The tenant's published keys at `now`, unsealed; cached until the next scheduled change.
    /// - Throws: `StoreError.unavailable` when a private key cannot be unsealed (wrong master key).
    public func keyRing(at now: Date) async throws -> KeyRing {
        try await SigningKeySchedule.cachedRing(
            caches, at: now, masterKey: masterKey, maintain: { try await maintainSigningKeys(at: now) }, records: signingKeyRecords)
    }
}
