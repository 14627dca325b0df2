import ArgumentParser
import Foundation
import GatehouseAdminAPI

extension OrgCommand {
    /// `gatehouse org member add|list|role|remove`.
    struct Member: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "member", abstract: "Add, list, change the role of and remove members of an organization.",
            subcommands: [Add.self, List.self, Role.self, Remove.self])

        static let keys = ["user_id", "email", "name", "role", "organization_id", "created_at", "updated_at"]

        static func print(_ member: Any?, json: Bool) {
            if json { Output.json(member) } else if let member = member as? [String: Any] { Output.record(member, keys: keys) }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make a user of the tenant a member with a role (owner, admin, member or a custom role).",
                discussion: "Example: gatehouse org member add customer-a usr_… --role admin --tenant saas")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @Argument(help: "User id (usr_…).") var user: String
            @Option(help: "Role name.") var role: String = "member"

            func run() async throws {
                let body = Components.Schemas.MemberCreate(userId: user, role: role)
                try await runAdmin {
                    let member = try await admin.api().answer {
                        try await $0.addOrganizationMember(path: .init(slug: target.tenant, org: target.org), body: .json(body)).created.body.json
                    }
                    Member.print(member, json: admin.json)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List members by user id, a page at a time (--limit, --after, --all).")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @OptionGroup var paging: Paging

            func run() async throws {
                try await runAdmin {
                    let list = try await paging.fetch(try admin.api(), key: "members") { client, limit, after in
                        try await client.listOrganizationMembers(path: .init(slug: target.tenant, org: target.org), query: .init(limit: limit, after: after))
                            .ok.body.json
                    }
                    Paging.print(list, key: "members", columns: ["user_id", "email", "name", "role"], json: admin.json)
                }
            }
        }

        struct Role: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Give a member another role. The organization's last owner cannot be demoted.",
                discussion: "Example: gatehouse org member role customer-a usr_… owner --tenant saas")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @Argument(help: "User id (usr_…).") var user: String
            @Argument(help: "The new role.") var role: String

            func run() async throws {
                let body = Components.Schemas.MemberUpdate(role: role)
                try await runAdmin {
                    let member = try await admin.api().answer {
                        try await $0.updateOrganizationMember(path: .init(slug: target.tenant, org: target.org, userId: user), body: .json(body)).ok.body.json
                    }
                    Member.print(member, json: admin.json)
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a member. The organization's last owner cannot be removed.")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @Argument(help: "User id (usr_…).") var user: String

            func run() async throws {
                try await runAdmin {
                    _ = try await admin.api().answer {
                        try await $0.removeOrganizationMember(path: .init(slug: target.tenant, org: target.org, userId: user)).noContent
                    }
                    if !admin.json { Swift.print("removed \(user) from organization \(target.org)") }
                }
            }
        }
    }
}
