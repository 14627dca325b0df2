import ArgumentParser
import Foundation
import GatehouseAdminAPI

/// `gatehouse operator …`: the operators of the admin console at `{public_url}/admin`
/// (docs/contract.md A10), over the admin API's `/admin/v1/operators` (instance admin token).
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Create, list and remove the operators of the admin console ({public_url}/admin).",
        discussion: """
            Operators sign in at {public_url}/admin through Gatehouse's own login page and enrol an \
            authenticator app (TOTP) at their first sign-in.
            """,
        subcommands: [Create.self, List.self, Remove.self, ResetMFA.self])

    static let columns = ["id", "email", "name", "created_at"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an operator.",
            discussion: "Example: gatehouse operator create --email ops@example.com --password 'correct horse battery'")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Email address (unique among operators).") var email: String
        @Option(parsing: .unconditional, help: "Password (8–256 characters).") var password: String
        @Option(help: "Display name.") var name: String?

        func run() async throws {
            let body = Components.Schemas.OperatorCreate(email: email, password: password, name: name)
            try await runAdmin {
                let user = try await admin.api().answer { try await $0.createOperator(body: .json(body)).created.body.json }
                if admin.json {
                    Output.json(user)
                } else if let user = user as? [String: Any] {
                    Output.record(user, keys: OperatorCommand.columns)
                    Swift.print("sign in at \(admin.baseURL)/admin (an authenticator app is enrolled at the first sign-in)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List operators, oldest first, a page at a time (--limit, --after, --all).")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "operators") { client, limit, after in
                    try await client.listOperators(query: .init(limit: limit, after: after)).ok.body.json
                }
                Paging.print(list, key: "operators", columns: OperatorCommand.columns, json: admin.json)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an operator; their console sessions end.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Operator id (usr_…).") var id: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("operator \(id) and ends their console sessions", typing: id)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.removeOperator(path: .init(operatorId: id)).noContent }
                if !admin.json { Swift.print("removed operator \(id)") }
            }
        }
    }

    struct ResetMFA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-mfa",
            abstract: "Remove an operator's authenticator app and recovery codes; the next sign-in enrols a new one.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Operator id (usr_…).") var id: String

        func run() async throws {
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.resetOperatorMFA(path: .init(operatorId: id)).noContent }
                if !admin.json { Swift.print("reset the second factor of operator \(id)") }
            }
        }
    }
}
