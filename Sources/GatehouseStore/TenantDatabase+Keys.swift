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
    /// Stores a signing key that signs from `activatesAt`, sealing its private key under the master key.
    func insertSigningKey(_ key: SigningKey, createdAt: Date, activatesAt: Date, db: Database) throws -> SigningKeyRecord {
        let record = SigningKeyRecord(
            kid: try key.publicJWK.thumbprint(), algorithm: key.algorithm.rawValue,
            sealedPrivateKey: masterKey.seal(key.privateKeyBytes()), createdAt: createdAt,
            activatesAt: activatesAt)
        try db.execute(
            cached: "INSERT INTO signing_keys (\(SigningKeyRecord.columns)) VALUES (?,?,?,?,?,?,?)",
            arguments: [
                record.kid, record.algorithm, Data(record.sealedPrivateKey), record.createdAt,
                record.activatesAt, record.retiresAt, record.expiresAt,
            ])
        return record
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
        var distinct: [JWSAlgorithm] = []
        for algorithm in requested where !distinct.contains(algorithm) { distinct.append(algorithm) }
        let algorithms = distinct
        let policy = keyPolicy
        // Key generation (RSA takes tens of milliseconds) happens outside the write transaction.
        var generated: [JWSAlgorithm: SigningKey] = [:]
        for algorithm in algorithms { generated[algorithm] = try SigningKey.generate(algorithm) }
        let fresh = generated
        let result = try await pool.write { db -> [SigningKeyRecord] in
            let records = try Row.fetchAll(db, cached: "SELECT \(SigningKeyRecord.columns) FROM signing_keys").map(SigningKeyRecord.init(row:))
            var out: [SigningKeyRecord] = []
            for algorithm in algorithms {
                let mine = records.filter { $0.algorithm == algorithm.rawValue }
                if let pending = mine.first(where: { $0.status(at: now) == .next }) {
                    out.append(pending)
                    continue
                }
                let activation = now.addingTimeInterval(policy.prePublication)
                let record = try self.insertSigningKey(fresh[algorithm]!, createdAt: now, activatesAt: activation, db: db)
                for current in mine where current.status(at: now) == .active && current.retiresAt == nil {
                    try db.execute(
                        cached: "UPDATE signing_keys SET retires_at = ?, expires_at = ? WHERE kid = ?",
                        arguments: [activation, activation.addingTimeInterval(policy.retention), current.kid])
                }
                out.append(record)
            }
            return out
        }
        caches.keyRing.withLock { $0 = nil }
        return result
    }

    /// Makes sure each algorithm the tenant enables has a signing key (a newly enabled algorithm
    /// gets one that signs at once: no token of that algorithm exists yet), retires keys of
    /// algorithms no longer enabled, and starts scheduled rotations that are due.
    func maintainSigningKeys(at now: Date) async throws {
        var enabled = tenant.tenant.settings.signingAlgorithms
        // OIDC Core §15.1: RS256 ID tokens are available to every client; the tenant has an RS256
        // key from the moment a client asks for one, even when its settings do not enable RS256.
        if !enabled.contains(.rs256), try await clientsUse(.rs256) { enabled.append(.rs256) }
        let records = try await signingKeyRecords()
        var due: [JWSAlgorithm] = []
        var missing: [JWSAlgorithm] = []
        for algorithm in enabled {
            let mine = records.filter { $0.algorithm == algorithm.rawValue && $0.status(at: now) != .expired }
            if !mine.contains(where: { [.active, .next].contains($0.status(at: now)) }) {
                missing.append(algorithm)
            } else if let interval = keyPolicy.rotationInterval,
                !mine.contains(where: { $0.status(at: now) == .next }),
                let newest = mine.map(\.activatesAt).max(), now.timeIntervalSince(newest) >= interval
            {
                due.append(algorithm)
            }
        }
        let disabled = records.filter { record in
            !enabled.contains { $0.rawValue == record.algorithm } && record.retiresAt == nil
        }
        if !missing.isEmpty || !disabled.isEmpty {
            // Stored dates have millisecond precision: "now" is backdated by a second so that a key
            // that must act at once reads back as already active (or already retired).
            let immediately = now.addingTimeInterval(-1)
            var generated: [JWSAlgorithm: SigningKey] = [:]
            for algorithm in missing { generated[algorithm] = try SigningKey.generate(algorithm) }
            let fresh = generated
            let retention = keyPolicy.retention
            try await pool.write { db in
                for algorithm in fresh.keys {
                    _ = try self.insertSigningKey(fresh[algorithm]!, createdAt: immediately, activatesAt: immediately, db: db)
                }
                for record in disabled {
                    try db.execute(
                        cached: "UPDATE signing_keys SET retires_at = ?, expires_at = ? WHERE kid = ?",
                        arguments: [immediately, now.addingTimeInterval(retention), record.kid])
                }
            }
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
        if let cached = caches.keyRing.withLock({ $0 }), now < cached.validUntil { return cached.ring }
        try await maintainSigningKeys(at: now)
        let records = try await signingKeyRecords()
        var keys: [KeyRing.Key] = []
        var validUntil = now.addingTimeInterval(3600)
        // Newest first, so that the most recently activated key signs.
        for record in records.sorted(by: { $0.activatesAt > $1.activatesAt }) {
            let status = record.status(at: now)
            if let transition = record.nextTransition(after: now) { validUntil = min(validUntil, transition) }
            guard status != .expired, let algorithm = JWSAlgorithm(rawValue: record.algorithm) else { continue }
            let plain: [UInt8]
            do { plain = try masterKey.open(record.sealedPrivateKey) } catch {
                throw StoreError.unavailable("cannot unseal signing key \(record.kid): wrong master key?")
            }
            let signing = try SigningKey(algorithm: algorithm, privateKeyBytes: plain)
            var jwk = signing.publicJWK
            jwk.kid = record.kid
            jwk.alg = algorithm.rawValue
            jwk.use = "sig"
            keys.append(
                KeyRing.Key(
                    kid: record.kid, algorithm: algorithm, signingKey: status == .active ? signing : nil,
                    verifier: signing.verifier, jwk: jwk))
        }
        let ring = KeyRing(keys: keys)
        caches.keyRing.withLock { $0 = (ring, validUntil) }
        return ring
    }
}
