import ArgumentParser

/// `gatehouse`: the server (`serve`) and the admin CLI over the admin API (ARCHITECTURE.md A6).
@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "A multi-tenant OAuth 2.0 / OpenID Connect provider.",
        discussion: """
            `gatehouse serve` runs the server. Every other command talks to a running server's admin API \
            (--url / GATEHOUSE_URL, --token / GATEHOUSE_ADMIN_TOKEN, or the token file <data>/admin-token).
            """,
        subcommands: [Serve.self, TenantCommand.self, ClientCommand.self, UserCommand.self])
}
