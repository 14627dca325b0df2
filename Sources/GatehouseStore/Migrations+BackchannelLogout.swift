import GRDB

extension Migrations {
    /// OpenID Connect Back-Channel Logout 1.0: the client metadata `backchannel_logout_uri` and
    /// `backchannel_logout_session_required` (§2.2), and the outbox `logout_deliveries`: one row
    /// per logout token owed (client, user, session, `jti`), written in the transaction that ends
    /// the session and sent by `BackchannelLogoutService`.
    static func registerBackchannelLogoutMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-11-backchannel-logout-v1") { db in
            try db.alter(table: "clients") { t in
                t.add(column: "backchannel_logout_uri", .text)
                t.add(column: "backchannel_logout_session_required", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "logout_deliveries") { t in
                t.primaryKey("id", .text)
                t.column("client_id", .text).notNull()
                t.column("user_id", .text).notNull()
                t.column("session_id", .text).notNull().indexed()
                t.column("jti", .text).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("status", .text).notNull()
                t.column("next_attempt_at", .datetime)
                t.column("last_response_status", .integer)
                t.column("last_error", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("delivered_at", .datetime)
            }
            try db.create(index: "logout_deliveries_due", on: "logout_deliveries", columns: ["status", "next_attempt_at"])
        }
    }

    /// The instance's index of tenants with back-channel logout clients (`logout_tenants`), so
    /// that the logout worker never scans every tenant (InstanceStore+BackchannelLogout.swift).
    static func registerInstanceBackchannelLogoutMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-11-instance-backchannel-logout-v1") { db in
            try db.create(table: "logout_tenants") { t in
                t.primaryKey("tenant_id", .text).references("tenants", onDelete: .cascade)
                t.column("version", .integer).notNull().defaults(to: 0)
            }
        }
    }
}
