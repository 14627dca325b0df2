import Foundation
import GRDB

extension Migrations {
    /// What one database's migration did.
    public struct Report: Sendable, Equatable {
        /// `instance` or the tenant's slug.
        public let database: String
        /// Migrations applied now, oldest first; empty when it was up to date.
        public let applied: [String]
    }

    /// Migrates `writer` with `migrator`, refusing a database written by a newer version of
    /// Gatehouse (one that has applied a migration this version does not know), which an older
    /// binary must not write to.
    /// - Returns: the identifiers of the migrations applied now.
    /// - Throws: `StoreError.unavailable` naming `label` for a newer database; GRDB errors otherwise.
    @discardableResult
    static func checkedMigrate(_ migrator: DatabaseMigrator, _ writer: some DatabaseWriter, label: String) throws -> [String] {
        let before = try writer.read { db -> Set<String> in
            if try migrator.hasBeenSuperseded(db) {
                let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
                throw StoreError.unavailable(
                    "\(label) was written by a newer version of Gatehouse (unknown migrations: \(unknown.sorted().joined(separator: ", "))); "
                        + "run that version, or restore a backup made by this one")
            }
            return try migrator.appliedIdentifiers(db)
        }
        try migrator.migrate(writer)
        return migrator.migrations.filter { !before.contains($0) }
    }
}
