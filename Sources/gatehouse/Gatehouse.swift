import ArgumentParser
import GatehouseCore
import GatehouseCrypto

/// `gatehouse`: the server (`serve`) and the admin CLI over the admin API (docs/contract.md A6).
@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "A multi-tenant OAuth 2.0 / OpenID Connect provider.",
        discussion: """
            `gatehouse serve` runs the server. Every other command talks to a running server's admin API \
            (--url / GATEHOUSE_URL, --token / GATEHOUSE_ADMIN_TOKEN, or the token file <data>/admin-token) and \
            prints tables, or JSON with --json. Failures print the server's problem details on stderr (as JSON with --json).
            \(CLIExit.summary)
            Example: gatehouse tenant update acme --mfa-policy required --session-duration 8h --allowed-origins "https://app.acme.com"
            """,
        version: GatehouseVersion.current,
        subcommands: [
            Serve.self, TenantCommand.self, ClientCommand.self, UserCommand.self, OrgCommand.self, RoleCommand.self, SessionCommand.self,
            KeysCommand.self, ProviderCommand.self, WebhookCommand.self, AuditCommand.self, OperatorCommand.self,
            TemplateCommand.self, BackupCommand.self, RestoreCommand.self, MigrateCommand.self, StorageCommand.self,
            VersionCommand.self,
        ])

    /// Parses and runs the command, as `AsyncParsableCommand.main` does, after telling OpenSSL not
    /// to free its state at exit (`OpenSSLRuntime.skipCleanupAtExit`).
    static func main() async {
        OpenSSLRuntime.skipCleanupAtExit()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// `gatehouse version`: the same as `gatehouse --version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print(GatehouseVersion.current) }
}
