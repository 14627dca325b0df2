extension PostgresSchemas {
    /// Users' metadata and clients' custom claims (docs/contract.md A9), as SQLite's
    /// `2026-12-05-tenant-custom-claims-v1` (`Migrations+CustomClaims.swift`). A client change
    /// reaches the other nodes through the existing client triggers.
    static let tenantCustomClaimsV1: [String] = [
        "ALTER TABLE {schema}.users ADD COLUMN public_metadata text NOT NULL DEFAULT '{}'",
        "ALTER TABLE {schema}.users ADD COLUMN private_metadata text NOT NULL DEFAULT '{}'",
        "ALTER TABLE {schema}.clients ADD COLUMN custom_claims text NOT NULL DEFAULT '{}'",
    ]
}

extension PostgresSchemas {
    /// Users' phone number and address (OIDC Core §5.1), as SQLite's `2026-12-06-users-profile-v1`
    /// (`Migrations+UserProfile.swift`).
    static let tenantUsersProfileV1: [String] = [
        "ALTER TABLE {schema}.users ADD COLUMN profile text NOT NULL DEFAULT '{}'"
    ]
    /// Grants' `claims` request (OIDC Core §5.5), as SQLite's `2026-12-06-grants-claims-v1`.
    static let tenantGrantsClaimsV1: [String] = ["ALTER TABLE {schema}.grants ADD COLUMN claims text"]
}
