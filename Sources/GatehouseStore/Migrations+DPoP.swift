import GRDB

extension Migrations {
    /// DPoP (RFC 9449): `dpop_proofs`, the SHA-256 of the `jti` of each accepted proof until it
    /// falls outside the acceptance window (§11.1); `dpop_grant_keys`, the JWK thumbprints a grant's
    /// authorization code (`code_jkt`, §10 `dpop_jkt`) and refresh tokens (`refresh_jkt`, §5) are
    /// bound to; and `clients.dpop_bound_access_tokens` (§5.2).
    static func registerDPoPMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-16-dpop-v1") { db in
            try db.alter(table: "clients") { t in
                t.add(column: "dpop_bound_access_tokens", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "dpop_proofs") { t in
                t.column("jti_hash", .blob).notNull().primaryKey()
                t.column("expires_at", .datetime).notNull().indexed()
            }
            try db.create(table: "dpop_grant_keys") { t in
                t.column("grant_id", .text).notNull().primaryKey()
                t.column("code_jkt", .text)
                t.column("refresh_jkt", .text)
                t.column("created_at", .datetime).notNull()
            }
        }
    }
}
