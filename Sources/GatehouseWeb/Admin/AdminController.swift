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

    /// Requires the instance admin bearer token (compared in constant time).
    struct AdminAuthMiddleware: RouterMiddleware {
        typealias Context = AppRequestContext
        let services: Services

        func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
                  services.isAdminToken(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
                return ProblemDetails.unauthorized("a valid admin bearer token is required").response
            }
            return try await next(request, context)
        }
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("admin/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: AdminOpenAPI.document)))
        }
        let admin = router.group("admin/v1").add(middleware: AdminAuthMiddleware(services: services))
        admin.get("tenants") { _, context in await self.handle(context) { try await self.listTenants() } }
        admin.post("tenants") { request, context in await self.handle(context) { try await self.createTenant(request) } }
        admin.get("tenants/:slug") { _, context in await self.handle(context) { try await self.showTenant(context) } }
        admin.patch("tenants/:slug") { request, context in await self.handle(context) { try await self.updateTenant(request, context) } }
        admin.delete("tenants/:slug") { _, context in await self.handle(context) { try await self.deleteTenant(context) } }
        admin.get("tenants/:slug/clients") { _, context in await self.handle(context) { try await self.listClients(context) } }
        admin.post("tenants/:slug/clients") { request, context in await self.handle(context) { try await self.createClient(request, context) } }
        admin.get("tenants/:slug/clients/:client") { _, context in await self.handle(context) { try await self.showClient(context) } }
        admin.delete("tenants/:slug/clients/:client") { _, context in await self.handle(context) { try await self.deleteClient(context) } }
        admin.get("tenants/:slug/users") { _, context in await self.handle(context) { try await self.listUsers(context) } }
        admin.post("tenants/:slug/users") { request, context in await self.handle(context) { try await self.createUser(request, context) } }
        admin.get("tenants/:slug/users/:user") { _, context in await self.handle(context) { try await self.showUser(context) } }
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
        } catch is WorkerPool.Busy {
            return ProblemDetails.unavailable("the server is busy hashing passwords").response
        } catch {
            context.logger.error("admin request failed", metadata: ["error": "\(error)"])
            return ProblemDetails.internalError(context.id).response
        }
    }

    func created(_ value: some Encodable) -> Response { Responses.json(value, status: .created, noStore: true) }

    func tenant(_ context: AppRequestContext) throws -> ResolvedTenant {
        guard let slug = context.parameters.get("slug"), let tenant = services.store.resolve(slug: slug) else {
            throw ProblemDetails.notFound("no tenant with this slug")
        }
        return tenant
    }

    // MARK: Tenants

    func listTenants() async throws -> Response {
        struct List: Encodable { let tenants: [TenantView] }
        return Responses.json(List(tenants: services.store.tenants().map { TenantView($0, publicURL: services.publicURL) }), noStore: true)
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
        return created(TenantView(tenant.tenant, publicURL: services.publicURL))
    }

    func showTenant(_ context: AppRequestContext) async throws -> Response {
        Responses.json(TenantView(try tenant(context).tenant, publicURL: services.publicURL), noStore: true)
    }

    /// Applies settings fields (ARCHITECTURE.md A4 PATCH) and validates the result.
    func applySettings(_ input: inout JSONInput, to current: TenantSettings) -> TenantSettings {
        var settings = current
        input.rejectUnknown(["mfa_policy", "access_token_ttl", "id_token_ttl", "refresh_token_ttl", "session_ttl",
                             "authorization_code_ttl", "allowed_origins"])
        if let raw = input.string("mfa_policy") {
            if let policy = MFAPolicy(rawValue: raw) { settings.mfaPolicy = policy } else { input.fail("mfa_policy", "must be none, optional or required") }
        }
        if let v = input.int("access_token_ttl") { settings.accessTokenTTL = v }
        if let v = input.int("id_token_ttl") { settings.idTokenTTL = v }
        if let v = input.int("refresh_token_ttl") { settings.refreshTokenTTL = v }
        if let v = input.int("session_ttl") { settings.sessionTTL = v }
        if let v = input.int("authorization_code_ttl") { settings.authorizationCodeTTL = v }
        if let v = input.strings("allowed_origins") { settings.allowedOrigins = v }
        if input.errors.isEmpty {
            for problem in settings.validate() { input.fail(problem.field, problem.message) }
        }
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
        try input.check()
        let updated = try await services.store.updateTenant(tenant, name: name, settings: settings)
        return Responses.json(TenantView(updated.tenant, publicURL: services.publicURL), noStore: true)
    }

    func deleteTenant(_ context: AppRequestContext) async throws -> Response {
        try await services.store.deleteTenant(try tenant(context))
        return Response(status: .noContent)
    }

    // MARK: Clients

    func listClients(_ context: AppRequestContext) async throws -> Response {
        let db = try await services.store.database(for: try tenant(context))
        struct List: Encodable { let clients: [ClientView] }
        return Responses.json(List(clients: try await db.listClients().map { ClientView($0) }), noStore: true)
    }

    func createClient(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let tenant = try tenant(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["name", "type", "redirect_uris", "post_logout_redirect_uris", "grant_types", "first_party", "allowed_scopes"])
        let name = input.string("name", required: true, maxLength: 200)
        let type = input.string("type", required: true).flatMap { raw -> ClientType? in
            guard let t = ClientType(rawValue: raw) else { input.fail("type", "must be public or confidential"); return nil }
            return t
        }
        let allowHTTP = tenant.tenant.environment == .dev
        let redirects = input.strings("redirect_uris") ?? []
        for (i, uri) in redirects.enumerated() {
            for problem in RedirectURI.registrationProblems(uri, allowInsecureHTTP: allowHTTP) { input.fail("redirect_uris[\(i)]", problem) }
        }
        let logoutRedirects = input.strings("post_logout_redirect_uris") ?? []
        for (i, uri) in logoutRedirects.enumerated() {
            for problem in RedirectURI.registrationProblems(uri, allowInsecureHTTP: allowHTTP) {
                input.fail("post_logout_redirect_uris[\(i)]", problem)
            }
        }
        var grantTypes: Set<GrantType> = [.authorizationCode, .refreshToken]
        if let raw = input.strings("grant_types") {
            grantTypes = []
            for value in raw {
                if let g = GrantType(rawValue: value) { grantTypes.insert(g) } else { input.fail("grant_types", "'\(value)' is not supported") }
            }
        }
        if type == .public, grantTypes.contains(.clientCredentials) {
            input.fail("grant_types", "public clients cannot use client_credentials")
        }
        if grantTypes.contains(.authorizationCode), redirects.isEmpty {
            input.fail("redirect_uris", "at least one is required for the authorization_code grant")
        }
        var allowedScopes: ScopeSet?
        if let raw = input.string("allowed_scopes") {
            do { allowedScopes = try ScopeSet(parsing: raw) } catch { input.fail("allowed_scopes", "is not a valid scope string") }
        }
        let firstParty = input.bool("first_party") ?? false
        try input.check()
        let now = services.clock.now
        let environment = tenant.tenant.environment
        var secret: String?
        if type == .confidential { secret = ClientKeys.secretKey(environment: environment) }
        let client = Client(id: .generate(at: now), clientID: ClientKeys.publishableKey(environment: environment), name: name!,
                            type: type!, secretHash: secret.map(SecretHash.of), redirectURIs: redirects,
                            postLogoutRedirectURIs: logoutRedirects, grantTypes: grantTypes, firstParty: firstParty,
                            allowedScopes: allowedScopes, createdAt: now)
        try await services.store.registerClient(client, in: tenant)
        return created(ClientView(client, secret: secret))
    }

    func findClient(_ context: AppRequestContext) async throws -> (ResolvedTenant, Client) {
        let tenant = try tenant(context)
        guard let clientID = context.parameters.get("client"),
              let client = try await services.store.database(for: tenant).client(clientID: clientID) else {
            throw ProblemDetails.notFound("no client with this client_id in this tenant")
        }
        return (tenant, client)
    }

    func showClient(_ context: AppRequestContext) async throws -> Response {
        Responses.json(ClientView(try await findClient(context).1), noStore: true)
    }

    func deleteClient(_ context: AppRequestContext) async throws -> Response {
        let (tenant, client) = try await findClient(context)
        try await services.store.deleteClient(clientID: client.clientID, in: tenant)
        return Response(status: .noContent)
    }

    // MARK: Users

    func listUsers(_ context: AppRequestContext) async throws -> Response {
        let db = try await services.store.database(for: try tenant(context))
        struct List: Encodable { let users: [UserView] }
        return Responses.json(List(users: try await db.listUsers(limit: 1000).map(UserView.init)), noStore: true)
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
            let length = password.count
            // NIST SP 800-63B §5.1.1.2: at least 8 characters, at most a generous maximum, no composition rules.
            if length < 8 { input.fail("password", "must be at least 8 characters") }
            if length > 256 { input.fail("password", "must be at most 256 characters") }
        }
        let name = input.string("name", maxLength: 200)
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
        return Responses.json(UserView(user), noStore: true)
    }
}
