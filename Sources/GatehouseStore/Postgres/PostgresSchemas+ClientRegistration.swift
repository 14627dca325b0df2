extension PostgresSchemas {
    /// Dynamic client registration (RFC 7591, RFC 7592), as SQLite's
    /// `2026-12-14-client-registration-v1` (`Migrations+ClientRegistration.swift`).
    static let tenantClientRegistrationV1: [String] = [
        """
        CREATE TABLE {schema}.client_registrations (
            client_id text COLLATE "C" PRIMARY KEY REFERENCES {schema}.clients(client_id) ON DELETE CASCADE,
            access_token_hash bytea NOT NULL, metadata text NOT NULL, created_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE {schema}.registration_tokens (id text COLLATE "C" PRIMARY KEY, token_hash bytea NOT NULL UNIQUE,
            description text, created_at timestamptz NOT NULL, expires_at timestamptz, max_uses bigint, uses bigint NOT NULL DEFAULT 0)
        """,
    ]

    /// Resource indicators of a grant (RFC 8707), as SQLite's `2026-12-15-grant-resources-v1`.
    static let tenantGrantResourcesV1: [String] = ["ALTER TABLE {schema}.grants ADD COLUMN resources text"]
}
