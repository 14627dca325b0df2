extension PostgresSchemas {
    /// Passkeys (W3C WebAuthn), as SQLite's `2026-12-17-passkeys-v1` (`Migrations+Passkeys.swift`).
    static let tenantPasskeysV1: [String] = [
        """
        CREATE TABLE {schema}.passkeys (id text COLLATE "C" PRIMARY KEY,
            user_id text COLLATE "C" NOT NULL REFERENCES {schema}.users(id) ON DELETE CASCADE,
            credential_id bytea NOT NULL UNIQUE, public_key bytea NOT NULL, algorithm bigint NOT NULL, sign_count bigint NOT NULL,
            aaguid bytea NOT NULL, name text NOT NULL, backup_eligible boolean NOT NULL, backup_state boolean NOT NULL,
            created_at timestamptz NOT NULL, last_used_at timestamptz)
        """,
        "CREATE INDEX passkeys_user_id ON {schema}.passkeys (user_id)",
        "CREATE TABLE {schema}.webauthn_challenges (challenge_hash bytea PRIMARY KEY, expires_at timestamptz NOT NULL)",
        "CREATE INDEX webauthn_challenges_expires_at ON {schema}.webauthn_challenges (expires_at)",
    ]

    /// As SQLite's `2026-12-18-passkey-attestation-v1`.
    static let tenantPasskeyAttestationV1: [String] = [
        "ALTER TABLE {schema}.passkeys ADD COLUMN attested boolean NOT NULL DEFAULT false"
    ]
}
