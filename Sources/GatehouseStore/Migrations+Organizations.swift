import GRDB

extension Migrations {
    /// Organizations (docs/contract.md A8): organizations, the tenant's roles (seeded with the
    /// built-in `owner`, `admin` and `member`), memberships, the organization a grant acts within
    /// and the clients that require one.
    static func registerOrganizationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-04-tenant-organizations-v1") { db in
            try db.create(table: "organizations") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("slug", .text).notNull().unique()
                t.column("public_metadata", .jsonText).notNull()
                t.column("private_metadata", .jsonText).notNull()
                t.column("mfa_required", .boolean).notNull().defaults(to: false)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            // Roles of the tenant; `permissions` is a JSON array of strings, sorted.
            try db.create(table: "organization_roles") { t in
                t.primaryKey("name", .text)
                t.column("permissions", .jsonText).notNull()
                t.column("description", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.execute(
                sql: """
                    INSERT INTO organization_roles (name, permissions, created_at, updated_at)
                    SELECT column1, '[]', strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
                    FROM (VALUES ('owner'), ('admin'), ('member'))
                    """)
            // A role in use cannot be deleted (no cascade from roles).
            try db.create(table: "memberships") { t in
                t.column("organization_id", .text).notNull().references("organizations", onDelete: .cascade)
                t.column("user_id", .text).notNull().indexed().references("users", onDelete: .cascade)
                t.column("role", .text).notNull().indexed().references("organization_roles")
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.primaryKey(["organization_id", "user_id"])
            }
            // Kept after the organization is deleted (its grants are revoked, not removed).
            try db.alter(table: "grants") { t in t.add(column: "organization_id", .text) }
            try db.create(index: "grants_on_organization_id", on: "grants", columns: ["organization_id"])
            try db.alter(table: "clients") { t in
                t.add(column: "organization_required", .boolean).notNull().defaults(to: false)
            }
        }
    }
}
