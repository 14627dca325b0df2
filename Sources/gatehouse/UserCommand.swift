import ArgumentParser
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list and show users of a tenant.",
        subcommands: [Create.self, List.self, Show.self])

    static let keys = ["id", "email", "name", "email_verified", "created_at"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user.",
            discussion: "Example: gatehouse user create --tenant default --email ada@example.com --password 'correct horse battery'")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Email address.") var email: String
        @Option(help: "Password (8–256 characters).") var password: String?
        @Option(help: "Display name.") var name: String?
        @Flag(help: "Mark the email address as verified.") var emailVerified = false

        func run() async throws {
            var body: [String: Any] = ["email": email, "email_verified": emailVerified]
            if let password { body["password"] = password }
            if let name { body["name"] = name }
            try await runAdmin {
                let user = try await admin.client().call("POST", "/admin/v1/tenants/\(tenant)/users", body: body)
                if admin.json { Output.json(user) } else if let user = user as? [String: Any] { Output.record(user, keys: UserCommand.keys) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"

        func run() async throws {
            try await runAdmin {
                let result = try await admin.client().call("GET", "/admin/v1/tenants/\(tenant)/users")
                if admin.json { Output.json(result); return }
                let users = (result as? [String: Any])?["users"] as? [[String: Any]] ?? []
                Output.table(UserCommand.keys, users.map { u in UserCommand.keys.map { Output.describe(u[$0] ?? "") } })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a user.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "User id (usr_…).") var id: String

        func run() async throws {
            try await runAdmin {
                let user = try await admin.client().call("GET", "/admin/v1/tenants/\(tenant)/users/\(id)")
                if admin.json { Output.json(user) } else if let user = user as? [String: Any] { Output.record(user, keys: UserCommand.keys) }
            }
        }
    }
}
