import GRDB

/// Schema migrations, registered by name and never edited after they ship (docs/architecture.md H11).
public enum Migrations {
    /// The instance database: tenant registry and the key → tenant index (docs/architecture.md, Tenancy in the types).
    static var instance: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-instance-v1") { db in
            try db.create(table: "tenants") { t in
                t.primaryKey("id", .text)
                t.column("slug", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("environment", .text).notNull().check(sql: "environment IN ('live','test','dev')")
                t.column("settings", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            // Every publishable and secret key's tenant, unique across the instance.
            try db.create(table: "client_keys") { t in
                t.primaryKey("client_id", .text)
                t.column("tenant_id", .text).notNull().indexed().references("tenants", onDelete: .cascade)
            }
            // SHA-256 of every live secret key, for server calls that present only the secret key.
            try db.create(table: "secret_keys") { t in
                t.primaryKey("secret_hash", .blob)
                t.column("client_id", .text).notNull().indexed()
                t.column("tenant_id", .text).notNull().indexed().references("tenants", onDelete: .cascade)
            }
        }
        migrator.registerMigration("2026-11-29-instance-mail-v1") { db in
            // Tenants whose outbox may hold undelivered mail, so the delivery worker never scans
            // every tenant. `due_at`: the earliest next attempt; `version` changes on every enqueue
            // (InstanceStore+Mail.swift explains how it keeps an entry from being lost).
            try db.create(table: "mail_pending") { t in
                t.primaryKey("tenant_id", .text).references("tenants", onDelete: .cascade)
                t.column("due_at", .datetime).notNull().indexed()
                t.column("version", .integer).notNull().defaults(to: 0)
            }
        }
        migrator.registerMigration("2026-12-03-instance-tenant-hostname-v1") { db in
            // A tenant's own host name (settings.hostname), unique across the instance; NULL for
            // tenants served under `/t/{slug}`.
            try db.alter(table: "tenants") { t in t.add(column: "hostname", .text) }
            try db.create(index: "tenants_hostname", on: "tenants", columns: ["hostname"], unique: true)
        }
        migrator.registerMigration("2026-12-03-instance-idempotency-v1") { db in
            // The first answer to an admin POST with an `Idempotency-Key`, replayed to retries for
            // 24 hours (InstanceStore+Idempotency.swift). `body` is sealed under the master key: a
            // created client's answer carries its secret key.
            try db.create(table: "idempotency_keys") { t in
                t.column("scope", .text).notNull()
                t.column("key", .text).notNull()
                t.column("tenant_id", .text).references("tenants", onDelete: .cascade)
                t.column("fingerprint", .blob).notNull()
                t.column("status", .integer).notNull()
                t.column("content_type", .text)
                t.column("location", .text)
                t.column("body", .blob).notNull()
                t.column("created_at", .datetime).notNull().indexed()
                t.primaryKey(["scope", "key"])
            }
        }
        migrator.registerMigration(instanceMetaMigration) { db in
            // Facts about the instance itself; `initialised`: the id of its first tenant, written in
            // that tenant's transaction (InstanceStore.createFirstTenant).
            try db.create(table: "instance_meta") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
        }
        migrator.registerMigration("2026-12-06-instance-webhooks-v1") { db in
            // Tenants with webhook endpoints, so that the delivery worker never scans every tenant
            // (InstanceStore+Webhooks.swift).
            try db.create(table: "webhook_tenants") { t in
                t.primaryKey("tenant_id", .text).references("tenants", onDelete: .cascade)
                t.column("version", .integer).notNull().defaults(to: 0)
            }
        }
        registerInstanceBackchannelLogoutMigrations(&migrator)
        return migrator
    }

    /// The migration that added `instance_meta`: a data folder it is applied to later than the
    /// first migration was set up before the instance recorded being initialised, and counts as
    /// initialised (it had its first start).
    static let instanceMetaMigration = "2026-12-04-instance-meta-v1"

    /// One tenant's database.
    static var tenant: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-tenant-v1") { db in
            try db.create(table: "signing_keys") { t in
                t.primaryKey("kid", .text)
                t.column("algorithm", .text).notNull()
                t.column("sealed_private_key", .blob).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("activates_at", .datetime).notNull()
                t.column("retires_at", .datetime)
                t.column("expires_at", .datetime)
            }
            try db.create(table: "clients") { t in
                t.primaryKey("id", .text)
                t.column("client_id", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("type", .text).notNull().check(sql: "type IN ('public','confidential')")
                t.column("secret_hash", .blob)
                t.column("previous_secret_hash", .blob)
                t.column("previous_secret_expires_at", .datetime)
                t.column("id_token_signed_response_alg", .text).notNull().defaults(to: "EdDSA")
                t.column("access_token_signing_alg", .text).notNull().defaults(to: "EdDSA")
                t.column("redirect_uris", .jsonText).notNull()
                t.column("post_logout_redirect_uris", .jsonText).notNull()
                t.column("grant_types", .jsonText).notNull()
                t.column("first_party", .boolean).notNull()
                t.column("allowed_scopes", .text)
                t.column("builtin", .text).unique()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "users") { t in
                t.primaryKey("id", .text)
                t.column("email", .text).notNull().unique()
                t.column("email_verified", .boolean).notNull()
                t.column("name", .text)
                t.column("password_hash", .text)
                t.column("disabled", .boolean).notNull().defaults(to: false)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "sessions") { t in
                t.primaryKey("id", .text)
                t.column("token_hash", .blob).notNull().unique()
                t.column("user_id", .text).notNull().indexed().references("users", onDelete: .cascade)
                t.column("auth_time", .datetime).notNull()
                t.column("amr", .jsonText).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull()
                t.column("revoked_at", .datetime)
                t.column("user_agent", .text)
                t.column("ip_address", .text)
            }
            try db.create(table: "interactions") { t in
                t.primaryKey("id", .text)
                t.column("csrf_token", .text).notNull()
                t.column("browser_binding_hash", .blob).notNull()
                t.column("request", .jsonText).notNull()
                t.column("user_id", .text)
                t.column("login_done", .boolean).notNull()
                t.column("consent_done", .boolean).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
            }
            try db.create(table: "consents") { t in
                t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
                t.column("client_id", .text).notNull()
                t.column("scope", .text).notNull()
                t.column("granted_at", .datetime).notNull()
                t.primaryKey(["user_id", "client_id"])
            }
            try db.create(table: "grants") { t in
                t.primaryKey("id", .text)
                t.column("client_id", .text).notNull().indexed()
                t.column("user_id", .text).notNull().indexed().references("users", onDelete: .cascade)
                t.column("session_id", .text).indexed()
                t.column("scope", .text).notNull()
                t.column("auth_time", .datetime).notNull()
                t.column("amr", .jsonText).notNull()
                t.column("nonce", .text)
                t.column("created_at", .datetime).notNull()
                t.column("revoked_at", .datetime)
            }
            try db.create(table: "authorization_codes") { t in
                t.primaryKey("code_hash", .blob)
                t.column("grant_id", .text).notNull().indexed().references("grants", onDelete: .cascade)
                t.column("client_id", .text).notNull()
                t.column("redirect_uri", .text).notNull()
                t.column("redirect_uri_sent", .boolean).notNull()
                t.column("code_challenge", .text)
                t.column("expires_at", .datetime).notNull()
                t.column("consumed_at", .datetime)
            }
            try db.create(table: "refresh_tokens") { t in
                t.primaryKey("token_hash", .blob)
                t.column("grant_id", .text).notNull().indexed().references("grants", onDelete: .cascade)
                t.column("issued_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull()
                t.column("rotated_at", .datetime)
            }
            try db.create(table: "revoked_access_tokens") { t in
                t.primaryKey("jti", .text)
                t.column("expires_at", .datetime).notNull().indexed()
            }
        }
        // Feature migrations, in the order they ship; each lives beside its feature's store code.
        registerAccountMigrations(&migrator)
        registerMailMigrations(&migrator)
        registerFederationMigrations(&migrator)
        registerSecondFactorMigrations(&migrator)
        registerOrganizationMigrations(&migrator)
        registerOrganizationChoiceMigrations(&migrator)
        registerOrganizationInvitationMigrations(&migrator)
        registerCustomClaimMigrations(&migrator)
        registerAuditMigrations(&migrator)
        registerWebhookMigrations(&migrator)
        registerUserProfileMigrations(&migrator)
        registerClientAuthenticationMigrations(&migrator)
        registerTemplateVersionMigrations(&migrator)
        registerConsoleRoleMigrations(&migrator)
        registerPushedAuthorizationMigrations(&migrator)
        registerDeviceAuthorizationMigrations(&migrator)
        registerBackchannelLogoutMigrations(&migrator)
        registerClientRegistrationMigrations(&migrator)
        registerDPoPMigrations(&migrator)
        registerPasskeyMigrations(&migrator)
        return migrator
    }
}
