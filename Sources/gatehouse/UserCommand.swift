import ArgumentParser
import Foundation
import GatehouseAdminAPI

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list, show, update and delete users of a tenant.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self, ConsoleRoleCommand.self, PasskeysCommand.self])

    /// The fields `user show`, `create` and `update` print; `user list` prints `columns`.
    static let keys = [
        "id", "email", "name", "email_verified", "disabled", "public_metadata", "private_metadata", "phone_number", "phone_number_verified", "address",
        "created_at",
    ]
    static let columns = ["id", "email", "name", "email_verified", "disabled", "created_at"]

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
        @Option(parsing: .unconditional, help: "Password (8–256 characters); without one the user cannot sign in with a password.") var password: String?
        @Option(help: "Display name.") var name: String?
        @Flag(help: "Mark the email address as verified.") var emailVerified = false
        @Option(help: "Public metadata, readable by the user: a JSON object (at most 8 KiB).") var publicMetadata: String?
        @Option(help: "Private metadata, readable by admins only: a JSON object (at most 8 KiB).") var privateMetadata: String?
        @Option(help: "Phone number, E.164 (e.g. +14155550123), released with the phone scope.") var phoneNumber: String?
        @Flag(help: "Mark the phone number as verified.") var phoneNumberVerified = false

        func validate() throws {
            _ = try OrgCommand.metadata(publicMetadata, option: "public-metadata")
            _ = try OrgCommand.metadata(privateMetadata, option: "private-metadata")
        }

        func run() async throws {
            let body = Components.Schemas.UserCreate(
                email: email, password: password, name: name, emailVerified: emailVerified,
                publicMetadata: try OrgCommand.metadata(publicMetadata, option: "public-metadata"),
                privateMetadata: try OrgCommand.metadata(privateMetadata, option: "private-metadata"), phoneNumber: phoneNumber,
                phoneNumberVerified: phoneNumberVerified ? true : nil)
            try await runAdmin {
                let user = try await admin.api().answer { try await $0.createUser(path: .init(slug: tenant), body: .json(body)).created.body.json }
                UserCommand.print(user, json: admin.json)
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
                let list = try await paging.fetch(try admin.api(), key: "users") { client, limit, after in
                    try await client.listUsers(path: .init(slug: tenant), query: .init(limit: limit, after: after, email: email, q: search))
                        .ok.body.json
                }
                Paging.print(list, key: "users", columns: UserCommand.columns, json: admin.json)
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
                let user = try await admin.api().answer { try await $0.getUser(path: .init(slug: tenant, userId: id)).ok.body.json }
                UserCommand.print(user, json: admin.json)
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
        @Option(parsing: .unconditional, help: "New password (8–256 characters).") var password: String?
        @Option(help: "Public metadata, readable by the user: a JSON object (at most 8 KiB) replacing the stored one.")
        var publicMetadata: String?
        @Option(help: "Private metadata, readable by admins only: a JSON object (at most 8 KiB) replacing the stored one.")
        var privateMetadata: String?
        @Option(help: "Phone number, E.164 (e.g. +14155550123); a new number is unverified unless --phone-number-verified says so.")
        var phoneNumber: String?
        @Option(help: ArgumentHelp("Whether the phone number is verified (true or false).", valueName: "true|false"))
        var phoneNumberVerified: Bool?

        /// The JSON merge patch of the options given (RFC 7396).
        var body: Components.Schemas.UserUpdate {
            .init(
                email: email, name: name, emailVerified: emailVerified, disabled: disabled, password: password,
                publicMetadata: try? OrgCommand.metadata(publicMetadata, option: "public-metadata"),
                privateMetadata: try? OrgCommand.metadata(privateMetadata, option: "private-metadata"), phoneNumber: phoneNumber,
                phoneNumberVerified: phoneNumberVerified)
        }

        func validate() throws {
            _ = try OrgCommand.metadata(publicMetadata, option: "public-metadata")
            _ = try OrgCommand.metadata(privateMetadata, option: "private-metadata")
            if body == Components.Schemas.UserUpdate() {
                throw ValidationError("nothing to update: pass at least one option (see --help)")
            }
        }

        func run() async throws {
            let body = body
            try await runAdmin {
                let user = try await admin.api().answer {
                    try await $0.updateUser(path: .init(slug: tenant, userId: id), body: .json(body)).ok.body.json
                }
                UserCommand.print(user, json: admin.json)
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
                _ = try await admin.api().answer { try await $0.deleteUser(path: .init(slug: tenant, userId: id)).noContent }
                if !admin.json { Swift.print("deleted user \(id)") }
            }
        }
    }
}
