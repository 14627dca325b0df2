import ArgumentParser
import Foundation

struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "List and revoke the sign-in sessions of a tenant's users.",
        subcommands: [List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List active sessions, newest first (at most 1000).",
            discussion: "Example: gatehouse session list --tenant acme --user usr_01HABCDEF…")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Only the sessions of this user (usr_…).") var user: String?

        func run() async throws {
            let columns = ["id", "user_id", "amr", "auth_time", "expires_at", "ip_address", "user_agent"]
            try await runAdmin {
                let query = user.map { [("user_id", $0)] } ?? []
                let result = try await admin.client().call("GET", adminPath("tenants", tenant, "sessions", query: query))
                if admin.json { Output.json(result); return }
                let sessions = (result as? [String: Any])?["sessions"] as? [[String: Any]] ?? []
                Output.table(columns, sessions.map { s in columns.map { Output.describe(s[$0] ?? "") } })
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
                _ = try await admin.client().call("DELETE", adminPath("tenants", tenant, "sessions", sessionID))
                if !admin.json { Swift.print("revoked session \(sessionID)") }
            }
        }
    }
}
