extension PostgresSchemas {
    /// The tables of `TenantStore` (clients, users, sessions, interactions, grants, codes, refresh
    /// and revoked access tokens) and signing keys, in `{schema}`.
    ///
    /// The SQLite tenant schema after all its migrations (`Migrations.swift`), table for table and
    /// column for column: text → `text`, datetime → `timestamptz`, blob → `bytea`, integer →
    /// `bigint`, boolean → `boolean`, JSON → `text`; the same keys, uniqueness, checks, indexes and
    /// `ON DELETE CASCADE` foreign keys. Ids that are listed in id order (clients, users,
    /// sessions) and the user columns that are searched are `COLLATE "C"`: byte order and
    /// byte comparison, as SQLite's, whatever the database's locale.
    static let tenantCoreV1: [String] = [
        """
        CREATE TABLE {schema}.signing_keys (
            kid text PRIMARY KEY, algorithm text NOT NULL, sealed_private_key bytea NOT NULL,
            created_at timestamptz NOT NULL, activates_at timestamptz NOT NULL, retires_at timestamptz, expires_at timestamptz)
        """,
        """
        CREATE TABLE {schema}.clients (
            id text COLLATE "C" PRIMARY KEY, client_id text NOT NULL UNIQUE, name text NOT NULL,
            type text NOT NULL CHECK (type IN ('public','confidential')), secret_hash bytea, previous_secret_hash bytea,
            previous_secret_expires_at timestamptz, id_token_signed_response_alg text NOT NULL DEFAULT 'EdDSA',
            access_token_signing_alg text NOT NULL DEFAULT 'EdDSA', redirect_uris text NOT NULL,
            post_logout_redirect_uris text NOT NULL, grant_types text NOT NULL, first_party boolean NOT NULL,
            allowed_scopes text, builtin text UNIQUE, created_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE {schema}.users (
            id text COLLATE "C" PRIMARY KEY, email text COLLATE "C" NOT NULL UNIQUE, email_verified boolean NOT NULL,
            name text COLLATE "C", password_hash text, disabled boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE {schema}.sessions (
            id text COLLATE "C" PRIMARY KEY, token_hash bytea NOT NULL UNIQUE,
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE, auth_time timestamptz NOT NULL,
            amr text NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, revoked_at timestamptz,
            user_agent text, ip_address text)
        """,
        "CREATE INDEX sessions_on_user_id ON {schema}.sessions(user_id)",
        """
        CREATE TABLE {schema}.interactions (
            id text PRIMARY KEY, csrf_token text NOT NULL, browser_binding_hash bytea NOT NULL, request text NOT NULL,
            user_id text, login_done boolean NOT NULL, consent_done boolean NOT NULL, created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL)
        """,
        "CREATE INDEX interactions_on_expires_at ON {schema}.interactions(expires_at)",
        """
        CREATE TABLE {schema}.consents (
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE, client_id text NOT NULL,
            scope text NOT NULL, granted_at timestamptz NOT NULL, PRIMARY KEY (user_id, client_id))
        """,
        """
        CREATE TABLE {schema}.grants (
            id text PRIMARY KEY, client_id text NOT NULL, user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            session_id text, scope text NOT NULL, auth_time timestamptz NOT NULL, amr text NOT NULL, nonce text,
            created_at timestamptz NOT NULL, revoked_at timestamptz)
        """,
        "CREATE INDEX grants_on_client_id ON {schema}.grants(client_id)",
        "CREATE INDEX grants_on_user_id ON {schema}.grants(user_id)",
        "CREATE INDEX grants_on_session_id ON {schema}.grants(session_id)",
        """
        CREATE TABLE {schema}.authorization_codes (
            code_hash bytea PRIMARY KEY, grant_id text NOT NULL REFERENCES {schema}.grants(id) ON DELETE CASCADE,
            client_id text NOT NULL, redirect_uri text NOT NULL, redirect_uri_sent boolean NOT NULL, code_challenge text,
            expires_at timestamptz NOT NULL, consumed_at timestamptz)
        """,
        "CREATE INDEX authorization_codes_on_grant_id ON {schema}.authorization_codes(grant_id)",
        """
        CREATE TABLE {schema}.refresh_tokens (
            token_hash bytea PRIMARY KEY, grant_id text NOT NULL REFERENCES {schema}.grants(id) ON DELETE CASCADE,
            issued_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, rotated_at timestamptz)
        """,
        "CREATE INDEX refresh_tokens_on_grant_id ON {schema}.refresh_tokens(grant_id)",
        "CREATE TABLE {schema}.revoked_access_tokens (jti text PRIMARY KEY, expires_at timestamptz NOT NULL)",
        "CREATE INDEX revoked_access_tokens_on_expires_at ON {schema}.revoked_access_tokens(expires_at)",
    ]
}
