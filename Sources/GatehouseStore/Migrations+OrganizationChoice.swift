import GRDB

extension Migrations {
    /// The organization context a sign-in chose (docs/contract.md A8): `personal` or an
    /// organization id, NULL until chosen. Browser sign-ins keep it in the interaction, headless
    /// ones in the pending sign-in; the grant then carries it (`grants.organization_id`).
    static func registerOrganizationChoiceMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-04-tenant-organization-choice-v1") { db in
            try db.alter(table: "interactions") { t in t.add(column: "organization", .text) }
            try db.alter(table: "pending_sign_ins") { t in t.add(column: "organization", .text) }
        }
    }
}
