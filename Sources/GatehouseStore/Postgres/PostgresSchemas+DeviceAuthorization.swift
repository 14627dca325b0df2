extension PostgresSchemas {
    /// The device authorization grant (RFC 8628), as SQLite's `2026-12-10-device-authorization-v1`
    /// (`Migrations+DeviceAuthorization.swift`); read only inside statements.
    static let tenantDeviceAuthorizationV1: [String] = [
        """
        CREATE TABLE {schema}.device_authorizations (device_code_hash bytea PRIMARY KEY, user_code_hash bytea NOT NULL UNIQUE,
        client_id text COLLATE "C" NOT NULL, scope text NOT NULL, status text NOT NULL, grant_id text COLLATE "C",
        interval_seconds bigint NOT NULL, last_polled_at timestamptz, expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL, redeemed_at timestamptz)
        """,
        "CREATE INDEX device_authorizations_on_expires_at ON {schema}.device_authorizations(expires_at)",
    ]
}
