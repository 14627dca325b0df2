extension PostgresSchemas {
    /// The audit log (docs/contract.md A9), as SQLite's `2026-12-06-audit-v1`
    /// (`Migrations+Audit.swift`). The one `audit_chain` row is locked by every append, so that
    /// the nodes sharing the database append in one order.
    static let tenantAuditV1: [String] = [
        """
        CREATE TABLE {schema}.audit_events (
            seq bigint PRIMARY KEY, id text NOT NULL UNIQUE, occurred_at_ms bigint NOT NULL, type text NOT NULL,
            actor_type text NOT NULL, actor_id text, target_type text, target_id text, user_id text, organization_id text,
            ip text, user_agent text, data text NOT NULL, changes text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL)
        """,
        "CREATE INDEX ON {schema}.audit_events (occurred_at_ms)",
        "CREATE INDEX ON {schema}.audit_events (user_id)",
        """
        CREATE TABLE {schema}.audit_chain (
            id integer PRIMARY KEY CHECK (id = 1), head_seq bigint NOT NULL, head_hash text NOT NULL,
            anchor_seq bigint NOT NULL, anchor_hash text NOT NULL)
        """,
        """
        INSERT INTO {schema}.audit_chain VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0,
            '0000000000000000000000000000000000000000000000000000000000000000')
        """,
    ]
}
