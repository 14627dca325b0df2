import GRDB

extension Migrations {
    /// Pushed authorization requests (RFC 9126 §2): `pushed_authorizations`, the parameters of
    /// each pushed request under the SHA-256 of its `request_uri`, until used or expired; and
    /// `clients.require_pushed_authorization_requests` (§6).
    static func registerPushedAuthorizationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-08-pushed-authorization-v1") { db in
            try db.alter(table: "clients") { t in
                t.add(column: "require_pushed_authorization_requests", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "pushed_authorizations") { t in
                t.column("request_uri_hash", .blob).notNull().primaryKey()
                t.column("client_id", .text).notNull()
                t.column("parameters", .text).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
            }
        }
    }
}
