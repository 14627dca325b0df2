import GRDB

extension Migrations {
    /// Console enrolments apart from sign-in challenges, and persisted sign-in failure counters.
    static func registerSecondFactorMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-03-tenant-console-enrolments-v1") { db in
            // The account console's set-up of a second factor. Its own table, so that no sign-in
            // lookup (`pending_sign_ins`) can ever find an enrolment, and the other way round.
            try db.create(table: "console_enrolments") { t in
                t.primaryKey("id_hash", .blob)
                t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
                t.column("sealed_totp_secret", .blob)
                t.column("email_code_hash", .blob)
                t.column("email_code_expires_at", .datetime)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
            }
            // Console enrolments used to be kept as pending sign-ins with no first factor.
            try db.execute(sql: "DELETE FROM pending_sign_ins WHERE amr = '[]'")
            // Consecutive sign-in failures (password or second factor) per account and per
            // account + IP, so that a restart does not forgive them.
            try db.create(table: "sign_in_failures") { t in
                t.primaryKey("key", .text)
                t.column("failures", .integer).notNull()
                t.column("last_failure", .datetime).notNull().indexed()
            }
        }
    }
}
