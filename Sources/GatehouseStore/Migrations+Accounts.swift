import GRDB

extension Migrations {
    /// Accounts and MFA: factors, recovery codes, one-time codes and links.
    static func registerAccountMigrations(_ migrator: inout DatabaseMigrator) {}
}
