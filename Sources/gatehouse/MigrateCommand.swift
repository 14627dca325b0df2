import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseWeb
import Logging

/// `gatehouse migrate`.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Migrate the instance and every tenant (databases, or PostgreSQL schemas) to this version's schema, with a report.",
        discussion: """
            Tenant databases otherwise migrate when the server first opens them. Run this after an upgrade, with the \
            server stopped, to migrate everything at once and see what changed. A database written by a newer version \
            of Gatehouse is refused (exit 1) and left untouched: run that version, or restore a backup made by this one. \
            With [storage] backend = "postgres" it migrates the schemas of GATEHOUSE_DATABASE_URL; nodes may keep \
            serving, as each migration runs under an advisory lock.
            """)

    @OptionGroup var local: LocalDataOptions

    func run() async throws {
        let config = try local.configuration()
        if config.usesPostgres, let url = config.databaseURL {
            try await runLocal { () async throws in
                guard let keyFile = config.masterKeyFile else { throw LocalFailure("no master key file (GATEHOUSE_MASTER_KEY_FILE)") }
                let key = try LocalDataOptions.readKey(keyFile)
                do {
                    let store = try await PostgresInstanceStore.open(
                        configuration: config.postgresConfiguration(url: url, keyPolicy: KeyPolicy()), masterKey: key,
                        clock: SystemClock(), logger: Logger(label: "gatehouse.migrate"))
                    defer { store.shutdown() }
                    Self.print(try await store.migrateAllTenants(), unit: "tenant schema(s)")
                } catch let error as StoreError {
                    throw LocalFailure(error.message)
                }
            }
            return
        }
        try runLocal {
            let data = URL(fileURLWithPath: config.dataDirectory, isDirectory: true)
            guard FileManager.default.fileExists(atPath: data.appendingPathComponent("instance.sqlite").path) else {
                throw LocalFailure("\(data.path) is not a Gatehouse data folder (no instance.sqlite)")
            }
            let key = try LocalDataOptions.readKey(config.masterKeyFile ?? data.appendingPathComponent("master.key").path)
            do {
                let store = try InstanceStore(
                    configuration: StoreConfiguration(dataDirectory: data, synchronous: config.synchronous),
                    masterKey: key, clock: SystemClock(), logger: Logger(label: "gatehouse.migrate"))
                Self.print(try store.migrateAllTenants(), unit: "tenant database(s)")
            } catch let error as StoreError {
                throw LocalFailure("\(error)")
            }
        }
    }
}

extension MigrateCommand {
    static func print(_ reports: [Migrations.Report], unit: String) {
        for report in reports {
            Swift.print("\(report.database): " + (report.applied.isEmpty ? "up to date" : "applied " + report.applied.joined(separator: ", ")))
        }
        let changed = reports.filter { !$0.applied.isEmpty }.count
        Swift.print("\(reports.count) \(unit), \(changed) migrated; schema of Gatehouse \(GatehouseVersion.current)")
    }
}
