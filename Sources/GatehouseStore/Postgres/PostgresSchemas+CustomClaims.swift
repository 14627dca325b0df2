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

extension PostgresSchemas {
    /// JWT client authentication (RFC 7523), as SQLite's `2026-12-07-client-jwt-auth-v1`
    /// (`Migrations+ClientAuthentication.swift`). A client change reaches the other nodes through
    /// the existing client triggers; `client_assertions` is read only inside statements.
    static let tenantClientJWTAuthV1: [String] = [
        "ALTER TABLE {schema}.clients ADD COLUMN token_endpoint_auth_method text",
        "ALTER TABLE {schema}.clients ADD COLUMN jwks text",
        "ALTER TABLE {schema}.clients ADD COLUMN jwks_uri text",
        "ALTER TABLE {schema}.clients ADD COLUMN sealed_secret bytea",
        "ALTER TABLE {schema}.clients ADD COLUMN sealed_previous_secret bytea",
        """
        CREATE TABLE {schema}.client_assertions (client_id text NOT NULL, jti_hash bytea NOT NULL,
        expires_at timestamptz NOT NULL, PRIMARY KEY (client_id, jti_hash))
        """,
        "CREATE INDEX client_assertions_on_expires_at ON {schema}.client_assertions(expires_at)",
    ]
}

extension PostgresSchemas {
    /// Template versions, as SQLite's `2026-12-12-template-versions-v1`
    /// (`Migrations+TemplateVersions.swift`); read only inside statements.
    static let tenantTemplateVersionsV1: [String] = [
        """
        CREATE TABLE {schema}.template_versions (id bigserial PRIMARY KEY, name text NOT NULL, body text, subject text,
        text_body text, html_body text, author text NOT NULL, created_at timestamptz NOT NULL)
        """,
        "CREATE INDEX template_versions_on_name ON {schema}.template_versions(name, id)",
    ]
}

extension PostgresSchemas {
    /// Console roles, as SQLite's `2026-12-13-console-roles-v1`; read only inside statements.
    static let tenantConsoleRolesV1: [String] = [
        """
        CREATE TABLE {schema}.console_roles (user_id text COLLATE "C" PRIMARY KEY REFERENCES {schema}.users(id) ON DELETE CASCADE,
        role text NOT NULL, granted_at timestamptz NOT NULL)
        """
    ]
}

extension PostgresSchemas {
    /// Pushed authorization requests (RFC 9126 §2), as SQLite's `2026-12-08-pushed-authorization-v1`
    /// (`Migrations+PushedAuthorization.swift`); read only inside statements.
    static let tenantPushedAuthorizationV1: [String] = [
        "ALTER TABLE {schema}.clients ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false",
        """
        CREATE TABLE {schema}.pushed_authorizations (request_uri_hash bytea PRIMARY KEY, client_id text NOT NULL,
        parameters text NOT NULL, expires_at timestamptz NOT NULL)
        """,
        "CREATE INDEX pushed_authorizations_on_expires_at ON {schema}.pushed_authorizations(expires_at)",
    ]
}
