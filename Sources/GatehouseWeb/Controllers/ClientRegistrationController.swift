import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Dynamic client registration (RFC 7591) at `{issuer}/register` and its management protocol
/// (RFC 7592) at `{issuer}/register/{client_id}`, as the tenant's `dynamic_client_registration`
/// allows: `off` (404, not in discovery), `token` (an initial access token is required, §3) or
/// `open` (anyone, 10 registrations a minute per address).
///
/// The metadata (§2) becomes a client through the admin API's own client rules
/// (`AdminController.applyClientFields`): the same redirect URI, grant type, key and algorithm
/// checks. A registered client is never first-party (consent applies) and never carries admin
/// scopes. Members Gatehouse cannot honour are refused (`invalid_client_metadata`) rather than
/// accepted and ignored; unknown members are ignored (§2).
struct ClientRegistrationController {
    let services: Services

    /// Informational members (RFC 7591 §2) kept with the registration and returned as sent.
    static let informational: Set<String> = ["client_uri", "logo_uri", "tos_uri", "policy_uri", "software_id", "software_version", "contacts"]
    /// Members this server understands and does not offer: refused when sent.
    static let unsupported: Set<String> = [
        "software_statement", "request_uris", "sector_identifier_uri", "id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
        "userinfo_signed_response_alg", "userinfo_encrypted_response_alg", "userinfo_encrypted_response_enc", "request_object_signing_alg",
        "request_object_encryption_alg", "request_object_encryption_enc", "token_endpoint_auth_signing_alg", "default_max_age",
        "require_auth_time", "default_acr_values", "initiate_login_uri", "frontchannel_logout_uri", "frontchannel_logout_session_required",
        "tls_client_auth_subject_dn", "tls_client_certificate_bound_access_tokens", "require_signed_request_object",
    ]
    /// The token endpoint authentication methods a registration may ask for (§2).
    static let methods: Set<String> = ["none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]
    /// Registrations per address and minute in `open` mode.
    static let openLimiter = ActionRateLimiter(burst: 10, interval: 6)

    /// RFC 7591 §3.2.2 / RFC 7592 §2: `invalid_client_metadata`, `invalid_redirect_uri`, 400.
    static func refused(_ code: String, _ description: String) -> OAuthError {
        OAuthError(OAuthError.Code(rawValue: code), description)
    }

    // MARK: Registration (RFC 7591 §3)

    func register(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let mode = tenant.tenant.settings.dynamicClientRegistration
        guard mode != "off" else { return Response(status: .notFound) }
        let now = services.clock.now
        if mode == "token" {
            // §3: the initial access token, a bearer token (RFC 6750 §2.1).
            guard let token = Self.bearer(request), try await context.database.useRegistrationToken(hash: SecretHash.of(token), at: now) else {
                throw OAuthError(.invalidToken, "a valid initial access token is required (RFC 7591 §3)")
            }
        } else if let wait = Self.openLimiter.take(tenant: tenant.id, action: "register", ip: context.remoteAddress, now: now) {
            var response = OAuthError(.temporarilyUnavailable, "too many registrations from this address").response(issuer: context.oauthIssuer)
            response.status = .tooManyRequests
            response.headers[.retryAfter] = String(wait)
            return response
        }
        let metadata = try await Self.metadata(request, limit: services.configuration.maxBodyBytes)
        let admin = AdminController(services: services)
        var client = admin.newClient(in: tenant)
        let informational = try apply(metadata, to: &client, tenant: tenant, admin: admin)
        let secret = try await services.audited(
            [
                AuditDraft(
                    type: "client.registered", actor: AuditActor(type: "registration"), targetType: "client", targetID: client.clientID,
                    ip: context.remoteAddress, data: .object(["client_id": .string(client.clientID), "name": .string(client.name)]))
            ], in: context.database
        ) { try await admin.registerNewClient(&client, in: tenant) }
        let accessToken = RandomText.bearerSecret()
        let registration = ClientRegistration(
            clientID: client.clientID, accessTokenHash: SecretHash.of(accessToken), metadata: informational, createdAt: now)
        try await context.database.saveClientRegistration(registration)
        context.logger.info("client registered", metadata: ["client_id": "\(client.clientID)", "mode": "\(mode)"])
        return Responses.json(
            Self.view(client, registration, secret: secret, accessToken: accessToken, issuer: services.issuer(of: tenant)), status: .created,
            noStore: true, sorted: true)
    }

    // MARK: Management (RFC 7592 §2)

    /// The client of the path and its registration, when the registration access token matches.
    /// - Throws: `invalid_token` (401) for a missing or wrong token, an unknown client, or a client
    ///   an administrator made (RFC 7592 §2.1–2.3: indistinguishable, so that nothing is revealed).
    func registered(_ request: Request, _ context: TenantRequestContext) async throws -> (Client, ClientRegistration) {
        guard context.tenant.tenant.settings.dynamicClientRegistration != "off" else { throw HTTPError(.notFound) }
        let refused = OAuthError(.invalidToken, "the registration access token is not valid for this client")
        guard let token = Self.bearer(request), let clientID = context.parameters.get("client"),
            let registration = try await context.database.clientRegistration(clientID: clientID),
            ConstantTime.equals(SecretHash.of(token), registration.accessTokenHash),
            let client = try await context.database.client(clientID: clientID)
        else { throw refused }
        return (client, registration)
    }

    func read(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (client, registration) = try await registered(request, context)
        return Responses.json(
            Self.view(client, registration, secret: nil, accessToken: nil, issuer: services.issuer(of: context.tenant)), noStore: true, sorted: true)
    }

    /// RFC 7592 §2.2: the body replaces the client's metadata (members left out return to their
    /// defaults); `client_id` must be the client's, a `client_secret`, when sent, its own.
    func update(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (original, registration) = try await registered(request, context)
        let metadata = try await Self.metadata(request, limit: services.configuration.maxBodyBytes)
        guard metadata["client_id"]?.string == original.clientID else {
            throw Self.refused("invalid_client_metadata", "client_id must be this client's (RFC 7592 §2.2)")
        }
        if let sent = metadata["client_secret"] {
            guard let secret = sent.string, original.secretMatches(secret, at: services.clock.now) else {
                throw Self.refused("invalid_client_metadata", "client_secret is not this client's (RFC 7592 §2.2)")
            }
        }
        let admin = AdminController(services: services)
        var client = admin.newClient(in: context.tenant)
        client.id = original.id
        client.clientID = original.clientID
        client.createdAt = original.createdAt
        let informational = try apply(metadata, to: &client, tenant: context.tenant, admin: admin)
        guard client.type == original.type else {
            throw Self.refused("invalid_client_metadata", "token_endpoint_auth_method cannot change between none and a confidential method")
        }
        client.secretHash = original.secretHash
        client.previousSecretHash = original.previousSecretHash
        client.previousSecretExpiresAt = original.previousSecretExpiresAt
        client.sealedSecret = original.sealedSecret
        client.sealedPreviousSecret = original.sealedPreviousSecret
        if client.tokenEndpointAuthMethod == .clientSecretJWT, client.sealedSecret == nil {
            throw Self.refused("invalid_client_metadata", "switching to client_secret_jwt needs a new registration")
        }
        try await services.audited(
            [
                AuditDraft(
                    type: "client.updated", actor: .client(client.clientID), targetType: "client", targetID: client.clientID,
                    ip: context.remoteAddress, data: .object(["client_id": .string(client.clientID), "name": .string(client.name)]))
            ], in: context.database
        ) {
            try await admin.markLogoutTenant(for: client, in: context.tenant)
            try await context.database.updateClient(client)
        }
        services.forgetClientKeys(of: client.clientID, in: context.tenant)
        var updated = registration
        updated.metadata = informational
        try await context.database.saveClientRegistration(updated)
        return Responses.json(
            Self.view(client, updated, secret: nil, accessToken: nil, issuer: services.issuer(of: context.tenant)), noStore: true, sorted: true)
    }

    /// RFC 7592 §2.3: 204; the client's grants end with it.
    func delete(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (client, _) = try await registered(request, context)
        try await services.audited(
            [
                AuditDraft(
                    type: "client.deleted", actor: .client(client.clientID), targetType: "client", targetID: client.clientID,
                    ip: context.remoteAddress)
            ], in: context.database
        ) { try await services.store.deleteClient(clientID: client.clientID, in: context.tenant) }
        services.forgetClientKeys(of: client.clientID, in: context.tenant)
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    // MARK: Metadata

    /// The JSON object of the request body. - Throws: `invalid_client_metadata`.
    static func metadata(_ request: Request, limit: Int) async throws -> [String: JSONValue] {
        let body = try await request.body.collect(upTo: limit)
        guard let value = JSONValue.parse(Array(buffer: body)), case .object(let object) = value else {
            throw refused("invalid_client_metadata", "the body must be a JSON object of client metadata (RFC 7591 §3.1)")
        }
        return object
    }

    /// Applies RFC 7591 metadata to `client` through the admin API's client rules.
    /// - Returns: the informational members to keep.
    /// - Throws: `invalid_redirect_uri` or `invalid_client_metadata` naming the member.
    func apply(_ metadata: [String: JSONValue], to client: inout Client, tenant: ResolvedTenant, admin: AdminController) throws
        -> [String: JSONValue]
    {
        for name in metadata.keys.sorted() where Self.unsupported.contains(name) {
            if name == "software_statement" { throw Self.refused("invalid_software_statement", "software statements are not accepted") }
            throw Self.refused("invalid_client_metadata", "\(name) is not supported by this server")
        }
        if let subjectType = metadata["subject_type"], subjectType.string != "public" {
            throw Self.refused("invalid_client_metadata", "subject_type must be public")
        }
        var fields: [String: JSONValue] = [:]
        let method = metadata["token_endpoint_auth_method"]?.string ?? (metadata["token_endpoint_auth_method"] == nil ? "client_secret_basic" : "")
        guard Self.methods.contains(method) else {
            throw Self.refused(
                "invalid_client_metadata", "token_endpoint_auth_method must be one of \(Self.methods.sorted().joined(separator: ", "))")
        }
        fields["type"] = .string(method == "none" ? "public" : "confidential")
        fields["token_endpoint_auth_method"] = .string(method)
        // §2.1: grant_types (default authorization_code) and response_types (default code) agree.
        guard let grants = (metadata["grant_types"] ?? .array([.string("authorization_code")])).strings,
            let responses = (metadata["response_types"] ?? .array([.string("code")])).strings
        else { throw Self.refused("invalid_client_metadata", "grant_types and response_types must be arrays of strings") }
        guard responses.allSatisfy({ $0 == "code" }) else {
            throw Self.refused("invalid_client_metadata", "response_types may only hold code")
        }
        guard grants.contains("authorization_code") == responses.contains("code") else {
            throw Self.refused("invalid_client_metadata", "response_types code goes with grant_types authorization_code, and only with it (RFC 7591 §2.1)")
        }
        fields["grant_types"] = .array(grants.map { .string($0) })
        fields["name"] = .string(metadata["client_name"]?.string ?? "Registered client")
        if let scope = metadata["scope"] {
            guard let text = scope.string, let scopes = try? ScopeSet(parsing: text) else {
                throw Self.refused("invalid_client_metadata", "scope must be a space-separated list of scope values")
            }
            if !scopes.intersection(AdminScope.all).isEmpty {
                throw Self.refused("invalid_client_metadata", "admin scopes cannot be registered")
            }
            fields["allowed_scopes"] = .string(text)
        }
        for (member, field) in [
            ("redirect_uris", "redirect_uris"), ("post_logout_redirect_uris", "post_logout_redirect_uris"), ("jwks", "jwks"),
            ("jwks_uri", "jwks_uri"), ("id_token_signed_response_alg", "id_token_signed_response_alg"),
            ("backchannel_logout_uri", "backchannel_logout_uri"), ("backchannel_logout_session_required", "backchannel_logout_session_required"),
            ("require_pushed_authorization_requests", "require_pushed_authorization_requests"),
        ] {
            if let value = metadata[member] { fields[field] = value }
        }
        var informational: [String: JSONValue] = [:]
        for name in Self.informational {
            guard let value = metadata[name] else { continue }
            if name == "contacts" {
                guard let contacts = value.strings, case .array = value, contacts.count <= 20, contacts.allSatisfy({ $0.utf8.count <= 320 }) else {
                    throw Self.refused("invalid_client_metadata", "contacts must be an array of at most 20 addresses")
                }
            } else if name.hasSuffix("_uri") {
                guard let text = value.string, text.utf8.count <= 2048, let url = URLComponents(string: text),
                    url.scheme == "https" || url.scheme == "http", url.host?.isEmpty == false
                else { throw Self.refused("invalid_client_metadata", "\(name) must be an absolute http(s) URL") }
            } else {
                guard let text = value.string, text.utf8.count <= 200 else {
                    throw Self.refused("invalid_client_metadata", "\(name) must be a string of at most 200 bytes")
                }
            }
            informational[name] = value
        }
        var input = JSONInput(object: fields)
        admin.applyClientFields(&input, to: &client, tenant: tenant, creating: true)
        client.firstParty = false
        if let problem = input.errors.first {
            let member = problem.field.hasPrefix("name") ? "client_name" : problem.field.hasPrefix("allowed_scopes") ? "scope" : problem.field
            throw Self.refused(
                member.hasPrefix("redirect_uris") ? "invalid_redirect_uri" : "invalid_client_metadata", "\(member): \(problem.message)")
        }
        return informational
    }

    /// The response of RFC 7591 §3.2.1 and RFC 7592 §3: the client's registered metadata, its
    /// secret and registration access token when just made.
    static func view(_ client: Client, _ registration: ClientRegistration, secret: String?, accessToken: String?, issuer: String)
        -> [String: JSONValue]
    {
        var view = registration.metadata
        view["client_id"] = .string(client.clientID)
        view["client_id_issued_at"] = .number(client.createdAt.timeIntervalSince1970.rounded(.down))
        view["client_name"] = .string(client.name)
        view["token_endpoint_auth_method"] = .string(client.tokenEndpointAuthMethod?.rawValue ?? (client.type == .public ? "none" : "client_secret_basic"))
        view["grant_types"] = .array(client.grantTypes.map(\.rawValue).sorted().map { .string($0) })
        view["response_types"] = .array(client.grantTypes.contains(.authorizationCode) ? [.string("code")] : [])
        view["redirect_uris"] = .array(client.redirectURIs.map { .string($0) })
        if !client.postLogoutRedirectURIs.isEmpty { view["post_logout_redirect_uris"] = .array(client.postLogoutRedirectURIs.map { .string($0) }) }
        if let scopes = client.allowedScopes { view["scope"] = .string(scopes.description) }
        if let uri = client.jwksURI { view["jwks_uri"] = .string(uri) }
        if let keys = client.jwks, let data = try? JSONEncoder().encode(["keys": keys]), let json = JSONValue.parse(Array(data)) { view["jwks"] = json }
        view["id_token_signed_response_alg"] = .string(client.idTokenSigningAlgorithm.rawValue)
        if let uri = client.backchannelLogoutURI { view["backchannel_logout_uri"] = .string(uri) }
        if client.requirePushedAuthorizationRequests { view["require_pushed_authorization_requests"] = .bool(true) }
        if client.type == .confidential {
            // §3.2.1: 0 = the secret does not expire.
            view["client_secret_expires_at"] = .number(0)
        }
        if let secret { view["client_secret"] = .string(secret) }
        if let accessToken { view["registration_access_token"] = .string(accessToken) }
        view["registration_client_uri"] = .string(issuer + ProviderMetadata.Path.registration + "/" + client.clientID)
        return view
    }

    /// The bearer token of `Authorization: Bearer …` (RFC 6750 §2.1), or nil.
    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.utf8.count > 512 ? nil : token
    }
}
