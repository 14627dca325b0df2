import GRDB

extension Migrations {
    /// Dynamic client registration (RFC 7591, RFC 7592): `client_registrations`, the registration
    /// access token (SHA-256) and informational metadata of each dynamically registered client,
    /// deleted with the client; `registration_tokens`, the initial access tokens (SHA-256) made by
    /// administrators.
    static func registerClientRegistrationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-14-client-registration-v1") { db in
            try db.create(table: "client_registrations") { t in
                t.primaryKey("client_id", .text).references("clients", column: "client_id", onDelete: .cascade)
                t.column("access_token_hash", .blob).notNull()
                t.column("metadata", .text).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "registration_tokens") { t in
                t.primaryKey("id", .text)
                t.column("token_hash", .blob).notNull().unique()
                t.column("description", .text)
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime)
                t.column("max_uses", .integer)
                t.column("uses", .integer).notNull().defaults(to: 0)
            }
        }
        // Resource indicators (RFC 8707 §2) an authorization request named, kept with its grant.
        migrator.registerMigration("2026-12-15-grant-resources-v1") { db in
            try db.alter(table: "grants") { t in t.add(column: "resources", .text) }
        }
    }
}
