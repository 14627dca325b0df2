import GRDB

extension Migrations {
    /// Users' OIDC profile fields beyond name and email (`phone` and `address` scopes, OIDC Core
    /// §5.1): `users.profile`, a JSON object (`UserProfileColumn`), `{}` for existing users; and
    /// grants' `claims` request (§5.5).
    static func registerUserProfileMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-06-users-profile-v1") { db in
            try db.alter(table: "users") { t in t.add(column: "profile", .jsonText).notNull().defaults(to: "{}") }
        }
        // The `claims` request parameter (OIDC Core §5.5) of the authorization a grant came from:
        // a JSON object, NULL when the request had none.
        migrator.registerMigration("2026-12-06-grants-claims-v1") { db in
            try db.alter(table: "grants") { t in t.add(column: "claims", .jsonText) }
        }
    }
}
