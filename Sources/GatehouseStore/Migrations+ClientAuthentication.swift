import GRDB

extension Migrations {
    /// JWT client authentication (RFC 7523, OIDC Core §9): `clients.token_endpoint_auth_method`
    /// (NULL for clients registered before it, which authenticate as before), `jwks` (JSON array
    /// of public JWKs), `jwks_uri`, and the sealed secret keys of `client_secret_jwt` clients
    /// (`sealed_secret`, `sealed_previous_secret`: the master key's `SecretBox`); and
    /// `client_assertions`, the `jti` (as its SHA-256) of each accepted assertion per client until
    /// it expires, so that an assertion is accepted once.
    static func registerClientAuthenticationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-07-client-jwt-auth-v1") { db in
            try db.alter(table: "clients") { t in
                t.add(column: "token_endpoint_auth_method", .text)
                t.add(column: "jwks", .jsonText)
                t.add(column: "jwks_uri", .text)
                t.add(column: "sealed_secret", .blob)
                t.add(column: "sealed_previous_secret", .blob)
            }
            try db.create(table: "client_assertions") { t in
                t.column("client_id", .text).notNull()
                t.column("jti_hash", .blob).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
                t.primaryKey(["client_id", "jti_hash"])
            }
        }
    }
}
