import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// Pushed authorization requests (RFC 9126 §2), until used or expired.
extension TenantDatabase: PushedAuthorizationStore {
    public func storePushedAuthorization(requestURI: String, clientID: String, parameters: String, expiresAt: Date) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO pushed_authorizations (request_uri_hash, client_id, parameters, expires_at) VALUES (?,?,?,?)",
                arguments: [Data(Digest.sha256(requestURI)), clientID, parameters, expiresAt])
        }
    }

    /// Deletes the row and returns its parameters in one statement, so that one of two concurrent uses gets it.
    public func takePushedAuthorization(requestURI: String, clientID: String, now: Date) async throws -> String? {
        try await pool.write { db in
            try String.fetchOne(
                db,
                cached: """
                    DELETE FROM pushed_authorizations WHERE request_uri_hash = ? AND client_id = ? AND expires_at >= ?
                    RETURNING parameters
                    """,
                arguments: [Data(Digest.sha256(requestURI)), clientID, now])
        }
    }
}
