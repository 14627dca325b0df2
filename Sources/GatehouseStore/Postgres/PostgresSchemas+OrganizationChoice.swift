extension PostgresSchemas {
    /// The organization context a sign-in chose (docs/contract.md A8), as in SQLite's
    /// `2026-12-04-tenant-organization-choice-v1`: `personal` or an organization id, NULL until chosen.
    static let tenantOrganizationChoiceV1: [String] = [
        "ALTER TABLE {schema}.interactions ADD COLUMN organization text",
        "ALTER TABLE {schema}.pending_sign_ins ADD COLUMN organization text",
    ]
}
