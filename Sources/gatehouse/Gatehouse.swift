import ArgumentParser
import Dispatch
import GatehouseCore
import GatehouseCrypto
import NIOCore
import NIOPosix

/// The process entry point: makes NIO's event loops Swift concurrency's global executor, then runs
/// ``Gatehouse``.
///
/// Hummingbird serves every connection on an event loop of `MultiThreadedEventLoopGroup.singleton`
/// and runs its request handler as a Swift task. With the default global executor that task runs on
/// a libdispatch worker thread, so every request hops from its event loop to another thread and
/// back (a profile of `client_credentials` put about half the server's CPU under the dispatch
/// workers). With the event loop group installed as the global executor a task enqueued from an
/// event loop stays on that loop (`EventLoopGroup.any()` is sticky). The hook must be installed
/// before the first task starts, so this `main` is synchronous and waits for the command's task.
/// Blocking work never runs on the executor: password hashing has its own threads
/// (`GatehouseThreads.ThreadPool`), SQLite its own queues (GRDB). docs/performance.md has the profile.
@main
enum GatehouseMain {
    static func main() {
        OpenSSLRuntime.skipCleanupAtExit()
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let finished = DispatchSemaphore(value: 0)
        // Detached: `main` is isolated to the main actor, whose executor never runs while this
        // thread waits; an unstructured `Task` would inherit that isolation and never start.
        Task.detached {
            await Gatehouse.main()
            finished.signal()
        }
        finished.wait()
    }
}

/// `gatehouse`: the server (`serve`) and the admin CLI over the admin API (docs/contract.md A6).
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

    /// Parses and runs the command, as `AsyncParsableCommand.main` does (called by ``GatehouseMain``).
    static func main() async {
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
