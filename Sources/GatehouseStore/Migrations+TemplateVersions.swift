import GRDB

extension Migrations {
    /// Template versions: `template_versions`, one row per save or reset of a tenant's template
    /// override (its parts, or all NULL for a return to the default), with who made it and when,
    /// so that the console can show a template's history, compare two versions and roll back.
    static func registerTemplateVersionMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-12-template-versions-v1") { db in
            try db.create(table: "template_versions") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull()
                t.column("body", .text)
                t.column("subject", .text)
                t.column("text_body", .text)
                t.column("html_body", .text)
                t.column("author", .text).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(index: "template_versions_on_name", on: "template_versions", columns: ["name", "id"])
        }
    }

    /// Console roles (docs/contract.md A10): `console_roles`, the role a tenant grants one of its
    /// users in the admin console (`tenant_admin`, `tenant_viewer`), gone with the user.
    static func registerConsoleRoleMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-13-console-roles-v1") { db in
            try db.create(table: "console_roles") { t in
                t.primaryKey("user_id", .text).references("users", onDelete: .cascade)
                t.column("role", .text).notNull()
                t.column("granted_at", .datetime).notNull()
            }
        }
    }
}
