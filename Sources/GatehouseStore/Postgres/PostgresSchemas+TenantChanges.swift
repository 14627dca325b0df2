extension PostgresSchemas {
    /// Triggers that record, in the instance's change feed (`{instance}.changes`), every write
    /// another node must see in its caches: a grant revoked, an access token revoked, a client
    /// changed or deleted, the signing keys or the template overrides changed (PostgresChangeFeed).
    static let tenantChangesV1: [String] = [
        """
        CREATE FUNCTION {schema}.record_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'grants' THEN
                INSERT INTO {instance}.changes (schema_name, kind, key, at) VALUES (TG_TABLE_SCHEMA, 'grant', NEW.id, NEW.revoked_at);
            ELSIF TG_TABLE_NAME = 'revoked_access_tokens' THEN
                INSERT INTO {instance}.changes (schema_name, kind, key, at) VALUES (TG_TABLE_SCHEMA, 'token', NEW.jti, NEW.expires_at);
            ELSIF TG_TABLE_NAME = 'clients' AND TG_OP = 'DELETE' THEN
                INSERT INTO {instance}.changes (schema_name, kind, key) VALUES (TG_TABLE_SCHEMA, 'client', OLD.client_id);
            ELSIF TG_TABLE_NAME = 'clients' THEN
                INSERT INTO {instance}.changes (schema_name, kind, key) VALUES (TG_TABLE_SCHEMA, 'client', NEW.client_id);
            ELSIF TG_TABLE_NAME = 'signing_keys' THEN
                INSERT INTO {instance}.changes (schema_name, kind) VALUES (TG_TABLE_SCHEMA, 'keys');
            ELSE
                INSERT INTO {instance}.changes (schema_name, kind) VALUES (TG_TABLE_SCHEMA, 'templates');
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER grants_revoked AFTER UPDATE OF revoked_at ON {schema}.grants FOR EACH ROW
        WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL) EXECUTE FUNCTION {schema}.record_change()
        """,
        """
        CREATE TRIGGER access_tokens_revoked AFTER INSERT ON {schema}.revoked_access_tokens FOR EACH ROW
        EXECUTE FUNCTION {schema}.record_change()
        """,
        """
        CREATE TRIGGER clients_changed AFTER UPDATE OR DELETE ON {schema}.clients FOR EACH ROW
        EXECUTE FUNCTION {schema}.record_change()
        """,
        """
        CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE ON {schema}.signing_keys FOR EACH STATEMENT
        EXECUTE FUNCTION {schema}.record_change()
        """,
        """
        CREATE TRIGGER template_overrides_changed AFTER INSERT OR UPDATE OR DELETE ON {schema}.template_overrides
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.record_change()
        """,
    ]
}
