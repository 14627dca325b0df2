extension PostgresSchemas {
    /// DPoP (RFC 9449), as SQLite's `2026-12-16-dpop-v1` (`Migrations+DPoP.swift`); read only
    /// inside statements.
    static let tenantDPoPV1: [String] = [
        "ALTER TABLE {schema}.clients ADD COLUMN dpop_bound_access_tokens boolean NOT NULL DEFAULT false",
        "CREATE TABLE {schema}.dpop_proofs (jti_hash bytea PRIMARY KEY, expires_at timestamptz NOT NULL)",
        "CREATE INDEX dpop_proofs_on_expires_at ON {schema}.dpop_proofs(expires_at)",
        """
        CREATE TABLE {schema}.dpop_grant_keys (grant_id text COLLATE "C" PRIMARY KEY, code_jkt text COLLATE "C",
        refresh_jkt text COLLATE "C", created_at timestamptz NOT NULL)
        """,
    ]
}
