import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore
import Logging

/// `gatehouse storage copy`: moving a deployment from its SQLite data folder to PostgreSQL.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Move an instance between storage backends.",
        subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy a SQLite data folder's instance (every tenant) into an empty PostgreSQL database.",
            discussion: """
                Every tenant keeps its id, slug, settings, users, clients and their keys, signing keys, sessions and \
                grants: after the switch users stay signed in and relying parties keep verifying. Stop the server \
                first (the copy reads the files as they are). The PostgreSQL instance must be empty; it takes the \
                data folder's master key, which every node then needs (GATEHOUSE_MASTER_KEY_FILE). \
                Then start the nodes with [storage] backend = "postgres" and GATEHOUSE_DATABASE_URL.
                Example: gatehouse storage copy --from sqlite:/var/lib/gatehouse --to postgres://gatehouse@db/gatehouse
                """)

        @Option(name: .long, help: ArgumentHelp("The data folder, as sqlite:DIR (or DIR).", valueName: "sqlite:DIR"))
        var from: String

        @Option(
            name: .long, parsing: .unconditional,
            help: ArgumentHelp("The target database URL (default: env GATEHOUSE_DATABASE_URL).", valueName: "postgres://…"))
        var to: String?

        @Option(name: .long, help: "The data folder's master key (default: DIR/master.key).")
        var masterKeyFile: String?

        @Option(name: .long, help: "Prefix of the PostgreSQL schemas (default gatehouse; as [storage] schema_prefix).")
        var schemaPrefix: String = "gatehouse"

        func run() async throws {
            try await runLocal { () async throws in
                let folder = from.hasPrefix("sqlite:") ? String(from.dropFirst("sqlite:".count)) : from
                let data = URL(fileURLWithPath: folder, isDirectory: true)
                guard FileManager.default.fileExists(atPath: data.appendingPathComponent("instance.sqlite").path) else {
                    throw LocalFailure("\(data.path) is not a Gatehouse data folder (no instance.sqlite)")
                }
                guard let url = to ?? ProcessInfo.processInfo.environment["GATEHOUSE_DATABASE_URL"], !url.isEmpty else {
                    throw LocalFailure("no target: pass --to postgres://… or set GATEHOUSE_DATABASE_URL")
                }
                let key = try LocalDataOptions.readKey(masterKeyFile ?? data.appendingPathComponent("master.key").path)
                let logger = Logger(label: "gatehouse.storage")
                do {
                    let source = try InstanceStore(
                        configuration: StoreConfiguration(dataDirectory: data), masterKey: key, clock: SystemClock(), logger: logger)
                    let target = try await PostgresInstanceStore.open(
                        configuration: PostgresStoreConfiguration(url: url, schemaPrefix: schemaPrefix), masterKey: key,
                        clock: SystemClock(), logger: logger)
                    defer { target.shutdown() }
                    let report = try await target.copy(from: source)
                    for (slug, rows) in report.tenants { print("\(slug): \(rows) rows") }
                    print("\(report.tenants.count) tenant(s) copied from \(data.path) to PostgreSQL")
                } catch let error as StoreError {
                    throw LocalFailure(error.message)
                }
            }
        }
    }
}
