import ArgumentParser
import Foundation
import GatehouseAdminAPI

extension OrgCommand {
    /// `gatehouse org domain add|list|verify|remove`.
    struct Domain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add, list, verify and remove an organization's domains (unique in the tenant).",
            discussion: "In this version a domain is verified by the admin's verify command; no DNS check is made.",
            subcommands: [Add.self, List.self, Verify.self, Remove.self])

        static let keys = ["domain", "organization_id", "verified", "verified_at", "auto_join", "default_role", "created_at"]

        static func print(_ domain: Any?, json: Bool) {
            if json { Output.json(domain) } else if let domain = domain as? [String: Any] { Output.record(domain, keys: keys) }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add an (unverified) domain to an organization.",
                discussion: "Example: gatehouse org domain add customer-a customera.com --auto-join --default-role member --tenant saas")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @Argument(help: "Domain name, e.g. customera.com.") var domain: String
            @Flag(help: "Users whose verified email is in the domain join the organization (once the domain is verified).") var autoJoin = false
            @Option(help: "The role auto-joined users get.") var defaultRole: String?

            func run() async throws {
                let body = Components.Schemas.DomainCreate(domain: domain, autoJoin: autoJoin ? true : nil, defaultRole: defaultRole)
                try await runAdmin {
                    let added = try await admin.api().answer {
                        try await $0.addOrganizationDomain(path: .init(slug: target.tenant, org: target.org), body: .json(body)).created.body.json
                    }
                    Domain.print(added, json: admin.json)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List an organization's domains by name.")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @OptionGroup var paging: Paging

            func run() async throws {
                try await runAdmin {
                    let list = try await paging.fetch(try admin.api(), key: "domains") { client, limit, after in
                        try await client.listOrganizationDomains(path: .init(slug: target.tenant, org: target.org), query: .init(limit: limit, after: after))
                            .ok.body.json
                    }
                    Paging.print(list, key: "domains", columns: ["domain", "verified", "auto_join", "default_role"], json: admin.json)
                }
            }
        }

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Mark a domain verified: you vouch that the organization controls it (no DNS check in this version).")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @Argument(help: "Domain name.") var domain: String

            func run() async throws {
                try await runAdmin {
                    let verified = try await admin.api().answer {
                        try await $0.verifyOrganizationDomain(path: .init(slug: target.tenant, org: target.org, domain: domain)).ok.body.json
                    }
                    Domain.print(verified, json: admin.json)
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a domain from an organization.")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @Argument(help: "Domain name.") var domain: String

            func run() async throws {
                try await runAdmin {
                    _ = try await admin.api().answer {
                        try await $0.removeOrganizationDomain(path: .init(slug: target.tenant, org: target.org, domain: domain)).noContent
                    }
                    if !admin.json { Swift.print("removed domain \(domain) from organization \(target.org)") }
                }
            }
        }
    }

    /// `gatehouse org sso set|show|remove`.
    struct SSO: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sso", abstract: "Set, show and remove an organization's own upstream provider (per-organization SSO).",
            subcommands: [Set.self, Show.self, Remove.self])

        static let keys = ["organization_id", "provider_id", "enforced", "default_role"]

        static func print(_ sso: Any?, json: Bool) {
            if json { Output.json(sso) } else if let sso = sso as? [String: Any] { Output.record(sso, keys: keys) }
        }

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or replace an organization's SSO.",
                discussion: "Example: gatehouse org sso set customer-a --provider okta --enforced --tenant saas")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget
            @Option(help: "An upstream provider of the tenant: its id (idp_…) or slug.") var provider: String
            @Flag(help: "Refuse password sign-in for addresses in the organization's verified domains.") var enforced = false
            @Option(help: "The role users arriving through the provider get.") var defaultRole: String?

            func run() async throws {
                let body = Components.Schemas.OrganizationSSOSet(providerId: provider, enforced: enforced, defaultRole: defaultRole)
                try await runAdmin {
                    let sso = try await admin.api().answer {
                        try await $0.setOrganizationSSO(path: .init(slug: target.tenant, org: target.org), body: .json(body)).ok.body.json
                    }
                    SSO.print(sso, json: admin.json)
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show an organization's SSO.")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget

            func run() async throws {
                try await runAdmin {
                    let sso = try await admin.api().answer { try await $0.getOrganizationSSO(path: .init(slug: target.tenant, org: target.org)).ok.body.json }
                    SSO.print(sso, json: admin.json)
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove an organization's SSO.")
            @OptionGroup var admin: AdminOptions
            @OptionGroup var target: OrganizationTarget

            func run() async throws {
                try await runAdmin {
                    _ = try await admin.api().answer { try await $0.removeOrganizationSSO(path: .init(slug: target.tenant, org: target.org)).noContent }
                    if !admin.json { Swift.print("removed the SSO of organization \(target.org)") }
                }
            }
        }
    }
}
