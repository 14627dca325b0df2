import ArgumentParser
import Foundation
import GatehouseAdminAPI

/// `gatehouse provider add|list|show|update|remove`: upstream login providers of a tenant.
struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider",
        abstract: "Add, list, show, update and remove upstream login providers (OIDC, OAuth 2.0, GitHub, Google, Microsoft) of a tenant.",
        discussion: """
            Users of the tenant can then sign in with the provider: its button appears on the tenant's login page. \
            Register the redirect URI shown by `add` and `show` at the provider. Client secrets are encrypted at rest \
            and never shown again.
            Example: gatehouse provider add --tenant acme --kind oidc --name "Acme SSO" \
            --discovery-url https://sso.acme.com/.well-known/openid-configuration --client-id gatehouse --client-secret s3cret
            """,
        subcommands: [Add.self, List.self, Show.self, Update.self, Remove.self])

    static let keys = [
        "id", "slug", "kind", "name", "enabled", "redirect_uri", "client_id", "client_secret_set", "discovery_url",
        "microsoft_tenant", "issuer", "authorization_url", "token_url", "userinfo_url", "scopes", "claim_mapping",
        "trust_upstream_mfa", "allow_signup", "created_at", "updated_at",
    ]

    static func print(_ provider: Any?, json: Bool) {
        if json { Output.json(provider) } else if let provider = provider as? [String: Any] { Output.record(provider, keys: keys) }
    }

    /// Options shared by `add` and `update`.
    struct Fields: ParsableArguments {
        @Option(help: "Display name, shown on the login button (\"Continue with <name>\").") var name: String?
        @Option(help: "Name in URLs and idp_hint: a-z, 0-9 and '-' (default: from the name).") var slug: String?
        @Option(help: "Our client id at the provider.") var clientId: String?
        @Option(parsing: .unconditional, help: "Our client secret at the provider (\"\" removes it).") var clientSecret: String?
        @Option(help: "OIDC discovery URL (kind oidc; optional override for google and microsoft).") var discoveryUrl: String?
        @Option(help: "Microsoft directory: common (default), organizations, consumers, a tenant id or a domain.") var microsoftTenant: String?
        @Option(help: "Authorization endpoint (kind oauth2; optional override for github).") var authorizationUrl: String?
        @Option(help: "Token endpoint (kind oauth2; optional override for github).") var tokenUrl: String?
        @Option(help: "User-info endpoint (kind oauth2; optional override for github, whose emails API is <userinfo-url>/emails).")
        var userinfoUrl: String?
        @Option(help: "Issuer that identities are keyed by (kinds oauth2 and github; default: the authorization URL's origin).")
        var issuer: String?
        @Option(help: "Scope to request (repeatable; replaces the kind's default).") var scope: [String] = []
        @Option(help: "Claim mapping (kind oauth2): user-info field of the subject, e.g. id or data.id.") var subjectClaim: String?
        @Option(help: "Claim mapping (kind oauth2): field of the email.") var emailClaim: String?
        @Option(help: "Claim mapping (kind oauth2): field saying whether the email is verified.") var emailVerifiedClaim: String?
        @Option(help: "Claim mapping (kind oauth2): field of the display name.") var nameClaim: String?
        @Option(help: ArgumentHelp("Whether the button is shown and sign-in works.", valueName: "true|false")) var enabled: Bool?
        @Option(help: ArgumentHelp("Whether an upstream amr showing MFA counts as MFA here.", valueName: "true|false"))
        var trustUpstreamMfa: Bool?
        @Option(help: ArgumentHelp("Whether a first sign-in may create a user.", valueName: "true|false")) var allowSignup: Bool?

        /// The request body of the options given (`kind` is set by `add`).
        var body: OpenProviderFields {
            var body = OpenProviderFields()
            (body.name, body.slug, body.clientId, body.clientSecret) = (name, slug, clientId, clientSecret)
            (body.discoveryUrl, body.microsoftTenant, body.issuer) = (discoveryUrl, microsoftTenant, issuer)
            (body.authorizationUrl, body.tokenUrl, body.userinfoUrl) = (authorizationUrl, tokenUrl, userinfoUrl)
            body.scopes = scope.isEmpty ? nil : scope
            let mapping = Components.Schemas.ClaimMapping(
                subject: subjectClaim, email: emailClaim, emailVerified: emailVerifiedClaim, name: nameClaim)
            body.claimMapping = mapping == Components.Schemas.ClaimMapping() ? nil : mapping
            (body.enabled, body.trustUpstreamMfa, body.allowSignup) = (enabled, trustUpstreamMfa, allowSignup)
            return body
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a provider to a tenant.",
            discussion: """
                Kinds: oidc (--discovery-url), oauth2 (--authorization-url, --token-url, --userinfo-url and a claim mapping), \
                github, google, microsoft (presets; --client-id and --client-secret are enough).
                Example: gatehouse provider add --tenant acme --kind github --name GitHub --client-id Iv1.abc --client-secret s3cret
                """)
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "oidc, oauth2, github, google or microsoft.") var kind: String
        @OptionGroup var fields: Fields

        func validate() throws {
            if fields.name == nil { throw ValidationError("--name is required") }
            if fields.clientId == nil { throw ValidationError("--client-id is required") }
        }

        func run() async throws {
            var body = fields.body
            body.kind = kind
            try await runAdmin {
                let provider = try await admin.api().answer { [body] in
                    try await $0.createProvider(path: .init(slug: tenant), body: .json(body)).created.body.json
                }
                ProviderCommand.print(provider, json: admin.json)
                if !admin.json, let uri = (provider as? [String: Any])?["redirect_uri"] as? String {
                    FileHandle.standardError.write(Data("Register this redirect URI at the provider: \(uri)\n".utf8))
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's providers.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"

        func run() async throws {
            let columns = ["slug", "kind", "name", "enabled", "client_id", "id"]
            try await runAdmin {
                let result = try await admin.api().answer { try await $0.listProviders(path: .init(slug: tenant)).ok.body.json }
                if admin.json { Output.json(result); return }
                let providers = (result as? [String: Any])?["providers"] as? [[String: Any]] ?? []
                Output.table(columns, providers.map { p in columns.map { Output.describe(p[$0] ?? "") } })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a provider (never its client secret).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Provider slug or id (idp_…).") var provider: String

        func run() async throws {
            try await runAdmin {
                let shown = try await admin.api().answer { try await $0.getProvider(path: .init(slug: tenant, provider: provider)).ok.body.json }
                ProviderCommand.print(shown, json: admin.json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a provider. Only the options given change; --scope replaces the list. The kind cannot change.",
            discussion: "Example: gatehouse provider update acme-sso --tenant acme --enabled false")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Provider slug or id (idp_…).") var provider: String
        @OptionGroup var fields: Fields

        func run() async throws {
            let body = fields.body
            if body.isEmpty { throw ValidationError("nothing to update: pass at least one option (see --help)") }
            try await runAdmin {
                let updated = try await admin.api().answer {
                    try await $0.updateProvider(path: .init(slug: tenant, provider: provider), body: .json(body)).ok.body.json
                }
                ProviderCommand.print(updated, json: admin.json)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a provider with its linked identities (users keep their other sign-in methods).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Provider slug or id (idp_…).") var provider: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("provider '\(provider)' of tenant '\(tenant)' with its linked identities", typing: provider)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.deleteProvider(path: .init(slug: tenant, provider: provider)).noContent }
                if !admin.json { Swift.print("removed provider \(provider)") }
            }
        }
    }
}
