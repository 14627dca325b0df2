import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

extension Passkey {
    static let columns =
        "id, user_id, credential_id, public_key, algorithm, sign_count, aaguid, name, backup_eligible, backup_state, created_at, last_used_at, attested"

    init(row: Row) {
        self.init(
            id: row["id"], userID: UserID(rawValue: row["user_id"])!, credentialID: Array(row["credential_id"] as Data),
            publicKey: Array(row["public_key"] as Data), algorithm: row["algorithm"], signCount: UInt32(clamping: row["sign_count"] as Int64),
            aaguid: Array(row["aaguid"] as Data), name: row["name"], backupEligible: row["backup_eligible"], backupState: row["backup_state"],
            createdAt: row.date("created_at"), lastUsedAt: row.optionalDate("last_used_at"), attested: row["attested"])
    }
}

/// Passkeys (W3C WebAuthn): the unique index on `credential_id` keeps credential IDs unique in the
/// tenant; a use moves the counter with one conditional `UPDATE`.
extension TenantDatabase: PasskeyStore {
    public func insertPasskey(_ passkey: Passkey) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO passkeys (\(Passkey.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (credential_id) DO NOTHING",
                arguments: [
                    passkey.id, passkey.userID.rawValue, Data(passkey.credentialID), Data(passkey.publicKey), passkey.algorithm,
                    Int64(passkey.signCount), Data(passkey.aaguid), passkey.name, passkey.backupEligible, passkey.backupState,
                    passkey.createdAt, passkey.lastUsedAt, passkey.attested,
                ])
            return db.changesCount == 1
        }
    }

    public func passkeys(userID: UserID) async throws -> [Passkey] {
        try await pool.read { db in
            try Row.fetchAll(db, cached: "SELECT \(Passkey.columns) FROM passkeys WHERE user_id = ? ORDER BY created_at, id", arguments: [userID.rawValue])
                .map(Passkey.init(row:))
        }
    }

    public func passkey(credentialID: [UInt8]) async throws -> Passkey? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Passkey.columns) FROM passkeys WHERE credential_id = ?", arguments: [Data(credentialID)])
                .map(Passkey.init(row:))
        }
    }

    public func recordPasskeyUse(id: String, expected: UInt32, signCount: UInt32, backupState: Bool, at now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE passkeys SET sign_count = ?, backup_state = ?, last_used_at = ? WHERE id = ? AND sign_count = ?",
                arguments: [Int64(signCount), backupState, now, id, Int64(expected)])
            return db.changesCount == 1
        }
    }

    public func renamePasskey(id: String, userID: UserID, name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(cached: "UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?", arguments: [name, id, userID.rawValue])
            return db.changesCount == 1
        }
    }

    public func recordWebAuthnChallenge(_ challenge: [UInt8], expiresAt: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO webauthn_challenges (challenge_hash, expires_at) VALUES (?,?) ON CONFLICT (challenge_hash) DO NOTHING",
                arguments: [Data(Digest.sha256(challenge)), expiresAt])
            return db.changesCount == 1
        }
    }
}
