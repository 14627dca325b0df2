import ArgumentParser
import Foundation
import GatehouseAdminAPI
import OpenAPIRuntime

/// `gatehouse org …`: organizations of a tenant and their members (docs/contract.md A8).
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Create, list, show, update and delete organizations of a tenant; manage their members, invitations, domains and SSO.",
        subcommands: [
            Create.self, List.self, Show.self, Update.self, Delete.self, Member.self, Invite.self, Invitations.self, Revoke.self, Resend.self,
            Domain.self, SSO.self,
        ])

    static let keys = ["id", "name", "slug", "mfa_required", "public_metadata", "private_metadata", "created_at", "updated_at"]

    static func print(_ organization: Any?, json: Bool) {
        if json { Output.json(organization) } else if let organization = organization as? [String: Any] { Output.record(organization, keys: keys) }
    }

    /// A JSON object given on the command line (`--public-metadata '{"plan":"pro"}'`).
    static func metadata(_ text: String?, option: String) throws -> OpenAPIObjectContainer? {
        guard let text else { return nil }
        guard let object = try? JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(text.utf8)) else {
            throw ValidationError("--\(option) must be a JSON object, e.g. '{\"plan\": \"pro\"}'")
        }
        return object
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an organization, optionally with its first owner.",
            discussion: "Example: gatehouse org create --tenant saas --name 'Customer A' --slug customer-a --owner usr_…")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Display name.") var name: String
        @Option(help: "Slug, unique in the tenant: a-z, 0-9 and -.") var slug: String
        @Option(help: "User id (usr_…) of the first member, who becomes its owner.") var owner: String?
        @Option(help: "Public metadata: a JSON object (at most 8 KiB).") var publicMetadata: String?
        @Option(help: "Private metadata: a JSON object (at most 8 KiB).") var privateMetadata: String?
        @Flag(help: "Members must pass a second factor when acting within the organization.") var mfaRequired = false

        func run() async throws {
            let body = Components.Schemas.OrganizationCreate(
                name: name, slug: slug, ownerUserId: owner,
                publicMetadata: try OrgCommand.metadata(publicMetadata, option: "public-metadata"),
                privateMetadata: try OrgCommand.metadata(privateMetadata, option: "private-metadata"),
                mfaRequired: mfaRequired ? true : nil)
            try await runAdmin {
                let organization = try await admin.api().answer {
                    try await $0.createOrganization(path: .init(slug: tenant), body: .json(body)).created.body.json
                }
                OrgCommand.print(organization, json: admin.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organizations, oldest first, a page at a time (--limit, --after, --all).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(name: .customLong("search"), help: "Only organizations whose name or slug contains this text.") var search: String?
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "organizations") { client, limit, after in
                    try await client.listOrganizations(path: .init(slug: tenant), query: .init(limit: limit, after: after, q: search))
                        .ok.body.json
                }
                Paging.print(list, key: "organizations", columns: ["id", "slug", "name", "mfa_required"], json: admin.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an organization.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: OrganizationTarget

        func run() async throws {
            try await runAdmin {
                let organization = try await admin.api().answer { try await $0.getOrganization(path: .init(slug: target.tenant, org: target.org)).ok.body.json }
                OrgCommand.print(organization, json: admin.json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update an organization. Only the options given change; metadata objects are replaced whole.",
            discussion: "Example: gatehouse org update customer-a --tenant saas --mfa-required true")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: OrganizationTarget
        @Option(help: "Display name.") var name: String?
        @Option(help: "New slug.") var slug: String?
        @Option(help: "Public metadata: a JSON object (at most 8 KiB).") var publicMetadata: String?
        @Option(help: "Private metadata: a JSON object (at most 8 KiB).") var privateMetadata: String?
        @Option(help: ArgumentHelp("Whether members must pass a second factor (true or false).", valueName: "true|false"))
        var mfaRequired: Bool?

        func body() throws -> Components.Schemas.OrganizationUpdate {
            .init(
                name: name, slug: slug, publicMetadata: try OrgCommand.metadata(publicMetadata, option: "public-metadata"),
                privateMetadata: try OrgCommand.metadata(privateMetadata, option: "private-metadata"), mfaRequired: mfaRequired)
        }

        func validate() throws {
            if try body() == Components.Schemas.OrganizationUpdate() {
                throw ValidationError("nothing to update: pass at least one option (see --help)")
            }
        }

        func run() async throws {
            let body = try body()
            try await runAdmin {
                let organization = try await admin.api().answer {
                    try await $0.updateOrganization(path: .init(slug: target.tenant, org: target.org), body: .json(body)).ok.body.json
                }
                OrgCommand.print(organization, json: admin.json)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an organization with its memberships, revoking every grant issued for it.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: OrganizationTarget
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("organization \(target.org) of tenant '\(target.tenant)'", typing: target.org)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.deleteOrganization(path: .init(slug: target.tenant, org: target.org)).noContent }
                if !admin.json { Swift.print("deleted organization \(target.org)") }
            }
        }
    }
}

/// The tenant and organization every `gatehouse org …` command on one organization names:
/// `--tenant SLUG` (default `default`) and the organization's id (`org_…`) or slug.
struct OrganizationTarget: ParsableArguments {
    @Option(help: "Tenant slug.") var tenant: String = "default"
    @Argument(help: "Organization id (org_…) or slug.") var org: String
}
