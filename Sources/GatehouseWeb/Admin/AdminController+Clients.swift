import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Clients of a tenant: list, create, show, update, delete and secret rotation; their keys live in the instance key index.
extension AdminController {
    // MARK: Clients

    /// Clients by client_id, a page at a time (`limit`, `after`).
    func listClients(_ request: Request, _ context: TenantContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let db = context.database
        return Responses.json(
            page.page("clients", all: try await db.listClients().map { ClientView($0) }, cursor: \.clientID),
            noStore: true, sorted: true)
    }

    /// Reads the client fields of a create or update body into `client`, collecting every problem.
    /// - Parameter creating: on create, `name` and `type` are required and `type` may be set.
    func applyClientFields(_ input: inout JSONInput, to client: inout Client, tenant: ResolvedTenant, creating: Bool) {
        input.rejectUnknown(
            Self.clientAuthenticationFields.union(Self.backchannelLogoutFields).union([
                "name", "type", "redirect_uris", "post_logout_redirect_uris", "grant_types", "first_party", "allowed_scopes",
                "id_token_signed_response_alg", "access_token_signing_alg", "organization_required", "custom_claims",
                "require_pushed_authorization_requests", "dpop_bound_access_tokens",
            ]))
        if let name = input.string("name", required: creating, maxLength: 200) {
            if name.trimmingCharacters(in: .whitespaces).isEmpty { input.fail("name", "must not be empty") } else { client.name = name }
        }
        if creating, let raw = input.string("type", required: true) {
            if let type = ClientType(rawValue: raw) { client.type = type } else { input.fail("type", "must be public or confidential") }
        } else if !creating, input.has("type") {
            input.fail("type", "cannot be changed; create a new client")
        }
        let allowHTTP = tenant.tenant.environment == .dev
        for key in ["redirect_uris", "post_logout_redirect_uris"] {
            guard let uris = input.strings(key) else { continue }
            for (i, uri) in uris.enumerated() {
                for problem in RedirectURI.registrationProblems(uri, allowInsecureHTTP: allowHTTP) { input.fail("\(key)[\(i)]", problem) }
            }
            if key == "redirect_uris" { client.redirectURIs = uris } else { client.postLogoutRedirectURIs = uris }
        }
        if let raw = input.strings("grant_types") {
            var grantTypes: Set<GrantType> = []
            for value in raw {
                if let g = GrantType(rawValue: value) { grantTypes.insert(g) } else { input.fail("grant_types", "'\(value)' is not supported") }
            }
            client.grantTypes = grantTypes
        }
        if input.isNull("allowed_scopes") {
            // JSON merge patch (RFC 7396): no restriction any more.
            client.allowedScopes = nil
        } else if let raw = input.string("allowed_scopes", maxLength: 2000) {
            do { client.allowedScopes = try ScopeSet(parsing: raw) } catch { input.fail("allowed_scopes", "is not a valid scope string") }
        }
        if let firstParty = input.bool("first_party") { client.firstParty = firstParty }
        if let required = input.bool("organization_required") { client.organizationRequired = required }
        if let required = input.bool("require_pushed_authorization_requests") { client.requirePushedAuthorizationRequests = required }
        if let required = input.bool("dpop_bound_access_tokens") { client.dpopBoundAccessTokens = required }
        if input.isNull("custom_claims") {
            client.customClaims = [:]
        } else if input.has("custom_claims"), let raw = input.object["custom_claims"] {
            // docs/contract.md A9: each member replaces the tenant's claim of the same name.
            let (claims, problems) = CustomClaims.parse(raw, field: "custom_claims")
            for problem in problems + CustomClaims.validate(claims, field: "custom_claims") { input.fail(problem.field, problem.message) }
            if problems.isEmpty {
                client.customClaims = claims
                let effective = CustomClaims.effective(tenant: tenant.tenant.settings.customClaims, client: claims)
                if let problem = CustomClaims.budgetProblem(effective, field: "custom_claims") { input.fail(problem.field, problem.message) }
            }
        }
        for key in ["id_token_signed_response_alg", "access_token_signing_alg"] {
            guard let raw = input.string(key) else { continue }
            // ID tokens may always use RS256 (OIDC Core §15.1); access tokens the tenant's algorithms.
            let enabled =
                key == "id_token_signed_response_alg"
                ? tenant.tenant.settings.idTokenSigningAlgorithms
                : tenant.tenant.settings.signingAlgorithms
            guard let algorithm = JWSAlgorithm(rawValue: raw), enabled.contains(algorithm) else {
                input.fail(key, "must be one of \(enabled.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            if key == "id_token_signed_response_alg" { client.idTokenSigningAlgorithm = algorithm } else { client.accessTokenSigningAlgorithm = algorithm }
        }
        applyClientAuthenticationFields(&input, to: &client)
        applyBackchannelLogoutFields(&input, to: &client)
        if client.type == .public, client.grantTypes.contains(.clientCredentials) {
            input.fail("grant_types", "public clients cannot use client_credentials")
        }
        if client.type == .public, client.grantTypes.contains(.tokenExchange) {
            input.fail("grant_types", "public clients cannot use token exchange (RFC 8693 §5: the client must authenticate)")
        }
        if client.grantTypes.contains(.authorizationCode), client.redirectURIs.isEmpty {
            input.fail("redirect_uris", "at least one is required for the authorization_code grant")
        }
    }

    /// The one rule for every admin operation that creates, returns or changes a client credential
    /// (create, update, secret rotation, deletion): the admin scopes the client carries must be a
    /// subset of the caller's. The instance admin token holds every scope. Without this a
    /// `clients:write` token could rotate the secret of a client with more admin scopes and act as it.
    /// - Throws: `ProblemDetails` 403 naming the scopes the caller lacks.
    func authorizeCredential(of client: Client, _ context: TenantContext) throws {
        guard case .tenant(_, let held, _)? = context.adminPrincipal else { return }
        let carried = (client.allowedScopes ?? []).intersection(AdminScope.all)
        let beyond = carried.values.subtracting(held.values)
        if !beyond.isEmpty {
            throw ProblemDetails.forbidden("client \(client.clientID) carries admin scopes this token lacks: \(beyond.sorted().joined(separator: " "))")
        }
    }

    func createClient(_ request: Request, _ context: TenantContext) async throws -> Response {
        let tenant = context.tenant
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        var client = newClient(in: tenant)
        applyClientFields(&input, to: &client, tenant: tenant, creating: true)
        try input.check()
        try authorizeCredential(of: client, context)
        let secret = try await registerNewClient(&client, in: tenant)
        return created(ClientView(client, secret: secret))
    }

    /// A client of `tenant` before a create body is applied (``applyClientFields(_:to:tenant:creating:)``):
    /// a new publishable key, confidential, authorization code and refresh token grants, tokens
    /// signed with the tenant's first enabled algorithm.
    func newClient(in tenant: ResolvedTenant) -> Client {
        let now = services.clock.now
        var client = Client(
            id: .generate(at: now), clientID: ClientKeys.publishableKey(environment: tenant.tenant.environment), name: "",
            type: .confidential, secretHash: nil, redirectURIs: [], postLogoutRedirectURIs: [],
            grantTypes: [.authorizationCode, .refreshToken], firstParty: false, allowedScopes: nil, createdAt: now)
        // Until the body says otherwise, tokens use the tenant's first enabled algorithm.
        let defaultAlgorithm = tenant.tenant.settings.signingAlgorithms.first ?? .eddsa
        client.idTokenSigningAlgorithm = defaultAlgorithm
        client.accessTokenSigningAlgorithm = defaultAlgorithm
        return client
    }

    /// Registers a new, validated client (a confidential one gets its secret key, of which only
    /// the hash is kept, docs/architecture.md H8) and makes sure its signing keys exist; the
    /// change being audited names the client as its target. Shared by the admin API and console.
    /// - Returns: the secret key (`sk_…`) of a confidential client, to be shown once; nil for a public one.
    func registerNewClient(_ client: inout Client, in tenant: ResolvedTenant) async throws -> String? {
        var secret: String?
        if client.type == .confidential {
            secret = ClientKeys.secretKey(environment: tenant.tenant.environment)
            client.secretHash = SecretHash.of(secret!)
            try await sealSecretIfNeeded(secret!, of: &client, in: tenant)
        }
        AuditRecorder.identify(target: client.clientID)
        try await markLogoutTenant(for: client, in: tenant)
        try await services.store.registerClient(client, in: tenant)
        try await ensureKeys(for: client, in: tenant)
        return secret
    }

    func updateClient(_ request: Request, _ context: TenantContext) async throws -> Response {
        let (tenant, original) = try await findClient(context, modifying: true)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        var client = original
        applyClientFields(&input, to: &client, tenant: tenant, creating: false)
        try input.check()
        try authorizeCredential(of: client, context)
        try await markLogoutTenant(for: client, in: tenant)
        try await context.database.updateClient(client)
        services.forgetClientKeys(of: client.clientID, in: tenant)
        try await ensureKeys(for: client, in: tenant)
        return Responses.json(ClientView(client), noStore: true, sorted: true)
    }

    /// A client that signs with an algorithm the tenant's settings do not enable (RS256 ID tokens)
    /// gets its key now, in the admin request, not in a token request.
    func ensureKeys(for client: Client, in tenant: ResolvedTenant) async throws {
        let enabled = tenant.tenant.settings.signingAlgorithms
        guard !enabled.contains(client.idTokenSigningAlgorithm) || !enabled.contains(client.accessTokenSigningAlgorithm) else { return }
        try await services.store.storage(for: tenant).ensureSigningKeys(at: services.clock.now)
    }

    /// Issues a new secret key; the old one stays valid for `overlap_seconds` (default 0, at most 30 days).
    func rotateClientSecret(_ request: Request, _ context: TenantContext) async throws -> Response {
        let (tenant, client) = try await findClient(context, modifying: true)
        guard client.type == .confidential else { throw ProblemDetails.badRequest("public clients have no secret key") }
        var overlap = 0
        if request.headers[.contentType] != nil {
            var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
            overlap = Self.rotationOverlap(&input)
            try input.check()
        }
        let (updated, secret) = try await rotateSecret(of: client, overlap: overlap, in: tenant)
        return Responses.json(ClientView(updated, secret: secret), noStore: true, sorted: true)
    }

    /// The `overlap_seconds` of a rotation body (0 when absent, at most 30 days); a problem is collected in `input`.
    static func rotationOverlap(_ input: inout JSONInput) -> Int {
        input.rejectUnknown(["overlap_seconds"])
        guard let value = input.int("overlap_seconds") else { return 0 }
        guard (0...(30 * 86400)).contains(value) else {
            input.fail("overlap_seconds", "must be 0…2592000")
            return 0
        }
        return value
    }

    /// Issues a new secret key for a confidential client; the old one stays valid for `overlap` seconds.
    /// - Returns: the client as stored and its new secret key, to be shown once.
    func rotateSecret(of client: Client, overlap: Int, in tenant: ResolvedTenant) async throws -> (Client, String) {
        let secret = ClientKeys.secretKey(environment: tenant.tenant.environment)
        var updated = try await services.store.rotateClientSecret(client, newSecret: secret, overlap: TimeInterval(overlap), in: tenant)
        if updated.tokenEndpointAuthMethod == .clientSecretJWT {
            // The rotation kept the old sealed secret for the overlap; the new one is its HS256 key.
            try await sealSecretIfNeeded(secret, of: &updated, in: tenant)
            try await services.store.storage(for: tenant).updateClient(updated)
        }
        return (updated, secret)
    }

    /// The client named by the path.
    /// - Parameter modifying: the caller will change, delete or re-key it: then the client's admin
    ///   scopes must be within the caller's (``authorizeCredential(of:_:)``), and built-in clients
    ///   (the account console's) are refused with 409 because the server depends on them.
    /// - Throws: `ProblemDetails` 404, 403 or 409.
    func findClient(_ context: TenantContext, modifying: Bool = false) async throws -> (ResolvedTenant, Client) {
        let tenant = context.tenant
        let database = context.database
        guard let clientID = context.parameters.get("client"), let client = try await database.client(clientID: clientID) else {
            throw ProblemDetails.notFound("no client with this client_id in this tenant")
        }
        if modifying {
            try authorizeCredential(of: client, context)
            if try await Self.isBuiltin(client, in: database) {
                throw ProblemDetails.conflict("this is a built-in client (account or admin console); the server manages it and it cannot be changed or deleted")
            }
        }
        return (tenant, client)
    }

    /// Whether `client` is one of the tenant's built-in clients (the account console's, and the
    /// admin console's that its users with a console role sign in with), which the server manages
    /// and no admin may change, re-key or delete.
    static func isBuiltin(_ client: Client, in database: any TenantHandle) async throws -> Bool {
        for name in [AccountController.builtin, ConsoleController.builtin] where try await database.builtinClient(name)?.clientID == client.clientID {
            return true
        }
        return false
    }

    func showClient(_ context: TenantContext) async throws -> Response {
        Responses.json(ClientView(try await findClient(context).1), noStore: true, sorted: true)
    }

    func deleteClient(_ context: TenantContext) async throws -> Response {
        let (tenant, client) = try await findClient(context, modifying: true)
        try await services.store.deleteClient(clientID: client.clientID, in: tenant)
        services.forgetClientKeys(of: client.clientID, in: tenant)
        return Response(status: .noContent)
    }
}
