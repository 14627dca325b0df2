import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// The `jti` of accepted client assertions (RFC 7523 §3 item 7), per client, until they expire.
extension TenantDatabase: ClientAssertionReplayStore {
    /// Inserts (client, SHA-256 of `jti`) unless present: the primary key makes the first of two
    /// concurrent uses win.
    public func recordClientAssertion(clientID: String, jti: String, expiresAt: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT OR IGNORE INTO client_assertions (client_id, jti_hash, expires_at) VALUES (?,?,?)",
                arguments: [clientID, Data(Digest.sha256(jti)), expiresAt])
            return db.changesCount == 1
        }
    }
}
