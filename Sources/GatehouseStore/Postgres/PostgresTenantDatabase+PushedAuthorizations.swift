import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO

/// Pushed authorization requests (RFC 9126 §2), as `TenantDatabase+PushedAuthorizations.swift` on
/// SQLite; shared by every node of the database.
extension PostgresTenantDatabase: PushedAuthorizationStore {
    public func storePushedAuthorization(requestURI: String, clientID: String, parameters: String, expiresAt: Date) async throws {
        guard !Self.hasNUL(clientID), !Self.hasNUL(parameters) else {
            throw OAuthError.invalidRequest("parameters must not contain NUL characters")
        }
        _ = try await query(
            """
            INSERT INTO \(unescaped: schema).pushed_authorizations (request_uri_hash, client_id, parameters, expires_at)
            VALUES (\(ByteBuffer(bytes: Digest.sha256(requestURI))), \(clientID), \(parameters), \(PostgresTimestamp(expiresAt)))
            """)
    }

    /// Deletes the row and returns its parameters in one statement, so that one of two concurrent uses, on any node, gets it.
    public func takePushedAuthorization(requestURI: String, clientID: String, now: Date) async throws -> String? {
        guard !Self.hasNUL(clientID) else { return nil }
        let rows = try await query(
            """
            DELETE FROM \(unescaped: schema).pushed_authorizations
            WHERE request_uri_hash = \(ByteBuffer(bytes: Digest.sha256(requestURI))) AND client_id = \(clientID)
            AND expires_at >= \(PostgresTimestamp(now)) RETURNING parameters
            """)
        for row in rows { return try row.decode(String.self) }
        return nil
    }
}
