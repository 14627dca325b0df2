import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO

/// The `jti` of accepted client assertions (RFC 7523 §3 item 7), as `TenantDatabase+ClientAssertions.swift`
/// on SQLite; shared by every node of the database.
extension PostgresTenantDatabase: ClientAssertionReplayStore {
    /// Inserts (client, SHA-256 of `jti`) unless present; the primary key makes the first of two
    /// concurrent uses, on any node, win.
    public func recordClientAssertion(clientID: String, jti: String, expiresAt: Date) async throws -> Bool {
        guard !Self.hasNUL(clientID) else { return false }
        let rows = try await query(
            """
            INSERT INTO \(unescaped: schema).client_assertions (client_id, jti_hash, expires_at)
            VALUES (\(clientID), \(ByteBuffer(bytes: Digest.sha256(jti))), \(PostgresTimestamp(expiresAt)))
            ON CONFLICT DO NOTHING RETURNING 1
            """)
        return rows.count == 1
    }
}
