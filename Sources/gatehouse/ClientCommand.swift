import ArgumentParser
import Foundation
import GatehouseAdminAPI
import OpenAPIRuntime

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Create, list, show, update and delete OAuth clients of a tenant; rotate secret keys.",
        subcommands: [Create.self, List.self, Show.self, Update.self, RotateSecret.self, Delete.self, RegistrationTokenCommand.self])

    static let keys = [
        "client_id", "client_secret", "previous_secret_expires_at", "name", "type", "redirect_uris",
        "post_logout_redirect_uris", "grant_types", "first_party", "organization_required", "allowed_scopes", "token_endpoint_auth_method",
        "jwks_uri", "jwks", "id_token_signed_response_alg", "access_token_signing_alg", "custom_claims", "backchannel_logout_uri",
        "backchannel_logout_session_required", "dpop_bound_access_tokens", "created_at",
    ]

    static func print(_ client: Any?, json: Bool) {
        if json { Output.json(client) } else if let client = client as? [String: Any] { Output.record(client, keys: keys) }
    }

    /// Options for the token signing algorithms and scopes of a client (create and update).
    struct TokenOptions: ParsableArguments {
        @Option(
            help:
                "Space-separated scopes the client may request, e.g. \"openid profile email offline_access\" (default: the standard OIDC scopes; admin scopes such as clients:read enable admin API access through client credentials)."
        )
        var allowedScopes: String?
        @Option(help: "JWS algorithm of ID tokens (id_token_signed_response_alg): one of the tenant's signing algorithms (EdDSA, ES256, RS256).")
        var idTokenAlg: String?
        @Option(help: "JWS algorithm of access tokens (access_token_signing_alg): one of the tenant's signing algorithms (EdDSA, ES256, RS256).")
        var accessTokenAlg: String?
        @Option(
            help: ArgumentHelp(
                "Whether every token request of the client must carry a DPoP proof (dpop_bound_access_tokens, RFC 9449 §5.2).",
                valueName: "true|false"))
        var dpopBoundAccessTokens: Bool?

        func apply(to body: inout OpenClientFields) {
            body.dpopBoundAccessTokens = dpopBoundAccessTokens ?? body.dpopBoundAccessTokens
            body.allowedScopes = allowedScopes ?? body.allowedScopes
            body.idTokenSignedResponseAlg = idTokenAlg ?? body.idTokenSignedResponseAlg
            body.accessTokenSigningAlg = accessTokenAlg ?? body.accessTokenSigningAlg
        }
    }

    /// Options for how a client authenticates at the token, introspection and revocation endpoints (create and update).
    struct AuthenticationOptions: ParsableArguments {
        @Option(
            help:
                "token_endpoint_auth_method: client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt (confidential clients) or none (public clients); the client may then authenticate with that method only."
        )
        var tokenEndpointAuthMethod: String?
        @Option(help: ArgumentHelp("Public keys of a private_key_jwt client: a JWK Set as JSON, or @FILE to read it from a file.", valueName: "json|@file"))
        var jwks: String?
        @Option(help: "URL (https) where a private_key_jwt client publishes its JWK Set.") var jwksUri: String?

        /// The `--jwks` JWK Set. - Throws: `ValidationError` when it is not a JSON object or the file cannot be read.
        func keySet() throws -> OpenAPIObjectContainer? {
            guard var text = jwks else { return nil }
            if text.hasPrefix("@") {
                guard let data = FileManager.default.contents(atPath: String(text.dropFirst())) else {
                    throw ValidationError("--jwks: cannot read \(text.dropFirst())")
                }
                text = String(decoding: data, as: UTF8.self)
            }
            return try OrgCommand.metadata(text, option: "jwks")
        }

        func apply(to body: inout OpenClientFields) throws {
            body.tokenEndpointAuthMethod = tokenEndpointAuthMethod ?? body.tokenEndpointAuthMethod
            body.jwks = try keySet() ?? body.jwks
            body.jwksUri = jwksUri ?? body.jwksUri
        }
    }

    /// Options for OpenID Connect Back-Channel Logout 1.0 §2.2 (create and update).
    struct LogoutOptions: ParsableArguments {
        @Option(help: "URL (https) where logout tokens are POSTed when a session the client obtained tokens through ends (backchannel_logout_uri).")
        var backchannelLogoutUri: String?
        @Option(help: ArgumentHelp("Whether the client needs sid in logout tokens (true or false; sid is always sent).", valueName: "true|false"))
        var backchannelLogoutSessionRequired: Bool?

        func apply(to body: inout OpenClientFields) {
            body.backchannelLogoutUri = backchannelLogoutUri ?? body.backchannelLogoutUri
            body.backchannelLogoutSessionRequired = backchannelLogoutSessionRequired ?? body.backchannelLogoutSessionRequired
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a client. The secret key of a confidential client is shown once.",
            discussion: "Example: gatehouse client create --tenant acme --name Web --type public --redirect-uri https://app.acme.com/callback")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Display name.") var name: String
        @Option(help: "public (browser, mobile; no secret) or confidential (backend; gets a secret key sk_…).") var type: String = "confidential"
        @Option(help: "Redirect URI (repeatable); at least one for the authorization_code grant.") var redirectUri: [String] = []
        @Option(help: "Post-logout redirect URI (repeatable).") var postLogoutRedirectUri: [String] = []
        @Option(help: "Grant type (repeatable): authorization_code, refresh_token, client_credentials (default: authorization_code and refresh_token).")
        var grantType: [String] = []
        @Flag(help: "First-party client: no consent page; may use the headless auth API.") var firstParty = false
        @Flag(help: "Every authorization acts within an organization: a user without one is refused.") var organizationRequired = false
        @Option(
            help: ArgumentHelp(
                "Custom claims of this client's tokens, replacing the tenant's of the same name: a JSON object (docs/contract.md A9).", valueName: "json"))
        var customClaims: String?
        @OptionGroup var tokens: TokenOptions
        @OptionGroup var authentication: AuthenticationOptions
        @OptionGroup var logout: LogoutOptions

        func validate() throws {
            _ = try OrgCommand.metadata(customClaims, option: "custom-claims")
            _ = try authentication.keySet()
        }

        func run() async throws {
            var body = OpenClientFields()
            body.customClaims = try OrgCommand.metadata(customClaims, option: "custom-claims")
            body.name = name
            body.type = type
            body.redirectUris = redirectUri
            body.postLogoutRedirectUris = postLogoutRedirectUri
            body.firstParty = firstParty
            body.organizationRequired = organizationRequired ? true : nil
            body.grantTypes = grantType.isEmpty ? nil : grantType
            tokens.apply(to: &body)
            try authentication.apply(to: &body)
            logout.apply(to: &body)
            try await runAdmin {
                let client = try await admin.api().answer { [body] in
                    try await $0.createClient(path: .init(slug: tenant), body: .json(body)).created.body.json
                }
                ClientCommand.print(client, json: admin.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @OptionGroup var paging: Paging

        func run() async throws {
            let columns = ["client_id", "name", "type", "grant_types", "first_party"]
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "clients") { client, limit, after in
                    try await client.listClients(path: .init(slug: tenant), query: .init(limit: limit, after: after)).ok.body.json
                }
                Paging.print(list, key: "clients", columns: columns, json: admin.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a client (never its secret key).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "client_id (pk_…).") var clientID: String

        func run() async throws {
            try await runAdmin {
                let client = try await admin.api().answer {
                    try await $0.getClient(path: .init(slug: tenant, clientId: clientID)).ok.body.json
                }
                ClientCommand.print(client, json: admin.json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a client. Only the options given change; list options replace the whole list.",
            discussion: """
                The type (public/confidential) cannot change. Algorithms must be among the tenant's signing algorithms \
                (gatehouse tenant update <slug> --signing-algorithms EdDSA,RS256).
                Example: gatehouse client update pk_live_… --tenant acme --redirect-uri https://app.acme.com/cb --id-token-alg RS256
                """)
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "client_id (pk_…).") var clientID: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "Redirect URI (repeatable; replaces the list).") var redirectUri: [String] = []
        @Option(help: "Post-logout redirect URI (repeatable; replaces the list).") var postLogoutRedirectUri: [String] = []
        @Option(help: "Grant type (repeatable; replaces the list): authorization_code, refresh_token, client_credentials.")
        var grantType: [String] = []
        @Option(help: ArgumentHelp("First-party client (true or false): no consent page; may use the headless auth API.", valueName: "true|false"))
        var firstParty: Bool?
        @Option(help: ArgumentHelp("Whether every authorization acts within an organization (true or false).", valueName: "true|false"))
        var organizationRequired: Bool?
        @Option(help: ArgumentHelp("Custom claims of this client's tokens (a JSON object replacing the client's; {} removes them).", valueName: "json"))
        var customClaims: String?
        @OptionGroup var tokens: TokenOptions
        @OptionGroup var authentication: AuthenticationOptions
        @OptionGroup var logout: LogoutOptions

        /// The JSON merge patch of the options given (RFC 7396).
        var body: OpenClientFields {
            var body = OpenClientFields()
            body.customClaims = try? OrgCommand.metadata(customClaims, option: "custom-claims")
            body.name = name
            body.redirectUris = redirectUri.isEmpty ? nil : redirectUri
            body.postLogoutRedirectUris = postLogoutRedirectUri.isEmpty ? nil : postLogoutRedirectUri
            body.grantTypes = grantType.isEmpty ? nil : grantType
            body.firstParty = firstParty
            body.organizationRequired = organizationRequired
            tokens.apply(to: &body)
            try? authentication.apply(to: &body)
            logout.apply(to: &body)
            return body
        }

        func validate() throws {
            _ = try OrgCommand.metadata(customClaims, option: "custom-claims")
            _ = try authentication.keySet()
            if body.isEmpty { throw ValidationError("nothing to update: pass at least one option (see --help)") }
        }

        func run() async throws {
            let body = body
            try await runAdmin {
                let client = try await admin.api().answer {
                    try await $0.updateClient(path: .init(slug: tenant, clientId: clientID), body: .json(body)).ok.body.json
                }
                ClientCommand.print(client, json: admin.json)
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Issue a new secret key for a confidential client; the new key is shown once.",
            discussion: """
                Without --overlap the old secret key stops working at once. With --overlap (at most 30d) it keeps \
                working for that long, so that deployments can switch over.
                Example: gatehouse client rotate-secret pk_live_… --tenant acme --overlap 1h
                """)
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "client_id (pk_…).") var clientID: String
        @Option(help: ArgumentHelp("How long the old secret key stays valid, e.g. 1h (default 0: it stops at once).", valueName: "duration"))
        var overlap: Duration?

        func run() async throws {
            let body = overlap.map { Operations.RotateClientSecret.Input.Body.json(.init(overlapSeconds: $0.seconds)) }
            try await runAdmin {
                let client = try await admin.api().answer {
                    try await $0.rotateClientSecret(path: .init(slug: tenant, clientId: clientID), body: body).ok.body.json
                }
                ClientCommand.print(client, json: admin.json)
                if !admin.json { FileHandle.standardError.write(Data("Store the new client_secret now: it is not shown again.\n".utf8)) }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a client and revoke its grants.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "client_id (pk_…).") var clientID: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            try confirmation.require("client \(clientID) of tenant '\(tenant)' and revokes its grants", typing: clientID)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.deleteClient(path: .init(slug: tenant, clientId: clientID)).noContent }
                if !admin.json { Swift.print("deleted client \(clientID)") }
            }
        }
    }
}
