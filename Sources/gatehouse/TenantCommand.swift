import ArgumentParser
import Foundation
import GatehouseAdminAPI

/// Durations: `90s`, `15m`, `8h`, `30d`, or plain seconds.
struct Duration: ExpressibleByArgument {
    let seconds: Int

    init?(argument: String) {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        if let unit = text.last, let factor = units[unit], let value = Int(text.dropLast()), value >= 0 {
            let (product, overflow) = value.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            seconds = product
        } else if let value = Int(text), value >= 0 {
            seconds = value
        } else {
            return nil
        }
    }
}

/// A comma-separated list option value: `"a, b,c"` → `["a", "b", "c"]`; an empty string is an empty list.
func commaSeparated(_ value: String) -> [String] {
    value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Create, list, show, update, delete, export, import and clone tenants.",
        discussion: "Listing, creating and deleting tenants needs the instance admin token.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self, Export.self, Import.self, Clone.self])

    static let columns = ["slug", "name", "environment", "issuer"]

    static func print(_ tenant: Any?, json: Bool) {
        if json { Output.json(tenant); return }
        guard var object = tenant as? [String: Any] else { return }
        let settings = object.removeValue(forKey: "settings") as? [String: Any]
        Output.record(object, keys: ["id", "slug", "name", "environment", "issuer", "created_at"])
        if let settings { Output.record(settings, keys: settings.keys.sorted()) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant.",
            discussion: "Example: gatehouse tenant create acme --name \"Acme Inc.\" --environment live")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Slug: 2–63 characters of a-z, 0-9 and '-'; the last segment of the issuer URL.") var slug: String
        @Option(help: "Display name (default: the slug).") var name: String?
        @Option(help: "live, test or dev (part of every client key: pk_<environment>_…).") var environment: String = "dev"

        func run() async throws {
            try await runAdmin {
                let body = OpenTenantCreate(slug: slug, name: name ?? slug, environment: environment)
                let tenant = try await admin.api().answer { try await $0.createTenant(body: .json(body)).created.body.json }
                TenantCommand.print(tenant, json: admin.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "tenants") { client, limit, after in
                    try await client.listTenants(query: .init(limit: limit, after: after)).ok.body.json
                }
                Paging.print(list, key: "tenants", columns: TenantCommand.columns, json: admin.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tenant and its settings (TTLs in seconds).")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Tenant slug.") var slug: String

        func run() async throws {
            try await runAdmin {
                TenantCommand.print(try await admin.api().answer { try await $0.getTenant(path: .init(slug: slug)).ok.body.json }, json: admin.json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a tenant's name and settings.",
            discussion: """
                Only the options given change. Durations accept 90s, 15m, 8h, 30d or plain seconds.
                Example: gatehouse tenant update acme --mfa-policy required --session-duration 8h --allowed-origins "https://app.acme.com"
                """)
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Tenant slug.") var slug: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "MFA policy: none, optional or required.") var mfaPolicy: String?
        @Option(help: "Comma-separated second factors users may enrol: totp, email, webauthn (passkeys, also a way to sign in alone).")
        var mfaFactors: String?
        @Option(
            help: """
                Attestation a new passkey must bring: none (any authenticator; also clears the AAGUIDs and roots) or packed \
                (only models of --passkey-aaguids attested by a certificate of a --passkey-attestation-root).
                """)
        var passkeyAttestation: String?
        @Option(help: "Comma-separated AAGUIDs (lowercase UUIDs) of the authenticator models accepted under packed attestation.")
        var passkeyAaguids: String?
        @Option(
            name: .customLong("passkey-attestation-root"),
            help: ArgumentHelp("A PEM file of a root certificate trusted for packed attestation; repeat for several.", valueName: "file"))
        var passkeyAttestationRootFiles: [String] = []
        @Option(help: ArgumentHelp("Browser session and refresh token lifetime (sets session_ttl and refresh_token_ttl), e.g. 8h.", valueName: "duration"))
        var sessionDuration: Duration?
        @Option(help: ArgumentHelp("Browser session lifetime (session_ttl), e.g. 14d.", valueName: "duration")) var sessionTtl: Duration?
        @Option(help: ArgumentHelp("Access token lifetime (access_token_ttl), e.g. 15m.", valueName: "duration"))
        var accessTokenTtl: Duration?
        @Option(help: ArgumentHelp("ID token lifetime (id_token_ttl), e.g. 1h.", valueName: "duration")) var idTokenTtl: Duration?
        @Option(help: ArgumentHelp("Refresh token lifetime (refresh_token_ttl), e.g. 30d.", valueName: "duration"))
        var refreshTokenTtl: Duration?
        @Option(help: ArgumentHelp("Authorization code lifetime (authorization_code_ttl), e.g. 60s.", valueName: "duration"))
        var authorizationCodeTtl: Duration?
        @Option(help: ArgumentHelp("Device code lifetime (device_code_ttl, RFC 8628), e.g. 10m.", valueName: "duration"))
        var deviceCodeTtl: Duration?
        @Option(
            help: ArgumentHelp(
                "Whether DPoP proofs must carry the server's nonce (dpop_nonce_required, RFC 9449 §8).", valueName: "true|false"))
        var dpopNonceRequired: Bool?
        @Option(help: "Dynamic client registration (RFC 7591) at {issuer}/register: off, token (an initial access token is required) or open.")
        var dynamicClientRegistration: String?
        @Option(help: "Comma-separated resource indicators (RFC 8707): absolute URIs of the tenant's APIs (an empty string clears).")
        var resources: String?
        @Option(help: "Comma-separated CORS origins, e.g. \"https://app.acme.com,https://admin.acme.com\" (an empty string clears).")
        var allowedOrigins: String?
        @Option(help: "Comma-separated JWS algorithms the tenant keeps keys for: EdDSA, ES256, RS256 (e.g. EdDSA,ES256,RS256).")
        var signingAlgorithms: String?
        @Option(
            help: ArgumentHelp(
                "Custom claims of the tenant's tokens: a JSON object replacing them whole (docs/contract.md A9), e.g. '{\"plan\": \"{{user.public_metadata.plan}}\"}'.",
                valueName: "json"))
        var customClaims: String?

        func validate() throws {
            _ = try OrgCommand.metadata(customClaims, option: "custom-claims")
            for file in passkeyAttestationRootFiles where (try? String(contentsOfFile: file, encoding: .utf8)) == nil {
                throw ValidationError("--passkey-attestation-root: cannot read \(file)")
            }
            if let signingAlgorithms, commaSeparated(signingAlgorithms).isEmpty {
                throw ValidationError("--signing-algorithms needs at least one of EdDSA, ES256, RS256")
            }
            if body.name == nil && body.settings == nil {
                throw ValidationError("nothing to update: pass at least one option (see --help)")
            }
        }

        /// The JSON merge patch of the options given (RFC 7396); durations in seconds.
        var body: Components.Schemas.TenantUpdate {
            var settings = OpenTenantSettingsInput()
            settings.mfaPolicy = mfaPolicy
            settings.mfaFactors = mfaFactors.map(commaSeparated)
            settings.passkeyAttestation = passkeyAttestation
            if passkeyAttestation == "none" {
                // The lists are read only under packed; leaving them would be refused.
                settings.passkeyAaguids = []
                settings.passkeyAttestationRoots = []
            }
            if let passkeyAaguids { settings.passkeyAaguids = commaSeparated(passkeyAaguids) }
            if !passkeyAttestationRootFiles.isEmpty {
                settings.passkeyAttestationRoots = passkeyAttestationRootFiles.map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }
            }
            settings.sessionTtl = (sessionTtl ?? sessionDuration)?.seconds
            settings.refreshTokenTtl = (refreshTokenTtl ?? sessionDuration)?.seconds
            settings.accessTokenTtl = accessTokenTtl?.seconds
            settings.idTokenTtl = idTokenTtl?.seconds
            settings.authorizationCodeTtl = authorizationCodeTtl?.seconds
            settings.deviceCodeTtl = deviceCodeTtl?.seconds
            settings.dpopNonceRequired = dpopNonceRequired
            settings.dynamicClientRegistration = dynamicClientRegistration
            settings.resources = resources.map(commaSeparated)
            settings.allowedOrigins = allowedOrigins.map(commaSeparated)
            settings.signingAlgorithms = signingAlgorithms.map(commaSeparated)
            settings.customClaims = try? OrgCommand.metadata(customClaims, option: "custom-claims")
            return .init(name: name, settings: settings.isEmpty ? nil : settings)
        }

        func run() async throws {
            let body = body
            try await runAdmin {
                let tenant = try await admin.api().answer { try await $0.updateTenant(path: .init(slug: slug), body: .json(body)).ok.body.json }
                TenantCommand.print(tenant, json: admin.json)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a tenant with all its data (clients, users, sessions, keys).")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Tenant slug.") var slug: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("tenant '\(slug)' with all its data", typing: slug)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.deleteTenant(path: .init(slug: slug)).noContent }
                if !admin.json { Swift.print("deleted tenant \(slug)") }
            }
        }
    }
}
