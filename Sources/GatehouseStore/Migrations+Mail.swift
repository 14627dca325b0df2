import GRDB

extension Migrations {
    /// Email: the durable outbox and template overrides.
    static func registerMailMigrations(_ migrator: inout DatabaseMigrator) {}
}
