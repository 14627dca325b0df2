import GRDB

extension Migrations {
    /// Users' metadata and clients' custom claims (docs/contract.md A9): `users.public_metadata`
    /// and `users.private_metadata` (JSON objects, `{}` for existing users) and
    /// `clients.custom_claims` (a JSON object of claim name → `{"value", "in"}`, `{}` by default).
    static func registerCustomClaimMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-05-tenant-custom-claims-v1") { db in
            try db.alter(table: "users") { t in
                t.add(column: "public_metadata", .jsonText).notNull().defaults(to: "{}")
                t.add(column: "private_metadata", .jsonText).notNull().defaults(to: "{}")
            }
            try db.alter(table: "clients") { t in t.add(column: "custom_claims", .jsonText).notNull().defaults(to: "{}") }
        }
    }
}
