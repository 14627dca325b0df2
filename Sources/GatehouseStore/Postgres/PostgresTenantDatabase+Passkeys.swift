import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO

extension Passkey {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            id: try r("id"), userID: UserID(rawValue: try r("user_id"))!, credentialID: try r.bytes("credential_id") ?? [],
            publicKey: try r.bytes("public_key") ?? [],
            algorithm: Int(try r("algorithm", as: Int64.self)), signCount: UInt32(clamping: try r("sign_count", as: Int64.self)),
            aaguid: try r.bytes("aaguid") ?? [], name: try r("name"), backupEligible: try r("backup_eligible"),
            backupState: try r("backup_state"), createdAt: try r.date("created_at"), lastUsedAt: try r.optionalDate("last_used_at"),
            attested: try r("attested"))
    }
}

/// Passkeys (W3C WebAuthn), as `TenantDatabase+Passkeys.swift` on SQLite: the unique index on
/// `credential_id` keeps credential IDs unique in the tenant across nodes; a use moves the counter
/// with one conditional `UPDATE`.
extension PostgresTenantDatabase: PasskeyStore {
    public func insertPasskey(_ passkey: Passkey) async throws -> Bool {
        guard !Self.hasNUL(passkey.id, passkey.name) else { return false }
        return try await !query(
            """
            INSERT INTO \(unescaped: schema).passkeys (\(unescaped: Passkey.columns))
            VALUES (\(passkey.id), \(passkey.userID.rawValue), \(ByteBuffer(bytes: passkey.credentialID)), \(ByteBuffer(bytes: passkey.publicKey)),
            \(Int64(passkey.algorithm)), \(Int64(passkey.signCount)), \(ByteBuffer(bytes: passkey.aaguid)), \(passkey.name),
            \(passkey.backupEligible), \(passkey.backupState), \(PostgresTimestamp(passkey.createdAt)),
            \(passkey.lastUsedAt.map(PostgresTimestamp.init)), \(passkey.attested))
            ON CONFLICT (credential_id) DO NOTHING RETURNING id
            """
        ).isEmpty
    }

    public func passkeys(userID: UserID) async throws -> [Passkey] {
        try await query(
            """
            SELECT \(unescaped: Passkey.columns) FROM \(unescaped: schema).passkeys WHERE user_id = \(userID.rawValue)
            ORDER BY created_at, id
            """
        ).map(Passkey.init(postgres:))
    }

    public func passkey(credentialID: [UInt8]) async throws -> Passkey? {
        try await query(
            "SELECT \(unescaped: Passkey.columns) FROM \(unescaped: schema).passkeys WHERE credential_id = \(ByteBuffer(bytes: credentialID))"
        ).first.map(Passkey.init(postgres:))
    }

    public func recordPasskeyUse(id: String, expected: UInt32, signCount: UInt32, backupState: Bool, at now: Date) async throws -> Bool {
        guard !Self.hasNUL(id) else { return false }
        return try await !query(
            """
            UPDATE \(unescaped: schema).passkeys SET sign_count = \(Int64(signCount)), backup_state = \(backupState),
            last_used_at = \(PostgresTimestamp(now)) WHERE id = \(id) AND sign_count = \(Int64(expected)) RETURNING id
            """
        ).isEmpty
    }

    public func renamePasskey(id: String, userID: UserID, name: String) async throws -> Bool {
        guard !Self.hasNUL(id, name) else { return false }
        return try await !query(
            "UPDATE \(unescaped: schema).passkeys SET name = \(name) WHERE id = \(id) AND user_id = \(userID.rawValue) RETURNING id"
        ).isEmpty
    }

    public func recordWebAuthnChallenge(_ challenge: [UInt8], expiresAt: Date) async throws -> Bool {
        try await !query(
            """
            INSERT INTO \(unescaped: schema).webauthn_challenges (challenge_hash, expires_at)
            VALUES (\(ByteBuffer(bytes: Digest.sha256(challenge))), \(PostgresTimestamp(expiresAt)))
            ON CONFLICT (challenge_hash) DO NOTHING RETURNING expires_at
            """
        ).isEmpty
    }
}
