import GRDB

extension Migrations {
    /// Accounts and MFA: factors, recovery codes, one-time tokens and pending sign-ins.
    static func registerAccountMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-11-29-tenant-accounts-v1") { db in
            // Second factors. TOTP secrets are sealed with the master key.
            try db.create(table: "mfa_factors") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().indexed().references("users", onDelete: .cascade)
                t.column("kind", .text).notNull().check(sql: "kind IN ('totp','email')")
                t.column("sealed_secret", .blob)
                t.column("last_used_step", .integer)
                t.column("created_at", .datetime).notNull()
                t.uniqueKey(["user_id", "kind"])
            }
            try db.create(table: "recovery_codes") { t in
                t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
                t.column("code_hash", .blob).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("used_at", .datetime)
                t.primaryKey(["user_id", "code_hash"])
            }
            // Emailed links and codes: email verification, password reset, magic links.
            try db.create(table: "one_time_tokens") { t in
                t.primaryKey("id", .text)
                t.column("purpose", .text).notNull()
                t.column("user_id", .text).notNull().indexed().references("users", onDelete: .cascade)
                t.column("token_hash", .blob).unique()
                t.column("code_hash", .blob)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("context", .text)
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
                t.column("consumed_at", .datetime)
            }
            // A first factor passed, a second (or email verification, or enrolment) pending.
            try db.create(table: "pending_sign_ins") { t in
                t.primaryKey("id_hash", .blob)
                t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
                t.column("client_id", .text).notNull()
                t.column("amr", .jsonText).notNull()
                t.column("scope", .text)
                t.column("stage", .text).notNull()
                t.column("sealed_enrol_secret", .blob)
                t.column("email_code_hash", .blob)
                t.column("email_code_expires_at", .datetime)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
            }
        }
    }
}
