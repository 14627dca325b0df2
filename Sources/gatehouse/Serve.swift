import ArgumentParser
import Foundation
import GatehouseWeb
import Hummingbird
import Logging

/// `gatehouse serve`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server.",
        discussion: """
            With no configuration it listens on 127.0.0.1:8080, keeps its data under ./data and creates the \
            tenant `default` on first start. Environment variables override the file: GATEHOUSE_LISTEN, \
            GATEHOUSE_PUBLIC_URL, GATEHOUSE_DATA_DIR, GATEHOUSE_ADMIN_TOKEN (or GATEHOUSE_ADMIN_TOKEN_FILE), \
            GATEHOUSE_MASTER_KEY_FILE, GATEHOUSE_SMTP_URL, GATEHOUSE_LOG_LEVEL, GATEHOUSE_LOG_FORMAT, \
            GATEHOUSE_TEMPLATES_DIR, GATEHOUSE_STATIC_DIR, GATEHOUSE_TRUSTED_PROXIES, GATEHOUSE_TENANT_BASE_DOMAIN. \
            Several nodes on one PostgreSQL database: GATEHOUSE_STORAGE_BACKEND=postgres and \
            GATEHOUSE_DATABASE_URL=postgres://…, with the same master key file and admin token on every node \
            (docs/operations.md).
            """)

    @Option(name: .long, help: "TOML configuration file (see config/gatehouse.toml).")
    var config: String?

    func run() async throws {
        let configuration: GatehouseConfiguration
        do {
            configuration = try GatehouseConfiguration.load(path: config, environment: ProcessInfo.processInfo.environment)
            if !configuration.nodeProblems.isEmpty { throw GatehouseConfiguration.Invalid(problems: configuration.nodeProblems) }
        } catch let invalid as GatehouseConfiguration.Invalid {
            FileHandle.standardError.write(Data((invalid.description + "\n").utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        // Request ids reach log lines through the metadata provider (`RequestIDs`).
        if configuration.logFormat == "json" {
            LoggingSystem.bootstrap({ JSONLogHandler(label: $0, metadataProvider: $1) }, metadataProvider: RequestIDs.metadataProvider)
        } else {
            LoggingSystem.bootstrap({ TextLogHandler(label: $0, metadataProvider: $1) }, metadataProvider: RequestIDs.metadataProvider)
        }
        let app = try await buildApplication(configuration: configuration)
        // The server announces itself once it is really listening (see buildApplication).
        try await app.runService()
    }
}
