import Foundation
import GatehouseCore
import GatehouseCrypto
import Synchronization

/// The signing-key decisions every backend makes alike (`TenantDatabase+Keys.swift` on SQLite,
/// `PostgresTenantDatabase+Keys.swift`): which keys to create, rotate or retire, and the key ring
/// the records make. The backends only read and write the records.
enum SigningKeySchedule {
    /// What keeping a tenant's keys in line with its settings needs at one instant.
    struct Maintenance {
        /// Enabled algorithms with no active or pending key: each gets a key that signs at once.
        var missing: [JWSAlgorithm] = []
        /// Enabled algorithms whose newest key is older than the rotation interval.
        var due: [JWSAlgorithm] = []
        /// Unretired keys of algorithms no longer enabled: they retire at once.
        var disabled: [SigningKeyRecord] = []
    }

    /// What the tenant's keys (`records`) need at `now` for the `enabled` algorithms.
    static func maintenance(enabled: [JWSAlgorithm], records: [SigningKeyRecord], at now: Date, policy: KeyPolicy) -> Maintenance {
        var plan = Maintenance()
        for algorithm in enabled {
            let mine = records.filter { $0.algorithm == algorithm.rawValue && $0.status(at: now) != .expired }
            if !mine.contains(where: { [.active, .next].contains($0.status(at: now)) }) {
                plan.missing.append(algorithm)
            } else if let interval = policy.rotationInterval,
                !mine.contains(where: { $0.status(at: now) == .next }),
                let newest = mine.map(\.activatesAt).max(), now.timeIntervalSince(newest) >= interval
            {
                plan.due.append(algorithm)
            }
        }
        plan.disabled = records.filter { record in
            !enabled.contains { $0.rawValue == record.algorithm } && record.retiresAt == nil
        }
        return plan
    }

    /// What a rotation of one algorithm does.
    enum Rotation {
        /// A key is already waiting to activate: it stays, nothing is created.
        case keep(SigningKeyRecord)
        /// A new key is created; these active keys retire when it activates.
        case replace(retiring: [SigningKeyRecord])
    }

    /// The rotation of `algorithm` among the tenant's keys at `now`.
    static func rotation(of algorithm: JWSAlgorithm, records: [SigningKeyRecord], at now: Date) -> Rotation {
        let mine = records.filter { $0.algorithm == algorithm.rawValue }
        if let pending = mine.first(where: { $0.status(at: now) == .next }) { return .keep(pending) }
        return .replace(retiring: mine.filter { $0.status(at: now) == .active && $0.retiresAt == nil })
    }

    /// The rows a key change writes: new keys, and keys whose retirement is scheduled.
    struct Changes: Sendable {
        var inserted: [SigningKeyRecord] = []
        var retired: [(record: SigningKeyRecord, retiresAt: Date, expiresAt: Date)] = []
    }

    /// A rotation of each of `algorithms` among `records` at `now`: an algorithm with a key
    /// waiting to activate keeps it; any other gets a new key (made from `fresh`) that is published
    /// now and signs after the pre-publication window, when the keys it replaces retire, to stay
    /// published for the retention.
    /// - Returns: the rows to write and, per algorithm, the new or already pending key.
    static func rotation(
        _ algorithms: [JWSAlgorithm], fresh: [JWSAlgorithm: SigningKey], records: [SigningKeyRecord], at now: Date, policy: KeyPolicy,
        masterKey: SecretBox
    ) throws -> (changes: Changes, keys: [SigningKeyRecord]) {
        var changes = Changes()
        var keys: [SigningKeyRecord] = []
        for algorithm in algorithms {
            switch rotation(of: algorithm, records: records, at: now) {
            case .keep(let pending): keys.append(pending)
            case .replace(let retiring):
                let activation = now.addingTimeInterval(policy.prePublication)
                let key = try record(of: fresh[algorithm]!, createdAt: now, activatesAt: activation, masterKey: masterKey)
                changes.inserted.append(key)
                keys.append(key)
                changes.retired += retiring.map { ($0, activation, activation.addingTimeInterval(policy.retention)) }
            }
        }
        return (changes, keys)
    }

    /// Keys that act at once: `fresh` ones that sign from `immediately`, and `disabled` ones that
    /// retire then and leave the JWKS after the retention.
    static func immediate(
        fresh: [SigningKey], disabled: [SigningKeyRecord], immediately: Date, at now: Date, policy: KeyPolicy, masterKey: SecretBox
    ) throws -> Changes {
        Changes(
            inserted: try fresh.map { try record(of: $0, createdAt: immediately, activatesAt: immediately, masterKey: masterKey) },
            retired: disabled.map { ($0, immediately, now.addingTimeInterval(policy.retention)) })
    }

    /// Each algorithm once, in the order first listed.
    static func distinct(_ requested: [JWSAlgorithm]) -> [JWSAlgorithm] {
        var distinct: [JWSAlgorithm] = []
        for algorithm in requested where !distinct.contains(algorithm) { distinct.append(algorithm) }
        return distinct
    }

    /// A fresh key for each of `algorithms`, made before any write transaction (RSA takes tens of
    /// milliseconds).
    static func generate(_ algorithms: [JWSAlgorithm]) throws -> [JWSAlgorithm: SigningKey] {
        var generated: [JWSAlgorithm: SigningKey] = [:]
        for algorithm in algorithms { generated[algorithm] = try SigningKey.generate(algorithm) }
        return generated
    }

    /// The record of `key`, its private key sealed under `masterKey`, published from `createdAt`
    /// and signing from `activatesAt`.
    static func record(of key: SigningKey, createdAt: Date, activatesAt: Date, masterKey: SecretBox) throws -> SigningKeyRecord {
        SigningKeyRecord(
            kid: try key.publicJWK.thumbprint(), algorithm: key.algorithm.rawValue,
            sealedPrivateKey: masterKey.seal(key.privateKeyBytes()), createdAt: createdAt, activatesAt: activatesAt)
    }

    /// The published keys of `records` at `now`, unsealed, and the instant until which that ring
    /// holds (the next key transition, at most an hour ahead).
    /// - Throws: `StoreError.unavailable` when a private key cannot be unsealed (wrong master key).
    static func ring(_ records: [SigningKeyRecord], at now: Date, masterKey: SecretBox) throws -> (ring: KeyRing, validUntil: Date) {
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
        return (KeyRing(keys: keys), validUntil)
    }

    /// The algorithms a tenant must have keys for: those its settings enable and RS256 as soon as
    /// one of its clients signs with it (OIDC Core §15.1: RS256 ID tokens are available to every
    /// client, even when the tenant's settings do not enable RS256).
    static func enabled(
        _ settings: TenantSettings, clientsUse: (JWSAlgorithm) async throws -> Bool
    ) async throws -> [JWSAlgorithm] {
        var enabled = settings.signingAlgorithms
        if !enabled.contains(.rs256), try await clientsUse(.rs256) { enabled.append(.rs256) }
        return enabled
    }

    /// The key ring cached in `caches` while it holds, else the ring `records` make once
    /// `maintain` has run, cached until its next key transition.
    /// - Throws: `StoreError.unavailable` when a private key cannot be unsealed (wrong master key).
    static func cachedRing(
        _ caches: TenantCaches, at now: Date, masterKey: SecretBox, maintain: () async throws -> Void,
        records: () async throws -> [SigningKeyRecord]
    ) async throws -> KeyRing {
        if let cached = caches.keyRing.withLock({ $0 }), now < cached.validUntil { return cached.ring }
        try await maintain()
        let (ring, validUntil) = try Self.ring(try await records(), at: now, masterKey: masterKey)
        caches.keyRing.withLock { $0 = (ring, validUntil) }
        return ring
    }
}
