import GRDB

extension Migrations {
    /// Upstream login providers and linked identities.
    static func registerFederationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-11-29-tenant-federation-v1") { db in
            // Upstream providers; the client secret is sealed with the master key.
            try db.create(table: "upstream_providers") { t in
                t.primaryKey("id", .text)
                t.column("slug", .text).notNull().unique()
                t.column("kind", .text).notNull().check(sql: "kind IN ('oidc','oauth2','github','google','microsoft')")
                t.column("name", .text).notNull()
                t.column("enabled", .boolean).notNull()
                t.column("client_id", .text).notNull()
                t.column("sealed_client_secret", .blob)
                t.column("discovery_url", .text)
                t.column("issuer", .text)
                t.column("authorization_url", .text)
                t.column("token_url", .text)
                t.column("userinfo_url", .text)
                t.column("scopes", .jsonText).notNull()
                t.column("claim_mapping", .jsonText).notNull()
                t.column("microsoft_tenant", .text)
                t.column("trust_upstream_mfa", .boolean).notNull()
                t.column("allow_signup", .boolean).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            // Identities are keyed by (provider, upstream issuer, upstream subject), never by email.
            try db.create(table: "upstream_identities") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().indexed().references("users", onDelete: .cascade)
                t.column("provider_id", .text).notNull().references("upstream_providers", onDelete: .cascade)
                t.column("issuer", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("email", .text)
                t.column("created_at", .datetime).notNull()
                t.column("last_used_at", .datetime)
                t.uniqueKey(["provider_id", "issuer", "subject"])
            }
            // Pending upstream sign-ins, by SHA-256 of `state`; used once.
            try db.create(table: "federation_states") { t in
                t.primaryKey("state_hash", .blob)
                t.column("provider_id", .text).notNull().references("upstream_providers", onDelete: .cascade)
                t.column("purpose", .text).notNull().check(sql: "purpose IN ('sign_in','link')")
                t.column("interaction_id", .text)
                t.column("user_id", .text)
                t.column("browser_binding_hash", .blob).notNull()
                t.column("nonce", .text).notNull()
                t.column("code_verifier", .text).notNull()
                t.column("redirect_uri", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
            }
        }
    }
}
