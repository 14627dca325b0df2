import Foundation
import GatehouseCore
import GRDB

extension RegistrationToken {
    static let columns = "id, token_hash, description, created_at, expires_at, max_uses, uses"

    init(row: Row) {
        self.init(
            id: row["id"], tokenHash: Array(row["token_hash"] as Data), description: row["description"], createdAt: row.date("created_at"),
            expiresAt: row.optionalDate("expires_at"), maxUses: row["max_uses"], uses: row["uses"])
    }
}

/// Dynamic client registration (RFC 7591, RFC 7592). A registration row goes with its client
/// (foreign key, `ON DELETE CASCADE`); spending an initial access token is one conditional `UPDATE`.
extension TenantDatabase: ClientRegistrationStore {
    public func saveClientRegistration(_ registration: ClientRegistration) async throws {
        try await pool.write { db in
            try db.execute(
                cached: """
                    INSERT INTO client_registrations (client_id, access_token_hash, metadata, created_at) VALUES (?,?,?,?)
                    ON CONFLICT (client_id) DO UPDATE SET access_token_hash = excluded.access_token_hash, metadata = excluded.metadata
                    """,
                arguments: [
                    registration.clientID, Data(registration.accessTokenHash), JSONColumn.encode(registration.metadata), registration.createdAt,
                ])
        }
    }

    public func clientRegistration(clientID: String) async throws -> ClientRegistration? {
        try await pool.read { db in
            try Row.fetchOne(
                db, cached: "SELECT client_id, access_token_hash, metadata, created_at FROM client_registrations WHERE client_id = ?",
                arguments: [clientID]
            ).map { row in
                ClientRegistration(
                    clientID: row["client_id"], accessTokenHash: Array(row["access_token_hash"] as Data),
                    metadata: JSONColumn.decode([String: JSONValue].self, row["metadata"]) ?? [:], createdAt: row.date("created_at"))
            }
        }
    }

    public func insertRegistrationToken(_ token: RegistrationToken) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO registration_tokens (\(RegistrationToken.columns)) VALUES (?,?,?,?,?,?,?)",
                arguments: [
                    token.id, Data(token.tokenHash), token.description, token.createdAt, token.expiresAt, token.maxUses, token.uses,
                ])
        }
    }

    public func registrationTokens() async throws -> [RegistrationToken] {
        try await pool.read { db in
            try Row.fetchAll(db, cached: "SELECT \(RegistrationToken.columns) FROM registration_tokens ORDER BY created_at DESC, id")
                .map(RegistrationToken.init(row:))
        }
    }

    public func deleteRegistrationToken(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM registration_tokens WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func useRegistrationToken(hash: [UInt8], at now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE registration_tokens SET uses = uses + 1
                    WHERE token_hash = ? AND (expires_at IS NULL OR expires_at > ?) AND (max_uses IS NULL OR uses < max_uses)
                    """,
                arguments: [Data(hash), now])
            return db.changesCount > 0
        }
    }
}
