import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// Stored first answers of admin requests sent with an `Idempotency-Key` header
/// (draft-ietf-httpapi-idempotency-key-header): a retry with the same key and the same body gets
/// the stored answer for ``idempotencyLifetime`` seconds. The answer's body is sealed under the
/// master key, since a created client's answer carries its secret key.
extension InstanceStore {
    /// How long a stored answer is replayed: 24 hours, in seconds.
    public static let idempotencyLifetime: TimeInterval = 24 * 3600

    /// The answer stored under (`scope`, `key`) within the last 24 hours, or nil.
    /// - Throws: `StoreError.unavailable` when the instance database fails.
    public func idempotentAnswer(scope: String, key: String) async throws -> IdempotentAnswer? {
        let oldest = clock.now.addingTimeInterval(-Self.idempotencyLifetime)
        let row = try await instance.read { db in
            try Row.fetchOne(
                db,
                cached: """
                    SELECT fingerprint, status, content_type, location, body FROM idempotency_keys
                    WHERE scope = ? AND key = ? AND created_at >= ?
                    """, arguments: [scope, key, oldest])
        }
        guard let row, let body = try? masterKey.open(Array(row["body"] as Data)) else { return nil }
        return IdempotentAnswer(
            fingerprint: Array(row["fingerprint"] as Data), status: row["status"],
            contentType: row["content_type"], location: row["location"], body: body)
    }

    /// Stores `answer` under (`scope`, `key`), replacing an expired one, and drops answers older
    /// than 24 hours. `tenant` ties the answer to a tenant so that deleting it deletes the answer.
    public func storeIdempotentAnswer(_ answer: IdempotentAnswer, scope: String, key: String, tenant: ResolvedTenant?) async throws {
        let now = clock.now
        let sealed = masterKey.seal(answer.body)
        try await instance.write { db in
            try db.execute(
                cached: "DELETE FROM idempotency_keys WHERE created_at < ?",
                arguments: [now.addingTimeInterval(-Self.idempotencyLifetime)])
            try db.execute(
                cached: """
                    INSERT OR REPLACE INTO idempotency_keys
                        (scope, key, tenant_id, fingerprint, status, content_type, location, body, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    scope, key, tenant?.id.rawValue, Data(answer.fingerprint), answer.status,
                    answer.contentType, answer.location, Data(sealed), now,
                ])
        }
    }
}
