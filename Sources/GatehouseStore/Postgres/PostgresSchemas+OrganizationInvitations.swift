extension PostgresSchemas {
    /// Invitations, domains and per-organization SSO (docs/contract.md A8), as SQLite's
    /// `2026-12-05-organization-invitations-v1` (`Migrations+OrganizationInvitations.swift`): all
    /// three cascade from organizations; an SSO configuration also from its upstream provider.
    static let tenantOrganizationInvitationsV1: [String] = [
        """
        CREATE TABLE {schema}.organization_invitations (
            id text COLLATE "C" PRIMARY KEY,
            organization_id text COLLATE "C" NOT NULL REFERENCES {schema}.organizations(id) ON DELETE CASCADE,
            email text COLLATE "C" NOT NULL, role text COLLATE "C" NOT NULL, token_hash bytea NOT NULL UNIQUE,
            invited_by text COLLATE "C" REFERENCES {schema}.users(id) ON DELETE SET NULL,
            created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, accepted_at timestamptz,
            accepted_by text COLLATE "C" REFERENCES {schema}.users(id) ON DELETE SET NULL, revoked_at timestamptz)
        """,
        "CREATE INDEX organization_invitations_on_organization_id ON {schema}.organization_invitations(organization_id, id)",
        "CREATE INDEX organization_invitations_on_email ON {schema}.organization_invitations(email)",
        """
        CREATE TABLE {schema}.organization_domains (
            domain text COLLATE "C" PRIMARY KEY,
            organization_id text COLLATE "C" NOT NULL REFERENCES {schema}.organizations(id) ON DELETE CASCADE,
            verified_at timestamptz, auto_join boolean NOT NULL, default_role text COLLATE "C" NOT NULL,
            created_at timestamptz NOT NULL)
        """,
        "CREATE INDEX organization_domains_on_organization_id ON {schema}.organization_domains(organization_id)",
        """
        CREATE TABLE {schema}.organization_sso (
            organization_id text COLLATE "C" PRIMARY KEY REFERENCES {schema}.organizations(id) ON DELETE CASCADE,
            provider_id text NOT NULL REFERENCES {schema}.upstream_providers(id) ON DELETE CASCADE,
            enforced boolean NOT NULL, default_role text COLLATE "C" NOT NULL)
        """,
        "CREATE INDEX organization_sso_on_provider_id ON {schema}.organization_sso(provider_id)",
    ]
}
