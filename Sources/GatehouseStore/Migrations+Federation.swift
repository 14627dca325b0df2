import GRDB

extension Migrations {
    /// Upstream login providers and linked identities.
    static func registerFederationMigrations(_ migrator: inout DatabaseMigrator) {}
}
