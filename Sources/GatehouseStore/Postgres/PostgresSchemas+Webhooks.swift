extension PostgresSchemas {
    /// Webhooks (docs/contract.md A9), as SQLite's `2026-12-06-webhooks-v1`
    /// (`Migrations+Webhooks.swift`). The one `webhook_cursor` row is locked by every dispatch, so
    /// that the nodes sharing the database queue each event once.
    static let tenantWebhooksV1: [String] = [
        """
        CREATE TABLE {schema}.webhook_endpoints (
            id text PRIMARY KEY, url text NOT NULL, events text NOT NULL, enabled boolean NOT NULL, description text NOT NULL DEFAULT '',
            sealed_secret bytea NOT NULL, sealed_previous_secret bytea, previous_secret_expires_at timestamptz, failing_since timestamptz,
            created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE {schema}.webhook_deliveries (
            id text PRIMARY KEY, endpoint_id text NOT NULL REFERENCES {schema}.webhook_endpoints (id) ON DELETE CASCADE,
            event_id text NOT NULL, event_type text NOT NULL, payload bytea NOT NULL, attempts bigint NOT NULL DEFAULT 0,
            status text NOT NULL, next_attempt_at timestamptz, last_response_status bigint, last_error text,
            created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, delivered_at timestamptz)
        """,
        "CREATE INDEX ON {schema}.webhook_deliveries (status, next_attempt_at)",
        "CREATE INDEX ON {schema}.webhook_deliveries (endpoint_id, id COLLATE \"C\")",
        "CREATE TABLE {schema}.webhook_cursor (id integer PRIMARY KEY CHECK (id = 1), after_seq bigint NOT NULL)",
        "INSERT INTO {schema}.webhook_cursor SELECT 1, COALESCE((SELECT head_seq FROM {schema}.audit_chain WHERE id = 1), 0)",
    ]
}
