import ArgumentParser
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list, show, update and delete users of a tenant.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self])

    static let keys = ["id", "email", "name", "email_verified", "disabled", "created_at"]

    static func print(_ user: Any?, json: Bool) {
        if json { Output.json(user) } else if let user = user as? [String: Any] { Output.record(user, keys: keys) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user.",
            discussion: "Example: gatehouse user create --tenant default --email ada@example.com --password 'correct horse battery'")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Email address (unique in the tenant).") var email: String
        @Option(help: "Password (8–256 characters); without one the user cannot sign in with a password.") var password: String?
        @Option(help: "Display name.") var name: String?
        @Flag(help: "Mark the email address as verified.") var emailVerified = false

        func run() async throws {
            var body: [String: Any] = ["email": email, "email_verified": emailVerified]
            if let password { body["password"] = password }
            if let name { body["name"] = name }
            try await runAdmin {
                UserCommand.print(try await admin.client().call("POST", adminPath("tenants", tenant, "users"), body: body), json: admin.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, oldest first, a page at a time (--limit, --after, --all).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Only the user with this email.") var email: String?
        @Option(name: .customLong("search"), help: "Only users whose email or name contains this text.") var search: String?
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let query = (email.map { [("email", $0)] } ?? []) + (search.map { [("q", $0)] } ?? [])
                let list = try await paging.fetch(try admin.client(), ["tenants", tenant, "users"], key: "users", query: query)
                Paging.print(list, key: "users", columns: UserCommand.keys, json: admin.json)
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
                UserCommand.print(try await admin.client().call("GET", adminPath("tenants", tenant, "users", id)), json: admin.json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a user. Only the options given change.",
            discussion: """
                Disabling a user or setting a new password ends the user's sessions and revokes their grants.
                Example: gatehouse user update usr_… --tenant acme --disabled true
                """)
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "User id (usr_…).") var id: String
        @Option(help: "New email address (unique in the tenant).") var email: String?
        @Option(help: "Display name.") var name: String?
        @Option(help: ArgumentHelp("Whether the email address is verified (true or false).", valueName: "true|false"))
        var emailVerified: Bool?
        @Option(help: ArgumentHelp("Whether the user is disabled (true or false); a disabled user cannot sign in.", valueName: "true|false"))
        var disabled: Bool?
        @Option(help: "New password (8–256 characters).") var password: String?

        var body: [String: Any] {
            var body: [String: Any] = [:]
            if let email { body["email"] = email }
            if let name { body["name"] = name }
            if let emailVerified { body["email_verified"] = emailVerified }
            if let disabled { body["disabled"] = disabled }
            if let password { body["password"] = password }
            return body
        }

        func validate() throws {
            if body.isEmpty { throw ValidationError("nothing to update: pass at least one option (see --help)") }
        }

        func run() async throws {
            let body = body
            try await runAdmin {
                UserCommand.print(try await admin.client().call("PATCH", adminPath("tenants", tenant, "users", id), body: body), json: admin.json)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user, ending their sessions and revoking their grants.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "User id (usr_…).") var id: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("user \(id) of tenant '\(tenant)'", typing: id)
            try await runAdmin {
                _ = try await admin.client().call("DELETE", adminPath("tenants", tenant, "users", id))
                if !admin.json { Swift.print("deleted user \(id)") }
            }
        }
    }
}
