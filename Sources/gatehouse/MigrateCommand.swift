import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseWeb
import Logging

/// `gatehouse migrate`.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Migrate the instance database and every tenant database to this version's schema, with a report.",
        discussion: """
            Tenant databases otherwise migrate when the server first opens them. Run this after an upgrade, with the \
            server stopped, to migrate everything at once and see what changed. A database written by a newer version \
            of Gatehouse is refused (exit 1) and left untouched: run that version, or restore a backup made by this one.
            """)

    @OptionGroup var local: LocalDataOptions

    func run() throws {
        try runLocal {
            let config = try local.configuration()
            let data = URL(fileURLWithPath: config.dataDirectory, isDirectory: true)
            guard FileManager.default.fileExists(atPath: data.appendingPathComponent("instance.sqlite").path) else {
                throw LocalFailure("\(data.path) is not a Gatehouse data folder (no instance.sqlite)")
            }
            let key = try LocalDataOptions.readKey(config.masterKeyFile ?? data.appendingPathComponent("master.key").path)
            do {
                let store = try InstanceStore(
                    configuration: StoreConfiguration(dataDirectory: data, synchronous: config.synchronous),
                    masterKey: key, clock: SystemClock(), logger: Logger(label: "gatehouse.migrate"))
                let reports = try store.migrateAllTenants()
                for report in reports {
                    print("\(report.database): " + (report.applied.isEmpty ? "up to date" : "applied " + report.applied.joined(separator: ", ")))
                }
                let changed = reports.filter { !$0.applied.isEmpty }.count
                print("\(reports.count) tenant database(s), \(changed) migrated; schema of Gatehouse \(GatehouseVersion.current)")
            } catch let error as StoreError {
                throw LocalFailure("\(error)")
            }
        }
    }
}
