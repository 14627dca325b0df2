extension PostgresSchemas {
    /// Back-channel logout (OpenID Connect Back-Channel Logout 1.0), as SQLite's
    /// `2026-12-11-backchannel-logout-v1` (`Migrations+BackchannelLogout.swift`).
    static let tenantBackchannelLogoutV1: [String] = [
        "ALTER TABLE {schema}.clients ADD COLUMN backchannel_logout_uri text",
        "ALTER TABLE {schema}.clients ADD COLUMN backchannel_logout_session_required boolean NOT NULL DEFAULT false",
        """
        CREATE TABLE {schema}.logout_deliveries (
            id text PRIMARY KEY, client_id text NOT NULL, user_id text NOT NULL, session_id text NOT NULL, jti text NOT NULL,
            attempts bigint NOT NULL DEFAULT 0, status text NOT NULL, next_attempt_at timestamptz, last_response_status bigint,
            last_error text, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, delivered_at timestamptz)
        """,
        "CREATE INDEX ON {schema}.logout_deliveries (status, next_attempt_at)",
        "CREATE INDEX ON {schema}.logout_deliveries (session_id)",
    ]

    /// Tenants with back-channel logout clients (as SQLite's
    /// `2026-12-11-instance-backchannel-logout-v1`), so that the logout worker never scans every tenant.
    static let instanceBackchannelLogoutV1: [String] = [
        """
        CREATE TABLE {schema}.logout_tenants (
            tenant_id text PRIMARY KEY REFERENCES {schema}.tenants (id) ON DELETE CASCADE,
            version bigint NOT NULL DEFAULT 0)
        """
    ]
}
