import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The admin API under `/admin/v1` (docs/contract.md A4): RFC 9457 problem details for every
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
        /// The tenant is read from the unverified `iss`, then everything is verified against it. A
        /// DPoP-bound token (`cnf`, RFC 9449 §7.2) is refused: the admin API takes bearer tokens only.
        func tenantPrincipal(_ token: String) async throws -> Principal? {
            guard let parsed = try? JWS.parse(token),
                let claims = try? JSONDecoder().decode(AccessTokenClaims.self, from: Data(parsed.payload))
            else { return nil }
            guard let tenant = try? await services.addressing.tenant(issuer: claims.iss, store: services.store),
                !tenant.tenant.isOperatorsDirectory
            else { return nil }
            guard let database = try? await services.store.storage(for: tenant),
                let verified = try? await services.tokenService(for: database).validateAccessToken(token, store: database),
                verified.sub == verified.clientID, verified.sid == nil, verified.cnf == nil,
                (try? await database.client(clientID: verified.clientID)) != nil
            else { return nil }
            return .tenant(tenant, scopes: verified.scopeSet.intersection(AdminScope.all), clientID: verified.clientID)
        }
    }

    /// Registers a route: `scope` is the admin scope a tenant-scoped caller needs; nil means the
    /// route is for the instance admin only. `maxBodyBytes` overrides `[server] max_body_bytes`
    /// for routes that take files.
    func route(
        _ group: RouterGroup<AppRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath, scope: String?,
        maxBodyBytes: Int? = nil, _ body: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        if method == .get { conditions.registerRepresentation(path: path.description, body) }
        group.on(path, method: method) { request, context in
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
            return try await conditions.run(
                method, path: path.description, request: request, context: context,
                store: services.store, maxBodyBytes: maxBodyBytes ?? services.configuration.maxBodyBytes, body)
        }
    }

    /// An admin request on one tenant (docs/architecture.md H2), made once the caller is
    /// authenticated and the route's scope checked: the resolved tenant and its open database, so
    /// no handler looks them up itself.
    struct TenantContext {
        let base: AppRequestContext
        let tenant: ResolvedTenant
        let database: any TenantHandle
        var parameters: Parameters { base.parameters }
        var logger: Logger { base.logger }
        var adminPrincipal: Principal? { base.adminPrincipal }
    }

    /// Registers a route under `tenants/:slug`: `route(…)` checks the caller and scope, then the
    /// tenant is resolved (404 when unknown) and its database opened for the handler.
    func tenantRoute(
        _ group: RouterGroup<AppRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath, scope: String?,
        _ body: @escaping @Sendable (Request, TenantContext) async throws -> Response
    ) {
        route(group, method, path, scope: scope) { request, context in
            let tenant = try await self.tenant(context)
            let database = try await self.services.store.storage(for: tenant)
            let tenantContext = TenantContext(base: context, tenant: tenant, database: database)
            return try await AdminAuditRecording.recording(
                request, method: method, path: path.description, context: tenantContext, services: self.services
            ) { request in try await body(request, tenantContext) }
        }
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("admin/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: AdminOpenAPI.document)))
        }
        // Problem details for every failure, the authentication's included.
        let admin = router.group("admin/v1").add(middleware: ErrorMiddleware(family: AdminProblemErrors(services: services)))
            .add(middleware: AdminAuthMiddleware(services: services))
        route(admin, .get, "tenants", scope: nil) { request, _ in try await self.listTenants(request) }
        route(admin, .post, "tenants", scope: nil) { request, _ in try await self.createTenant(request) }
        tenantRoute(admin, .get, "tenants/:slug", scope: AdminScope.tenantRead) { _, context in try await self.showTenant(context) }
        tenantRoute(admin, .patch, "tenants/:slug", scope: AdminScope.tenantWrite) { request, context in try await self.updateTenant(request, context) }
        tenantRoute(admin, .delete, "tenants/:slug", scope: nil) { _, context in try await self.deleteTenant(context) }
        tenantRoute(admin, .get, "tenants/:slug/clients", scope: AdminScope.clientsRead) { request, context in try await self.listClients(request, context) }
        tenantRoute(admin, .post, "tenants/:slug/clients", scope: AdminScope.clientsWrite) { request, context in try await self.createClient(request, context) }
        tenantRoute(admin, .get, "tenants/:slug/clients/:client", scope: AdminScope.clientsRead) { _, context in try await self.showClient(context) }
        tenantRoute(admin, .patch, "tenants/:slug/clients/:client", scope: AdminScope.clientsWrite) { request, context in
            try await self.updateClient(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/clients/:client", scope: AdminScope.clientsWrite) { _, context in try await self.deleteClient(context) }
        tenantRoute(admin, .post, "tenants/:slug/clients/:client/rotate-secret", scope: AdminScope.clientsWrite) { request, context in
            try await self.rotateClientSecret(request, context)
        }
        tenantRoute(admin, .get, "tenants/:slug/users", scope: AdminScope.usersRead) { request, context in try await self.listUsers(request, context) }
        tenantRoute(admin, .post, "tenants/:slug/users", scope: AdminScope.usersWrite) { request, context in try await self.createUser(request, context) }
        tenantRoute(admin, .get, "tenants/:slug/users/:user", scope: AdminScope.usersRead) { _, context in try await self.showUser(context) }
        tenantRoute(admin, .patch, "tenants/:slug/users/:user", scope: AdminScope.usersWrite) { request, context in try await self.updateUser(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/users/:user", scope: AdminScope.usersWrite) { _, context in try await self.deleteUser(context) }
        tenantRoute(admin, .get, "tenants/:slug/sessions", scope: AdminScope.sessionsRead) { request, context in try await self.listSessions(request, context) }
        tenantRoute(admin, .delete, "tenants/:slug/sessions/:session", scope: AdminScope.sessionsWrite) { _, context in try await self.revokeSession(context) }
        tenantRoute(admin, .get, "tenants/:slug/keys", scope: AdminScope.keysRead) { _, context in try await self.listKeys(context) }
        tenantRoute(admin, .post, "tenants/:slug/keys/rotate", scope: AdminScope.keysWrite) { request, context in try await self.rotateKeys(request, context) }
        registerTemplateRoutes(admin)
        registerConsoleRoleRoutes(admin)
        registerPasskeyRoutes(admin)
        registerRegistrationTokenRoutes(admin)
        registerProviderRoutes(admin)
        registerWebhookRoutes(admin)
        registerOrganizationRoutes(admin)
        registerTenantCopyRoutes(admin)
        registerAudit(on: admin)
        registerOperatorRoutes(admin)
    }

    func created(_ value: some Encodable) -> Response { Responses.json(value, status: .created, noStore: true, sorted: true) }

    func tenant(_ context: AppRequestContext) async throws -> ResolvedTenant {
        // The operators' directory is no tenant of the admin API: its users are managed by `operators` routes.
        guard let slug = context.parameters.get("slug"), !Tenant.isReservedSlug(slug), let tenant = try await services.store.find(slug: slug)
        else {
            throw ProblemDetails.notFound("no tenant with this slug")
        }
        return tenant
    }
}
