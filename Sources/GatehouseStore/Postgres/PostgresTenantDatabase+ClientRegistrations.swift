import Foundation
import GatehouseCore
import NIOCore
import PostgresNIO

extension RegistrationToken {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            id: try r("id"), tokenHash: try r.bytes("token_hash") ?? [], description: try r("description", as: String?.self),
            createdAt: try r.date("created_at"), expiresAt: try r.optionalDate("expires_at"),
            maxUses: try r("max_uses", as: Int64?.self).map(Int.init), uses: Int(try r("uses", as: Int64.self)))
    }
}

/// Dynamic client registration (RFC 7591, RFC 7592), as `TenantDatabase+ClientRegistrations.swift`
/// on SQLite: spending an initial access token is one conditional `UPDATE`, so that of concurrent
/// uses of its last use on any node exactly one succeeds.
extension PostgresTenantDatabase: ClientRegistrationStore {
    public func saveClientRegistration(_ registration: ClientRegistration) async throws {
        guard !Self.hasNUL(registration.clientID) else { return }
        _ = try await query(
            """
            INSERT INTO \(unescaped: schema).client_registrations (client_id, access_token_hash, metadata, created_at)
            VALUES (\(registration.clientID), \(ByteBuffer(bytes: registration.accessTokenHash)), \(JSONColumn.encode(registration.metadata)),
            \(PostgresTimestamp(registration.createdAt)))
            ON CONFLICT (client_id) DO UPDATE SET access_token_hash = EXCLUDED.access_token_hash, metadata = EXCLUDED.metadata
            """)
    }

    public func clientRegistration(clientID: String) async throws -> ClientRegistration? {
        guard !Self.hasNUL(clientID) else { return nil }
        guard
            let row = try await query(
                """
                SELECT client_id, access_token_hash, metadata, created_at FROM \(unescaped: schema).client_registrations
                WHERE client_id = \(clientID)
                """
            ).first
        else { return nil }
        let r = PostgresRowReader(row)
        return ClientRegistration(
            clientID: try r("client_id"), accessTokenHash: try r.bytes("access_token_hash") ?? [],
            metadata: JSONColumn.decode([String: JSONValue].self, try r("metadata", as: String.self)) ?? [:], createdAt: try r.date("created_at"))
    }

    public func insertRegistrationToken(_ token: RegistrationToken) async throws {
        guard !Self.hasNUL(token.id, token.description) else { throw OAuthError.invalidRequest("description must not contain NUL characters") }
        _ = try await query(
            """
            INSERT INTO \(unescaped: schema).registration_tokens (\(unescaped: RegistrationToken.columns))
            VALUES (\(token.id), \(ByteBuffer(bytes: token.tokenHash)), \(token.description), \(PostgresTimestamp(token.createdAt)),
            \(token.expiresAt.map(PostgresTimestamp.init)), \(token.maxUses.map(Int64.init)), \(Int64(token.uses)))
            """)
    }

    public func registrationTokens() async throws -> [RegistrationToken] {
        try await query(
            "SELECT \(unescaped: RegistrationToken.columns) FROM \(unescaped: schema).registration_tokens ORDER BY created_at DESC, id"
        ).map(RegistrationToken.init(postgres:))
    }

    public func deleteRegistrationToken(id: String) async throws -> Bool {
        guard !Self.hasNUL(id) else { return false }
        return try await !query("DELETE FROM \(unescaped: schema).registration_tokens WHERE id = \(id) RETURNING id").isEmpty
    }

    public func useRegistrationToken(hash: [UInt8], at now: Date) async throws -> Bool {
        try await !query(
            """
            UPDATE \(unescaped: schema).registration_tokens SET uses = uses + 1
            WHERE token_hash = \(ByteBuffer(bytes: hash)) AND (expires_at IS NULL OR expires_at > \(PostgresTimestamp(now)))
            AND (max_uses IS NULL OR uses < max_uses) RETURNING id
            """
        ).isEmpty
    }
}
