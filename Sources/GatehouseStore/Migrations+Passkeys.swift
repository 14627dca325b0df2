import GRDB

extension Migrations {
    /// Passkeys (W3C WebAuthn): `passkeys`, the users' public key credentials (credential ID unique
    /// in the tenant, §7.1 step 22; deleted with their user), and `webauthn_challenges`, the SHA-256
    /// of each answered challenge until it expires, so that no ceremony is accepted twice.
    static func registerPasskeyMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-17-passkeys-v1") { db in
            try db.create(table: "passkeys") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().indexed().references("users", onDelete: .cascade)
                t.column("credential_id", .blob).notNull().unique()
                t.column("public_key", .blob).notNull()
                t.column("algorithm", .integer).notNull()
                t.column("sign_count", .integer).notNull()
                t.column("aaguid", .blob).notNull()
                t.column("name", .text).notNull()
                t.column("backup_eligible", .boolean).notNull()
                t.column("backup_state", .boolean).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("last_used_at", .datetime)
            }
            try db.create(table: "webauthn_challenges") { t in
                t.primaryKey("challenge_hash", .blob)
                t.column("expires_at", .datetime).notNull().indexed()
            }
        }
        // Whether a passkey's registration brought trusted `packed` attestation (`Passkey.attested`).
        migrator.registerMigration("2026-12-18-passkey-attestation-v1") { db in
            try db.alter(table: "passkeys") { t in t.add(column: "attested", .boolean).notNull().defaults(to: false) }
        }
    }
}
