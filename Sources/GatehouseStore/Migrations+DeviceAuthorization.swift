import GRDB

extension Migrations {
    /// The device authorization grant (RFC 8628): `device_authorizations`, one row per device
    /// authorization request under the SHA-256 of its device code, with the SHA-256 of its user
    /// code (unique), the user's decision (`status` pending/approved/denied, `grant_id` when
    /// approved), the polling state (`interval_seconds`, `last_polled_at`) and `redeemed_at`;
    /// purged after `expires_at`.
    static func registerDeviceAuthorizationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-10-device-authorization-v1") { db in
            try db.create(table: "device_authorizations") { t in
                t.column("device_code_hash", .blob).notNull().primaryKey()
                t.column("user_code_hash", .blob).notNull().unique()
                t.column("client_id", .text).notNull()
                t.column("scope", .text).notNull()
                t.column("status", .text).notNull()
                t.column("grant_id", .text)
                t.column("interval_seconds", .integer).notNull()
                t.column("last_polled_at", .datetime)
                t.column("expires_at", .datetime).notNull().indexed()
                t.column("created_at", .datetime).notNull()
                t.column("redeemed_at", .datetime)
            }
        }
    }
}
