import ArgumentParser
import Foundation
import GatehouseAdminAPI

/// `gatehouse role …`: the tenant's organization roles (docs/contract.md A8).
struct RoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role",
        abstract: "Create, list, update and delete organization roles of a tenant (built-in: owner, admin, member).",
        subcommands: [Create.self, List.self, Update.self, Delete.self])

    static let keys = ["name", "permissions", "description", "built_in", "created_at", "updated_at"]

    static func print(_ role: Any?, json: Bool) {
        if json { Output.json(role) } else if let role = role as? [String: Any] { Output.record(role, keys: keys) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a custom role with permission strings.",
            discussion: "Example: gatehouse role create billing --permission invoices:read --permission invoices:write --tenant saas")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Role name: a-z, 0-9, _ and -, starting with a letter.") var name: String
        @Option(help: "Permission string (repeatable), e.g. invoices:read.") var permission: [String] = []
        @Option(help: "Description.") var description: String?

        func run() async throws {
            let body = Components.Schemas.RoleCreate(name: name, permissions: permission, description: description)
            try await runAdmin {
                let role = try await admin.api().answer { try await $0.createRole(path: .init(slug: tenant), body: .json(body)).created.body.json }
                RoleCommand.print(role, json: admin.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List roles by name.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "roles") { client, limit, after in
                    try await client.listRoles(path: .init(slug: tenant), query: .init(limit: limit, after: after)).ok.body.json
                }
                Paging.print(list, key: "roles", columns: ["name", "built_in", "permissions", "description"], json: admin.json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a role's permissions (the list is replaced) or description; built-in roles' permissions too.",
            discussion: "Example: gatehouse role update admin --permission members:manage --tenant saas")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Role name.") var name: String
        @Option(help: "Permission string (repeatable; replaces the list).") var permission: [String] = []
        @Flag(help: "Remove every permission.") var noPermissions = false
        @Option(help: "Description (\"\" removes it).") var description: String?

        var body: Components.Schemas.RoleUpdate {
            .init(permissions: noPermissions ? [] : (permission.isEmpty ? nil : permission), description: description)
        }

        func validate() throws {
            if body == Components.Schemas.RoleUpdate() { throw ValidationError("nothing to update: pass at least one option (see --help)") }
        }

        func run() async throws {
            let body = body
            try await runAdmin {
                let role = try await admin.api().answer {
                    try await $0.updateRole(path: .init(slug: tenant, role: name), body: .json(body)).ok.body.json
                }
                RoleCommand.print(role, json: admin.json)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a custom role that no member holds.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Role name.") var name: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("role \(name) of tenant '\(tenant)'", typing: name)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.deleteRole(path: .init(slug: tenant, role: name)).noContent }
                if !admin.json { Swift.print("deleted role \(name)") }
            }
        }
    }
}
