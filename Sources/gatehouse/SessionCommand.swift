import ArgumentParser
import Foundation
import GatehouseAdminAPI

struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "List and revoke the sign-in sessions of a tenant's users.",
        subcommands: [List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List active sessions, newest first, a page at a time (--limit, --after, --all).",
            discussion: "Example: gatehouse session list --tenant acme --user usr_01HABCDEF…")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Only the sessions of this user (usr_…).") var user: String?
        @OptionGroup var paging: Paging

        func run() async throws {
            let columns = ["id", "user_id", "amr", "auth_time", "expires_at", "ip_address", "user_agent"]
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "sessions") { client, limit, after in
                    try await client.listSessions(path: .init(slug: tenant), query: .init(limit: limit, after: after, userId: user))
                        .ok.body.json
                }
                Paging.print(list, key: "sessions", columns: columns, json: admin.json)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a session and revoke every grant and token made in it, offline_access included.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Session id (ses_…).") var sessionID: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("session \(sessionID) of tenant '\(tenant)' and revokes every grant made in it", typing: sessionID)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.revokeSession(path: .init(slug: tenant, sessionId: sessionID)).noContent }
                if !admin.json { Swift.print("revoked session \(sessionID)") }
            }
        }
    }
}
