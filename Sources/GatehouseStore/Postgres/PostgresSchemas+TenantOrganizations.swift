extension PostgresSchemas {
    /// Organizations (docs/contract.md A8), as SQLite's `2026-12-04-tenant-organizations-v1`
    /// (`Migrations+Organizations.swift`): organizations, the tenant's roles seeded with the
    /// built-in `owner`, `admin` and `member`, memberships (cascading from organizations and
    /// users; a role in use cannot be deleted), `grants.organization_id` and
    /// `clients.organization_required`. Revoking an organization's grants reaches the other nodes
    /// through the existing `grants_revoked` trigger.
    static let tenantOrganizationsV1: [String] = [
        """
        CREATE TABLE {schema}.organizations (
            id text COLLATE "C" PRIMARY KEY, name text COLLATE "C" NOT NULL, slug text COLLATE "C" NOT NULL UNIQUE,
            public_metadata text NOT NULL, private_metadata text NOT NULL, mfa_required boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE {schema}.organization_roles (
            name text COLLATE "C" PRIMARY KEY, permissions text NOT NULL, description text,
            created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)
        """,
        """
        INSERT INTO {schema}.organization_roles (name, permissions, created_at, updated_at)
        SELECT v.name, '[]', date_trunc('milliseconds', now()), date_trunc('milliseconds', now())
        FROM (VALUES ('owner'), ('admin'), ('member')) AS v(name)
        """,
        """
        CREATE TABLE {schema}.memberships (
            organization_id text COLLATE "C" NOT NULL REFERENCES {schema}.organizations(id) ON DELETE CASCADE,
            user_id text COLLATE "C" NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            role text COLLATE "C" NOT NULL REFERENCES {schema}.organization_roles(name),
            created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (organization_id, user_id))
        """,
        "CREATE INDEX memberships_on_user_id ON {schema}.memberships(user_id)",
        "CREATE INDEX memberships_on_role ON {schema}.memberships(role)",
        "ALTER TABLE {schema}.grants ADD COLUMN organization_id text COLLATE \"C\"",
        "CREATE INDEX grants_on_organization_id ON {schema}.grants(organization_id)",
        "ALTER TABLE {schema}.clients ADD COLUMN organization_required boolean NOT NULL DEFAULT false",
    ]
}
