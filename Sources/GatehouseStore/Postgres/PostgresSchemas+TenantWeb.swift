extension PostgresSchemas {
    /// The tables of the web layer's stores (accounts, second factors, federation, mail outbox,
    /// template overrides, console enrolments, sign-in failure counters), in `{schema}`: the
    /// SQLite tenant schema's tables after every migration (`Migrations+Accounts.swift`,
    /// `+Mail.swift`, `+Federation.swift`, `+SecondFactors.swift`), same names, columns,
    /// constraints and indexes, with text → `text`, datetime → `timestamptz`, blob → `bytea`,
    /// integer → `bigint`, JSON → `text`. Runs after `tenantCoreV1` (references `users`).
    static let tenantWebV1: [String] = [
        // Second factors. TOTP secrets are sealed with the master key.
        """
        CREATE TABLE {schema}.mfa_factors (
            id text PRIMARY KEY,
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind IN ('totp','email')),
            sealed_secret bytea,
            last_used_step bigint,
            created_at timestamptz NOT NULL,
            UNIQUE (user_id, kind))
        """,
        "CREATE INDEX mfa_factors_on_user_id ON {schema}.mfa_factors(user_id)",
        """
        CREATE TABLE {schema}.recovery_codes (
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            code_hash bytea NOT NULL,
            created_at timestamptz NOT NULL,
            used_at timestamptz,
            PRIMARY KEY (user_id, code_hash))
        """,
        // Emailed links and codes: email verification, password reset, magic links.
        """
        CREATE TABLE {schema}.one_time_tokens (
            id text PRIMARY KEY,
            purpose text NOT NULL,
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            token_hash bytea UNIQUE,
            code_hash bytea,
            attempts bigint NOT NULL DEFAULT 0,
            context text,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            consumed_at timestamptz)
        """,
        "CREATE INDEX one_time_tokens_on_user_id ON {schema}.one_time_tokens(user_id)",
        "CREATE INDEX one_time_tokens_on_expires_at ON {schema}.one_time_tokens(expires_at)",
        // A first factor passed, a second (or email verification, or enrolment) pending.
        """
        CREATE TABLE {schema}.pending_sign_ins (
            id_hash bytea PRIMARY KEY,
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            client_id text NOT NULL,
            amr text NOT NULL,
            scope text,
            stage text NOT NULL,
            sealed_enrol_secret bytea,
            email_code_hash bytea,
            email_code_expires_at timestamptz,
            attempts bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL)
        """,
        "CREATE INDEX pending_sign_ins_on_expires_at ON {schema}.pending_sign_ins(expires_at)",
        // Email: the durable outbox. `message` holds the complete RFC 5322 bytes until the
        // message is sent or has failed, then is emptied.
        """
        CREATE TABLE {schema}.mail_outbox (
            id text PRIMARY KEY,
            template text,
            recipient text NOT NULL,
            envelope_from text NOT NULL,
            subject text NOT NULL,
            message bytea NOT NULL,
            attempts bigint NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            sent_at timestamptz,
            failed_at timestamptz,
            last_error text,
            created_at timestamptz NOT NULL)
        """,
        "CREATE INDEX mail_outbox_on_created_at ON {schema}.mail_outbox(created_at)",
        // The delivery worker's query: unsent, not given up, by due time.
        "CREATE INDEX mail_outbox_due ON {schema}.mail_outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL",
        // Overrides of the default page and email templates, by name (`page/login`, `email/verify`).
        """
        CREATE TABLE {schema}.template_overrides (
            name text PRIMARY KEY,
            body text,
            subject text,
            text_body text,
            html_body text,
            updated_at timestamptz NOT NULL)
        """,
        // Upstream providers; the client secret is sealed with the master key.
        """
        CREATE TABLE {schema}.upstream_providers (
            id text PRIMARY KEY,
            slug text NOT NULL UNIQUE,
            kind text NOT NULL CHECK (kind IN ('oidc','oauth2','github','google','microsoft')),
            name text NOT NULL,
            enabled boolean NOT NULL,
            client_id text NOT NULL,
            sealed_client_secret bytea,
            discovery_url text,
            issuer text,
            authorization_url text,
            token_url text,
            userinfo_url text,
            scopes text NOT NULL,
            claim_mapping text NOT NULL,
            microsoft_tenant text,
            trust_upstream_mfa boolean NOT NULL,
            allow_signup boolean NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL)
        """,
        // Identities are keyed by (provider, upstream issuer, upstream subject), never by email.
        """
        CREATE TABLE {schema}.upstream_identities (
            id text PRIMARY KEY,
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            provider_id text NOT NULL REFERENCES {schema}.upstream_providers(id) ON DELETE CASCADE,
            issuer text NOT NULL,
            subject text NOT NULL,
            email text,
            created_at timestamptz NOT NULL,
            last_used_at timestamptz,
            UNIQUE (provider_id, issuer, subject))
        """,
        "CREATE INDEX upstream_identities_on_user_id ON {schema}.upstream_identities(user_id)",
        // Pending upstream sign-ins, by SHA-256 of `state`; used once.
        """
        CREATE TABLE {schema}.federation_states (
            state_hash bytea PRIMARY KEY,
            provider_id text NOT NULL REFERENCES {schema}.upstream_providers(id) ON DELETE CASCADE,
            purpose text NOT NULL CHECK (purpose IN ('sign_in','link')),
            interaction_id text,
            user_id text,
            browser_binding_hash bytea NOT NULL,
            nonce text NOT NULL,
            code_verifier text NOT NULL,
            redirect_uri text NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL)
        """,
        "CREATE INDEX federation_states_on_expires_at ON {schema}.federation_states(expires_at)",
        // The account console's set-up of a second factor, apart from sign-in challenges.
        """
        CREATE TABLE {schema}.console_enrolments (
            id_hash bytea PRIMARY KEY,
            user_id text NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            sealed_totp_secret bytea,
            email_code_hash bytea,
            email_code_expires_at timestamptz,
            attempts bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL)
        """,
        "CREATE INDEX console_enrolments_on_expires_at ON {schema}.console_enrolments(expires_at)",
        // Consecutive sign-in failures per account and per account + IP, kept across restarts.
        """
        CREATE TABLE {schema}.sign_in_failures (
            key text PRIMARY KEY,
            failures bigint NOT NULL,
            last_failure timestamptz NOT NULL)
        """,
        "CREATE INDEX sign_in_failures_on_last_failure ON {schema}.sign_in_failures(last_failure)",
    ]
}
