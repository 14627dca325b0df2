import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The admin API under `/admin/v1` (ARCHITECTURE.md A4): RFC 9457 problem details for every
/// failure, 201 on create, `snake_case` JSON.
struct AdminController {
    let services: Services
    /// Test emails per tenant: a token bucket of 10, refilled by one every 6 seconds.
    let testMailLimiter = ActionRateLimiter(burst: 10, interval: 6)
    /// `ETag`/`If-Match` and `Idempotency-Key` for every route.
    let conditions = AdminWriteConditions()

    /// Who is calling the admin API.
    enum Principal: Sendable {
        /// The instance admin token: every tenant, every operation.
        case instance
        /// A client credentials access token of one tenant's confidential client, limited to that
        /// tenant and to the admin scopes it was granted.
        case tenant(ResolvedTenant, scopes: ScopeSet, clientID: String)
    }

    /// Authenticates the caller: the instance admin token (compared in constant time) or a
    /// tenant-scoped access token.
    struct AdminAuthMiddleware: RouterMiddleware {
        typealias Context = AppRequestContext
        let services: Services

        func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
                return ProblemDetails.unauthorized("a valid admin bearer token is required").response
            }
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            var context = context
            if services.isAdminToken(token) {
                context.adminPrincipal = .instance
            } else if let principal = try await tenantPrincipal(token) {
                context.adminPrincipal = principal
            } else {
                return ProblemDetails.unauthorized("a valid admin bearer token is required").response
            }
            return try await next(request, context)
        }

        /// A client credentials access token (RFC 9068) of some tenant, verified with that tenant's keys.
        /// The tenant is read from the unverified `iss`, then everything is verified against it.
        func tenantPrincipal(_ token: String) async throws -> Principal? {
            guard let parsed = try? JWS.parse(token),
                  let claims = try? JSONDecoder().decode(AccessTokenClaims.self, from: Data(parsed.payload)) else { return nil }
            guard let tenant = services.addressing.tenant(issuer: claims.iss, store: services.store) else { return nil }
            guard let database = try? await services.store.database(for: tenant),
                  let verified = try? await services.tokenService(for: database).validateAccessToken(token, store: database),
                  verified.sub == verified.clientID, verified.sid == nil,
                  (try? await database.client(clientID: verified.clientID)) != nil else { return nil }
            return .tenant(tenant, scopes: verified.scopeSet.intersection(AdminScope.all), clientID: verified.clientID)
        }
    }

    /// Registers a route: `scope` is the admin scope a tenant-scoped caller needs; nil means the
    /// route is for the instance admin only. `maxBodyBytes` overrides `[server] max_body_bytes`
    /// for routes that take files.
    func route(_ group: RouterGroup<AppRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath, scope: String?,
               maxBodyBytes: Int? = nil, _ body: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        if method == .get { conditions.registerRepresentation(path: path.description, body) }
        group.on(path, method: method) { request, context in
            await self.handle(context) {
                switch context.adminPrincipal {
                case .instance?:
                    break
                case .tenant(let tenant, let scopes, _)?:
                    // Another tenant's resources do not exist for this caller.
                    guard let scope, context.parameters.get("slug") == tenant.slug else {
                        throw ProblemDetails.notFound("no tenant with this slug")
                    }
                    guard scopes.contains(scope) else { throw ProblemDetails.forbidden("this token lacks the '\(scope)' scope") }
                case nil:
                    throw ProblemDetails.unauthorized("a valid admin bearer token is required")
                }
                return try await conditions.run(method, path: path.description, request: request, context: context,
                                                store: services.store, maxBodyBytes: maxBodyBytes ?? services.configuration.maxBodyBytes, body)
            }
        }
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("admin/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: AdminOpenAPI.document)))
        }
        let admin = router.group("admin/v1").add(middleware: AdminAuthMiddleware(services: services))
        route(admin, .get, "tenants", scope: nil) { request, _ in try await self.listTenants(request) }
        route(admin, .post, "tenants", scope: nil) { request, _ in try await self.createTenant(request) }
        route(admin, .get, "tenants/:slug", scope: AdminScope.tenantRead) { _, context in try await self.showTenant(context) }
        route(admin, .patch, "tenants/:slug", scope: AdminScope.tenantWrite) { request, context in try await self.updateTenant(request, context) }
        route(admin, .delete, "tenants/:slug", scope: nil) { _, context in try await self.deleteTenant(context) }
        route(admin, .get, "tenants/:slug/clients", scope: AdminScope.clientsRead) { request, context in try await self.listClients(request, context) }
        route(admin, .post, "tenants/:slug/clients", scope: AdminScope.clientsWrite) { request, context in try await self.createClient(request, context) }
        route(admin, .get, "tenants/:slug/clients/:client", scope: AdminScope.clientsRead) { _, context in try await self.showClient(context) }
        route(admin, .patch, "tenants/:slug/clients/:client", scope: AdminScope.clientsWrite) { request, context in try await self.updateClient(request, context) }
        route(admin, .delete, "tenants/:slug/clients/:client", scope: AdminScope.clientsWrite) { _, context in try await self.deleteClient(context) }
        route(admin, .post, "tenants/:slug/clients/:client/rotate-secret", scope: AdminScope.clientsWrite) { request, context in
            try await self.rotateClientSecret(request, context)
        }
        route(admin, .get, "tenants/:slug/users", scope: AdminScope.usersRead) { request, context in try await self.listUsers(request, context) }
        route(admin, .post, "tenants/:slug/users", scope: AdminScope.usersWrite) { request, context in try await self.createUser(request, context) }
        route(admin, .get, "tenants/:slug/users/:user", scope: AdminScope.usersRead) { _, context in try await self.showUser(context) }
        route(admin, .patch, "tenants/:slug/users/:user", scope: AdminScope.usersWrite) { request, context in try await self.updateUser(request, context) }
        route(admin, .delete, "tenants/:slug/users/:user", scope: AdminScope.usersWrite) { _, context in try await self.deleteUser(context) }
        route(admin, .get, "tenants/:slug/sessions", scope: AdminScope.sessionsRead) { request, context in try await self.listSessions(request, context) }
        route(admin, .delete, "tenants/:slug/sessions/:session", scope: AdminScope.sessionsWrite) { _, context in try await self.revokeSession(context) }
        route(admin, .get, "tenants/:slug/keys", scope: AdminScope.keysRead) { _, context in try await self.listKeys(context) }
        route(admin, .post, "tenants/:slug/keys/rotate", scope: AdminScope.keysWrite) { request, context in try await self.rotateKeys(request, context) }
        registerTemplateRoutes(admin)
        registerProviderRoutes(admin)
        registerTenantCopyRoutes(admin)
    }

    /// Maps every failure to problem details.
    func handle(_ context: AppRequestContext, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let problem as ProblemDetails {
            return problem.response
        } catch let error as StoreError {
            switch error {
            case .conflict(let detail): return ProblemDetails.conflict(detail).response
            case .notFound(let detail): return ProblemDetails.notFound(detail).response
            case .unavailable(let detail):
                context.logger.error("storage unavailable", metadata: ["detail": "\(detail)"])
                return ProblemDetails.unavailable("storage unavailable").response
            }
        } catch let failure as TenantArchive.Failure {
            return ProblemDetails.validation([.init(field: "archive", message: failure.description)]).response
        } catch is WorkerPool.Busy {
            return ProblemDetails.unavailable("the server is busy hashing passwords").response
        } catch where context.parameters.get("slug").map({ services.store.resolve(slug: $0) == nil }) ?? false {
            // The tenant was deleted while this request worked on it.
            return ProblemDetails.notFound("no tenant with this slug").response
        } catch {
            context.logger.error("admin request failed", metadata: ["error": "\(error)"])
            return ProblemDetails.internalError(context.id).response
        }
    }

    func created(_ value: some Encodable) -> Response { Responses.json(value, status: .created, noStore: true, sorted: true) }

    func tenant(_ context: AppRequestContext) throws -> ResolvedTenant {
        guard let slug = context.parameters.get("slug"), let tenant = services.store.resolve(slug: slug) else {
            throw ProblemDetails.notFound("no tenant with this slug")
        }
        return tenant
    }

    // MARK: Tenants

    /// Tenants by slug, a page at a time (`limit`, `after`).
    func listTenants(_ request: Request) async throws -> Response {
        let page = try AdminPageRequest(request)
        let views = services.store.tenants().map { TenantView($0, issuer: services.addressing.issuer(of: $0)) }
        return Responses.json(page.page("tenants", all: views, cursor: \.slug), noStore: true, sorted: true)
    }

    func createTenant(_ request: Request) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["slug", "name", "environment", "settings"])
        let slug = input.string("slug", required: true, maxLength: 63)
        if let slug, !Tenant.isValidSlug(slug) { input.fail("slug", "must be 2–63 characters of a-z, 0-9 and '-'") }
        let name = input.string("name", required: true, maxLength: 200)
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty { input.fail("name", "must not be empty") }
        let environment = input.string("environment", required: true).flatMap { raw -> TenantEnvironment? in
            guard let e = TenantEnvironment(rawValue: raw) else { input.fail("environment", "must be live, test or dev"); return nil }
            return e
        }
        var settings = TenantSettings()
        if var nested = input.objectValue("settings") {
            settings = applySettings(&nested, to: settings)
            input.errors += nested.errors.map { .init(field: "settings.\($0.field)", message: $0.message) }
        }
        try input.check()
        let tenant = try await services.store.createTenant(slug: slug!, name: name!, environment: environment!, settings: settings)
        return created(TenantView(tenant.tenant, addressing: services.addressing))
    }

    func showTenant(_ context: AppRequestContext) async throws -> Response {
        Responses.json(TenantView(try tenant(context).tenant, addressing: services.addressing), noStore: true, sorted: true)
    }

    /// The settings an admin may write, each with what `null` does to it (JSON merge patch): the
    /// setting goes back to its default; for `hostname` that means no own host.
    static let settingResets: [String: @Sendable (inout TenantSettings) -> Void] = {
        let defaults = TenantSettings()
        return [
            "mfa_policy": { $0.mfaPolicy = defaults.mfaPolicy },
            "access_token_ttl": { $0.accessTokenTTL = defaults.accessTokenTTL },
            "id_token_ttl": { $0.idTokenTTL = defaults.idTokenTTL },
            "refresh_token_ttl": { $0.refreshTokenTTL = defaults.refreshTokenTTL },
            "session_ttl": { $0.sessionTTL = defaults.sessionTTL },
            "authorization_code_ttl": { $0.authorizationCodeTTL = defaults.authorizationCodeTTL },
            "allowed_origins": { $0.allowedOrigins = defaults.allowedOrigins },
            "signing_algorithms": { $0.signingAlgorithms = defaults.signingAlgorithms },
            "webhooks": { $0.webhooks = defaults.webhooks },
            "custom_claims": { $0.customClaims = defaults.customClaims },
            "self_signup": { $0.selfSignup = defaults.selfSignup },
            "require_verified_email": { $0.requireVerifiedEmail = defaults.requireVerifiedEmail },
            "magic_link": { $0.magicLink = defaults.magicLink },
            "mfa_factors": { $0.mfaFactors = defaults.mfaFactors },
            "account_linking": { $0.accountLinking = defaults.accountLinking },
            "hostname": { $0.hostname = defaults.hostname },
        ]
    }()

    /// Applies settings fields (ARCHITECTURE.md A4 PATCH) and validates the result.
    func applySettings(_ input: inout JSONInput, to current: TenantSettings) -> TenantSettings {
        var settings = current
        input.rejectUnknown(Set(Self.settingResets.keys))
        // JSON merge patch (RFC 7396 §2): `null` removes the field; the typed readers below never see it.
        for key in input.removeNulls() { Self.settingResets[key]?(&settings) }
        if let raw = input.string("mfa_policy") {
            if let policy = MFAPolicy(rawValue: raw) { settings.mfaPolicy = policy } else { input.fail("mfa_policy", "must be none, optional or required") }
        }
        if let v = input.int("access_token_ttl") { settings.accessTokenTTL = v }
        if let v = input.int("id_token_ttl") { settings.idTokenTTL = v }
        if let v = input.int("refresh_token_ttl") { settings.refreshTokenTTL = v }
        if let v = input.int("session_ttl") { settings.sessionTTL = v }
        if let v = input.int("authorization_code_ttl") { settings.authorizationCodeTTL = v }
        if let v = input.strings("allowed_origins") { settings.allowedOrigins = v.map(TenantSettings.normalizeOrigin) }
        if let raw = input.strings("signing_algorithms") {
            var algorithms: [JWSAlgorithm] = []
            for value in raw {
                if let a = JWSAlgorithm(rawValue: value) { algorithms.append(a) } else { input.fail("signing_algorithms", "'\(value)' is not one of EdDSA, ES256, RS256") }
            }
            settings.signingAlgorithms = algorithms
        }
        if let v = input.bool("self_signup") { settings.selfSignup = v }
        if let v = input.bool("require_verified_email") { settings.requireVerifiedEmail = v }
        if let v = input.bool("magic_link") { settings.magicLink = v }
        if let v = input.strings("mfa_factors") { settings.mfaFactors = v }
        if let v = input.string("account_linking") { settings.accountLinking = v }
        if let v = input.decode([WebhookEndpoint].self, "webhooks", expected: "an array of {url, events, enabled}") { settings.webhooks = v }
        if let v = input.decode([String: String].self, "custom_claims", expected: "an object of string values") { settings.customClaims = v }
        if let v = input.string("hostname", maxLength: 253) {
            settings.hostname = v.lowercased()
            if let reason = services.addressing.refusal(ofHostname: v.lowercased()) { input.fail("hostname", "'\(v)' \(reason)") }
        }
        for problem in settings.validate() { input.fail(problem.field, problem.message) }
        return settings
    }

    func updateTenant(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let tenant = try tenant(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["name", "settings"])
        var name = tenant.tenant.name
        if let v = input.string("name", maxLength: 200) {
            if v.trimmingCharacters(in: .whitespaces).isEmpty { input.fail("name", "must not be empty") } else { name = v }
        }
        var settings = tenant.tenant.settings
        if var nested = input.objectValue("settings") {
            settings = applySettings(&nested, to: settings)
            input.errors += nested.errors.map { .init(field: "settings.\($0.field)", message: $0.message) }
        }
        let removed = Set(tenant.tenant.settings.signingAlgorithms).subtracting(settings.signingAlgorithms)
        if !removed.isEmpty {
            let clients = try await services.store.database(for: tenant).listClients()
            for client in clients where removed.contains(client.idTokenSigningAlgorithm) || removed.contains(client.accessTokenSigningAlgorithm) {
                input.fail("settings.signing_algorithms", "client \(client.clientID) still signs with an algorithm being removed")
            }
        }
        try input.check()
        let updated = try await services.store.updateTenant(tenant, name: name, settings: settings)
        return Responses.json(TenantView(updated.tenant, addressing: services.addressing), noStore: true, sorted: true)
    }

    func deleteTenant(_ context: AppRequestContext) async throws -> Response {
        try await services.store.deleteTenant(try tenant(context))
        return Response(status: .noContent)
    }

    // MARK: Clients

    /// Clients by client_id, a page at a time (`limit`, `after`).
    func listClients(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let db = try await services.store.database(for: try tenant(context))
        return Responses.json(page.page("clients", all: try await db.listClients().map { ClientView($0) }, cursor: \.clientID),
                              noStore: true, sorted: true)
    }

    /// Reads the client fields of a create or update body into `client`, collecting every problem.
    /// - Parameter creating: on create, `name` and `type` are required and `type` may be set.
    func applyClientFields(_ input: inout JSONInput, to client: inout Client, tenant: ResolvedTenant, creating: Bool) {
        input.rejectUnknown(["name", "type", "redirect_uris", "post_logout_redirect_uris", "grant_types", "first_party", "allowed_scopes",
                             "id_token_signed_response_alg", "access_token_signing_alg"])
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
        if let raw = input.string("allowed_scopes", maxLength: 2000) {
            do { client.allowedScopes = try ScopeSet(parsing: raw) } catch { input.fail("allowed_scopes", "is not a valid scope string") }
        }
        if let firstParty = input.bool("first_party") { client.firstParty = firstParty }
        for key in ["id_token_signed_response_alg", "access_token_signing_alg"] {
            guard let raw = input.string(key) else { continue }
            // ID tokens may always use RS256 (OIDC Core §15.1); access tokens the tenant's algorithms.
            let enabled = key == "id_token_signed_response_alg" ? tenant.tenant.settings.idTokenSigningAlgorithms
                                                                : tenant.tenant.settings.signingAlgorithms
            guard let algorithm = JWSAlgorithm(rawValue: raw), enabled.contains(algorithm) else {
                input.fail(key, "must be one of \(enabled.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            if key == "id_token_signed_response_alg" { client.idTokenSigningAlgorithm = algorithm } else { client.accessTokenSigningAlgorithm = algorithm }
        }
        if client.type == .public, client.grantTypes.contains(.clientCredentials) {
            input.fail("grant_types", "public clients cannot use client_credentials")
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
    func authorizeCredential(of client: Client, _ context: AppRequestContext) throws {
        guard case .tenant(_, let held, _)? = context.adminPrincipal else { return }
        let carried = (client.allowedScopes ?? []).intersection(AdminScope.all)
        let beyond = carried.values.subtracting(held.values)
        if !beyond.isEmpty {
            throw ProblemDetails.forbidden("client \(client.clientID) carries admin scopes this token lacks: \(beyond.sorted().joined(separator: " "))")
        }
    }

    func createClient(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let tenant = try tenant(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        let now = services.clock.now
        let environment = tenant.tenant.environment
        var client = Client(id: .generate(at: now), clientID: ClientKeys.publishableKey(environment: environment), name: "",
                            type: .confidential, secretHash: nil, redirectURIs: [], postLogoutRedirectURIs: [],
                            grantTypes: [.authorizationCode, .refreshToken], firstParty: false, allowedScopes: nil, createdAt: now)
        // Until the body says otherwise, tokens use the tenant's first enabled algorithm.
        let defaultAlgorithm = tenant.tenant.settings.signingAlgorithms.first ?? .eddsa
        client.idTokenSigningAlgorithm = defaultAlgorithm
        client.accessTokenSigningAlgorithm = defaultAlgorithm
        applyClientFields(&input, to: &client, tenant: tenant, creating: true)
        try input.check()
        try authorizeCredential(of: client, context)
        var secret: String?
        if client.type == .confidential {
            secret = ClientKeys.secretKey(environment: environment)
            client.secretHash = SecretHash.of(secret!)
        }
        try await services.store.registerClient(client, in: tenant)
        try await ensureKeys(for: client, in: tenant)
        return created(ClientView(client, secret: secret))
    }

    func updateClient(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (tenant, original) = try await findClient(context, modifying: true)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        var client = original
        applyClientFields(&input, to: &client, tenant: tenant, creating: false)
        try input.check()
        try authorizeCredential(of: client, context)
        try await services.store.database(for: tenant).updateClient(client)
        try await ensureKeys(for: client, in: tenant)
        return Responses.json(ClientView(client), noStore: true, sorted: true)
    }

    /// A client that signs with an algorithm the tenant's settings do not enable (RS256 ID tokens)
    /// gets its key now, in the admin request, not in a token request.
    func ensureKeys(for client: Client, in tenant: ResolvedTenant) async throws {
        let enabled = tenant.tenant.settings.signingAlgorithms
        guard !enabled.contains(client.idTokenSigningAlgorithm) || !enabled.contains(client.accessTokenSigningAlgorithm) else { return }
        try await services.store.database(for: tenant).ensureSigningKeys(at: services.clock.now)
    }

    /// Issues a new secret key; the old one stays valid for `overlap_seconds` (default 0, at most 30 days).
    func rotateClientSecret(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (tenant, client) = try await findClient(context, modifying: true)
        guard client.type == .confidential else { throw ProblemDetails.badRequest("public clients have no secret key") }
        var overlap = 0
        if request.headers[.contentType] != nil {
            var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
            input.rejectUnknown(["overlap_seconds"])
            if let value = input.int("overlap_seconds") {
                if (0...(30 * 86400)).contains(value) { overlap = value } else { input.fail("overlap_seconds", "must be 0…2592000") }
            }
            try input.check()
        }
        let secret = ClientKeys.secretKey(environment: tenant.tenant.environment)
        let updated = try await services.store.rotateClientSecret(client, newSecret: secret, overlap: TimeInterval(overlap), in: tenant)
        return Responses.json(ClientView(updated, secret: secret), noStore: true, sorted: true)
    }

    /// The client named by the path.
    /// - Parameter modifying: the caller will change, delete or re-key it: then the client's admin
    ///   scopes must be within the caller's (``authorizeCredential(of:_:)``), and built-in clients
    ///   (the account console's) are refused with 409 because the server depends on them.
    /// - Throws: `ProblemDetails` 404, 403 or 409.
    func findClient(_ context: AppRequestContext, modifying: Bool = false) async throws -> (ResolvedTenant, Client) {
        let tenant = try tenant(context)
        let database = try await services.store.database(for: tenant)
        guard let clientID = context.parameters.get("client"), let client = try await database.client(clientID: clientID) else {
            throw ProblemDetails.notFound("no client with this client_id in this tenant")
        }
        if modifying {
            try authorizeCredential(of: client, context)
            if try await database.builtinClient(AccountController.builtin)?.clientID == client.clientID {
                throw ProblemDetails.conflict("this is the account console's built-in client; the server manages it and it cannot be changed or deleted")
            }
        }
        return (tenant, client)
    }

    func showClient(_ context: AppRequestContext) async throws -> Response {
        Responses.json(ClientView(try await findClient(context).1), noStore: true, sorted: true)
    }

    func deleteClient(_ context: AppRequestContext) async throws -> Response {
        let (tenant, client) = try await findClient(context, modifying: true)
        try await services.store.deleteClient(clientID: client.clientID, in: tenant)
        return Response(status: .noContent)
    }

    // MARK: Users

    /// Users by id (oldest first), a page at a time (`limit`, `after`), optionally filtered by
    /// `email` (exact, normalized) or `q` (text in the email or name).
    func listUsers(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let after = try page.cursor(UserID.init(rawValue:))
        var email: String?
        if let raw = try AdminListFilter.value(of: "email", in: request) {
            guard let normalized = EmailAddress.normalize(raw) else { throw ProblemDetails.validation([.init(field: "email", message: "is not an email address")]) }
            email = normalized
        }
        let query = try AdminListFilter.value(of: "q", in: request)
        if let query, query.unicodeScalars.count > 200 { throw ProblemDetails.validation([.init(field: "q", message: "must be at most 200 characters")]) }
        let db = try await services.store.database(for: try tenant(context))
        let users = try await db.listUsers(limit: page.limit + 1, after: after, email: email, query: query)
        return Responses.json(page.page("users", users.map(UserView.init), cursor: \.id), noStore: true, sorted: true)
    }

    func createUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let tenant = try tenant(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["email", "password", "name", "email_verified"])
        let email = input.string("email", required: true, maxLength: 254).flatMap { raw -> String? in
            guard let normalized = EmailAddress.normalize(raw) else { input.fail("email", "is not an email address"); return nil }
            return normalized
        }
        let password = input.string("password", maxLength: 10_000)
        if let password {
            let length = password.unicodeScalars.count
            // NIST SP 800-63B §5.1.1.2: at least 8 characters, at most a generous maximum, no composition rules.
            if length < 8 { input.fail("password", "must be at least 8 characters") }
            if length > 256 { input.fail("password", "must be at most 256 characters") }
        }
        let name = input.string("name", maxLength: 10_000)
        if let name, let problem = DisplayName.problem(name) { input.fail("name", problem) }
        let verified = input.bool("email_verified") ?? false
        try input.check()
        let db = try await services.store.database(for: tenant)
        if try await db.user(email: email!) != nil { throw StoreError.conflict("a user with this email already exists") }
        var hash: String?
        if let password { hash = try await services.passwords.hash(password) }
        let now = services.clock.now
        let user = User(id: .generate(at: now), email: email!, emailVerified: verified, name: name, passwordHash: hash,
                        createdAt: now, updatedAt: now)
        try await db.insertUser(user)
        return created(UserView(user))
    }

    func showUser(_ context: AppRequestContext) async throws -> Response {
        let db = try await services.store.database(for: try tenant(context))
        guard let raw = context.parameters.get("user"), let id = UserID(rawValue: raw), let user = try await db.user(id: id) else {
            throw ProblemDetails.notFound("no user with this id in this tenant")
        }
        return Responses.json(UserView(user), noStore: true, sorted: true)
    }
}

// MARK: - Users, sessions and keys

extension AdminController {
    func findUser(_ context: AppRequestContext) async throws -> (TenantDatabase, User) {
        let db = try await services.store.database(for: try tenant(context))
        guard let raw = context.parameters.get("user"), let id = UserID(rawValue: raw), let user = try await db.user(id: id) else {
            throw ProblemDetails.notFound("no user with this id in this tenant")
        }
        return (db, user)
    }

    /// PATCH a user: `email`, `name`, `email_verified`, `disabled`, `password`. Disabling a user or
    /// setting a new password ends their sessions and revokes their grants.
    func updateUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (db, original) = try await findUser(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["email", "name", "email_verified", "disabled", "password"])
        var user = original
        if let raw = input.string("email", maxLength: 254) {
            if let email = EmailAddress.normalize(raw) { user.email = email } else { input.fail("email", "is not an email address") }
        }
        // JSON merge patch (RFC 7396 §2): `null` removes the name.
        if input.isNull("name") {
            user.name = nil
        } else if let name = input.string("name", maxLength: 10_000) {
            if let problem = DisplayName.problem(name) { input.fail("name", problem) } else { user.name = name }
        }
        // A new address has not been verified: unless this request says otherwise, it is not.
        if user.email != original.email { user.emailVerified = false }
        if let verified = input.bool("email_verified") { user.emailVerified = verified }
        if let disabled = input.bool("disabled") { user.disabled = disabled }
        let password = input.string("password", maxLength: 10_000)
        if let password, !(8...256).contains(password.unicodeScalars.count) { input.fail("password", "must be 8–256 characters") }
        try input.check()
        if user.email != original.email, try await db.user(email: user.email) != nil {
            throw StoreError.conflict("a user with this email already exists")
        }
        if let password { user.passwordHash = try await services.passwords.hash(password) }
        let now = services.clock.now
        try await db.updateUser(user, at: now)
        if password != nil, !user.disabled { try await db.revokeEverything(of: user.id, at: now) }
        return Responses.json(UserView(user), noStore: true, sorted: true)
    }

    func deleteUser(_ context: AppRequestContext) async throws -> Response {
        let (db, user) = try await findUser(context)
        try await db.deleteUser(user.id, at: services.clock.now)
        return Response(status: .noContent)
    }

    struct SessionView: Encodable {
        let id: String
        let userID: String
        let authTime: Date
        let amr: [String]
        let createdAt: Date
        let expiresAt: Date
        let userAgent: String?
        let ipAddress: String?

        enum CodingKeys: String, CodingKey {
            case id, amr
            case userID = "user_id"
            case authTime = "auth_time"
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case userAgent = "user_agent"
            case ipAddress = "ip_address"
        }

        init(_ s: Session) {
            id = s.id.rawValue
            userID = s.userID.rawValue
            authTime = s.authTime
            amr = s.amr
            createdAt = s.createdAt
            expiresAt = s.expiresAt
            userAgent = s.userAgent
            ipAddress = s.ipAddress
        }
    }

    /// Active sessions, newest first, a page at a time (`limit`, `after`), optionally `?user_id=usr_…`.
    func listSessions(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let db = try await services.store.database(for: try tenant(context))
        var userID: UserID?
        if let raw = try AdminListFilter.value(of: "user_id", in: request) {
            guard let id = UserID(rawValue: raw) else { throw ProblemDetails.validation([.init(field: "user_id", message: "is not a user id (usr_…)")]) }
            userID = id
        }
        let page = try AdminPageRequest(request)
        let before = try page.cursor(SessionID.init(rawValue:))
        let sessions = try await db.activeSessions(userID: userID, at: services.clock.now, limit: page.limit + 1, before: before)
        return Responses.json(page.page("sessions", sessions.map(SessionView.init), cursor: \.id), noStore: true, sorted: true)
    }

    /// Ends a session and revokes its grants (those without offline_access).
    func revokeSession(_ context: AppRequestContext) async throws -> Response {
        let db = try await services.store.database(for: try tenant(context))
        guard let raw = context.parameters.get("session"), let id = SessionID(rawValue: raw), try await db.session(id: id) != nil else {
            throw ProblemDetails.notFound("no session with this id in this tenant")
        }
        try await db.endSession(id: id, at: services.clock.now)
        return Response(status: .noContent)
    }

    struct KeyView: Encodable {
        let kid: String
        let algorithm: String
        let status: String
        let createdAt: Date
        let activatesAt: Date
        let retiresAt: Date?
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case kid, algorithm, status
            case createdAt = "created_at"
            case activatesAt = "activates_at"
            case retiresAt = "retires_at"
            case expiresAt = "expires_at"
        }

        init(_ r: SigningKeyRecord, now: Date) {
            kid = r.kid
            algorithm = r.algorithm
            status = r.status(at: now).rawValue
            createdAt = r.createdAt
            activatesAt = r.activatesAt
            retiresAt = r.retiresAt
            expiresAt = r.expiresAt
        }
    }

    /// Signing keys with their schedule (never private material).
    func listKeys(_ context: AppRequestContext) async throws -> Response {
        let db = try await services.store.database(for: try tenant(context))
        let now = services.clock.now
        _ = try await db.keyRing(at: now)
        struct List: Encodable { let keys: [KeyView] }
        let keys = try await db.signingKeyRecords().filter { $0.status(at: now) != .expired }
        return Responses.json(List(keys: keys.map { KeyView($0, now: now) }), noStore: true, sorted: true)
    }

    /// Starts a rotation: `{"algorithms": [...]}` (default: every enabled algorithm).
    func rotateKeys(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let tenant = try tenant(context)
        var algorithms = tenant.tenant.settings.signingAlgorithms
        if request.headers[.contentType] != nil {
            var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
            input.rejectUnknown(["algorithms"])
            if let raw = input.strings("algorithms") {
                algorithms = []
                for value in raw {
                    if let a = JWSAlgorithm(rawValue: value), tenant.tenant.settings.signingAlgorithms.contains(a) {
                        // One new key per algorithm: a repeat would be a second key with the same kid.
                        if algorithms.contains(a) { input.fail("algorithms", "'\(value)' is listed more than once"); continue }
                        algorithms.append(a)
                    } else {
                        input.fail("algorithms", "'\(value)' is not enabled for this tenant")
                    }
                }
            }
            try input.check()
        }
        let now = services.clock.now
        let db = try await services.store.database(for: tenant)
        let rotated = try await db.rotateSigningKeys(algorithms: algorithms, at: now)
        struct Rotation: Encodable { let keys: [KeyView] }
        return Responses.json(Rotation(keys: rotated.map { KeyView($0, now: now) }), noStore: true, sorted: true)
    }
}
