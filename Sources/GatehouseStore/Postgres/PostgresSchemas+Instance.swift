extension PostgresSchemas {
    /// The migrations of the instance schema, oldest first.
    public static let instanceMigrations: [Migration] = [
        Migration(name: "2026-12-04-instance-v1", statements: instanceV1),
        Migration(name: "2026-12-06-instance-webhooks-v1", statements: instanceWebhooksV1),
        Migration(name: "2026-12-11-instance-backchannel-logout-v1", statements: instanceBackchannelLogoutV1),
    ]

    /// Tenants with webhook endpoints (as SQLite's `2026-12-06-instance-webhooks-v1`), so that the
    /// delivery worker never scans every tenant.
    static let instanceWebhooksV1: [String] = [
        """
        CREATE TABLE {schema}.webhook_tenants (
            tenant_id text PRIMARY KEY REFERENCES {schema}.tenants (id) ON DELETE CASCADE,
            version bigint NOT NULL DEFAULT 0)
        """
    ]

    /// The tenant registry and the instance-wide indexes, as in the SQLite backend's
    /// `instance.sqlite` (Migrations.swift), plus `instance_meta`: the master key's check value,
    /// so that a node started with another master key refuses to start instead of failing to
    /// open every sealed key.
    static let instanceV1: [String] = [
        """
        CREATE TABLE {schema}.tenants (
            id text PRIMARY KEY,
            slug text NOT NULL UNIQUE,
            name text NOT NULL,
            environment text NOT NULL CHECK (environment IN ('live','test','dev')),
            settings text NOT NULL,
            hostname text UNIQUE,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE {schema}.client_keys (
            client_id text PRIMARY KEY,
            tenant_id text NOT NULL REFERENCES {schema}.tenants (id) ON DELETE CASCADE)
        """,
        "CREATE INDEX client_keys_tenant ON {schema}.client_keys (tenant_id)",
        """
        CREATE TABLE {schema}.secret_keys (
            secret_hash bytea PRIMARY KEY,
            client_id text NOT NULL,
            tenant_id text NOT NULL REFERENCES {schema}.tenants (id) ON DELETE CASCADE)
        """,
        "CREATE INDEX secret_keys_client ON {schema}.secret_keys (client_id)",
        "CREATE INDEX secret_keys_tenant ON {schema}.secret_keys (tenant_id)",
        """
        CREATE TABLE {schema}.mail_pending (
            tenant_id text PRIMARY KEY REFERENCES {schema}.tenants (id) ON DELETE CASCADE,
            due_at timestamptz NOT NULL,
            version bigint NOT NULL DEFAULT 0)
        """,
        "CREATE INDEX mail_pending_due ON {schema}.mail_pending (due_at)",
        """
        CREATE TABLE {schema}.idempotency_keys (
            scope text NOT NULL,
            key text NOT NULL,
            tenant_id text REFERENCES {schema}.tenants (id) ON DELETE CASCADE,
            fingerprint bytea NOT NULL,
            status bigint NOT NULL,
            content_type text,
            location text,
            body bytea NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (scope, key))
        """,
        "CREATE INDEX idempotency_keys_created ON {schema}.idempotency_keys (created_at)",
        "CREATE TABLE {schema}.instance_meta (name text PRIMARY KEY, value text NOT NULL)",
        // The change feed (PostgresChangeFeed): what another node must drop from its caches.
        // Written by triggers only, so no write path can forget it.
        """
        CREATE TABLE {schema}.changes (
            id bigserial PRIMARY KEY,
            schema_name text NOT NULL,
            kind text NOT NULL,
            key text NOT NULL DEFAULT '',
            at timestamptz,
            recorded_at timestamptz NOT NULL DEFAULT clock_timestamp())
        """,
        "CREATE INDEX changes_recorded ON {schema}.changes (recorded_at)",
        """
        CREATE FUNCTION {schema}.record_tenant_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO {schema}.changes (schema_name, kind, key) VALUES (TG_TABLE_SCHEMA, 'tenant', OLD.id);
            ELSE
                INSERT INTO {schema}.changes (schema_name, kind, key) VALUES (TG_TABLE_SCHEMA, 'tenant', NEW.id);
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE ON {schema}.tenants
        FOR EACH ROW EXECUTE FUNCTION {schema}.record_tenant_change()
        """,
    ]
}
