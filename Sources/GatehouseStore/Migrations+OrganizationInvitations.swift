import GRDB

extension Migrations {
    /// Invitations, domains and per-organization SSO (docs/contract.md A8), all removed with their
    /// organization. Roles are named, not referenced: a role deleted after an invitation names it
    /// makes the invitee a `member` (`OrganizationInvitationStore.acceptInvitation`).
    static func registerOrganizationInvitationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-05-organization-invitations-v1") { db in
            // One pending invitation per (organization, address) is checked in the inserting
            // transaction (an expired one does not hold the address).
            try db.create(table: "organization_invitations") { t in
                t.primaryKey("id", .text)
                t.column("organization_id", .text).notNull().references("organizations", onDelete: .cascade)
                t.column("email", .text).notNull().indexed()
                t.column("role", .text).notNull()
                t.column("token_hash", .blob).notNull().unique()
                t.column("invited_by", .text).references("users", onDelete: .setNull)
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull()
                t.column("accepted_at", .datetime)
                t.column("accepted_by", .text).references("users", onDelete: .setNull)
                t.column("revoked_at", .datetime)
            }
            try db.create(index: "organization_invitations_on_organization_id", on: "organization_invitations", columns: ["organization_id", "id"])
            // A domain is unique in the tenant: at most one organization holds it.
            try db.create(table: "organization_domains") { t in
                t.primaryKey("domain", .text)
                t.column("organization_id", .text).notNull().indexed().references("organizations", onDelete: .cascade)
                t.column("verified_at", .datetime)
                t.column("auto_join", .boolean).notNull()
                t.column("default_role", .text).notNull()
                t.column("created_at", .datetime).notNull()
            }
            // Deleting the upstream provider removes the organizations' SSO through it.
            try db.create(table: "organization_sso") { t in
                t.primaryKey("organization_id", .text).references("organizations", onDelete: .cascade)
                t.column("provider_id", .text).notNull().indexed().references("upstream_providers", onDelete: .cascade)
                t.column("enforced", .boolean).notNull()
                t.column("default_role", .text).notNull()
            }
        }
    }
}
