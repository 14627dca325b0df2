import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The context of headless API routes: the tenant and client resolved from the request's key.
public struct HeadlessRequestContext: ChildRequestContext, OAuthIssuerContext {
    public var coreContext: CoreRequestContextStorage
    let clientAddress: ClientAddress
    /// The client address (``AppRequestContext/remoteAddress``), made when first asked for.
    public var remoteAddress: String? { clientAddress.text }
    public let database: any TenantHandle
    public let client: Client
    /// The issuer of the client's tenant.
    let oauthIssuer: String

    public init(context: AppRequestContext) throws {
        guard let resolved = context.headlessClient, let issuer = context.issuer else { throw HTTPError(.unauthorized) }
        coreContext = context.coreContext
        clientAddress = context.clientAddress
        database = resolved.database
        client = resolved.client
        oauthIssuer = issuer
    }

    public var maxUploadSize: Int { 65536 }
}

/// The headless auth API under `/v1/` (docs/contract.md A3) for apps that draw their own UI.
///
/// The tenant is chosen by the key in the request, never by an id: `X-Client-Id: pk_…` (public
/// first-party clients, from browsers and apps) or `Authorization: Bearer sk_…` (server calls of
/// confidential first-party clients). Only first-party clients may collect a user's password.
/// Tokens are the ones the OIDC endpoints issue. Errors use RFC 6749 codes in JSON.
struct HeadlessController {
    let services: Services

    /// Resolves the tenant and client, answers preflights, and applies the tenant's CORS origins.
    struct ResolutionMiddleware: RouterMiddleware {
        typealias Context = AppRequestContext
        let services: Services

        func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
            let origin = request.headers[.origin]
            if request.method == .options {
                // A preflight carries no client id; allow origins that some tenant allows. The actual
                // request is then checked against its own tenant's origins.
                return CORS.preflight(
                    origin: origin, allowed: origin.map(services.store.isOriginAllowedByAnyTenant) ?? false, methods: CORS.headlessMethods)
            }
            var response: Response
            var allowed = false
            do {
                let database = try await resolveTenant(request, hostTenant: context.hostTenant)
                // The tenant is known: its origins apply to everything that follows, errors included.
                allowed = origin.map { database.tenant.tenant.settings.allowedOrigins.contains($0) } ?? false
                let client = try await resolveClient(request, in: database)
                var context = context
                context.headlessClient = (database, client)
                context.issuer = services.issuer(of: database.tenant)
                // `HeadlessJSONErrors` answers every error of the routes.
                response = try await next(request, context)
            } catch let error as OAuthError {
                response = error.response(issuer: services.publicURL)
            }
            CORS.decorate(&response, origin: origin, allowed: allowed)
            return response
        }

        static let clientIDHeader = HTTPField.Name("X-Client-Id")!

        /// A secret key in `Authorization: Bearer sk_…`, if any.
        func secretKey(_ request: Request) -> String? {
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer sk_") else { return nil }
            return String(header.dropFirst(7))
        }

        /// The tenant owning the request's key: the secret key's, or the publishable key's.
        /// The tenant of the presented key; on a tenant's own host, only that tenant's keys are known.
        func resolveTenant(_ request: Request, hostTenant: ResolvedTenant?) async throws -> any TenantHandle {
            let unknown = OAuthError.invalidClient("unknown client")
            let tenant: ResolvedTenant
            if let secret = secretKey(request) {
                guard let (owner, _) = try await services.store.resolve(secretKey: secret) else { throw unknown }
                tenant = owner
            } else if let clientID = request.headers[Self.clientIDHeader] {
                guard let owner = try await services.store.resolve(clientID: clientID) else { throw unknown }
                tenant = owner
            } else {
                throw OAuthError.invalidClient("send X-Client-Id: pk_… (or Authorization: Bearer sk_… from a server)")
            }
            if let hostTenant, hostTenant.id != tenant.id { throw unknown }
            // Deleted since its key was looked up: unknown.
            guard let storage = try await services.store.liveStorage(for: tenant) else { throw unknown }
            return storage
        }

        /// The client of the request within its tenant, checked: confidential clients must present
        /// their secret key, and only first-party clients may collect passwords.
        func resolveClient(_ request: Request, in database: any TenantHandle) async throws -> Client {
            let unknown = OAuthError.invalidClient("unknown client")
            let clientID = request.headers[Self.clientIDHeader]
            let secret = secretKey(request)
            var resolvedID = clientID
            if let secret {
                guard let (_, id) = try await services.store.resolve(secretKey: secret) else { throw unknown }
                if let clientID, clientID != id { throw OAuthError.invalidRequest("X-Client-Id does not match the secret key") }
                resolvedID = id
            }
            guard let resolvedID, let client = try await database.client(clientID: resolvedID) else { throw unknown }
            if client.type == .confidential {
                guard let secret, client.secretMatches(secret, at: services.clock.now) else {
                    throw OAuthError.invalidClient("confidential clients authenticate with their secret key")
                }
                // A client registered for a JWT method (RFC 7523) never sends its secret: refusing
                // the bearer key keeps the method the only way in, here as at the token endpoint.
                if client.tokenEndpointAuthMethod?.isAssertion == true {
                    throw OAuthError.invalidClient(
                        "this client authenticates with \(client.tokenEndpointAuthMethod!.rawValue); the headless API takes secret keys only")
                }
            }
            guard client.firstParty else {
                throw OAuthError.unauthorizedClient("only first-party clients may use the headless API")
            }
            // RFC 9449 §5.2: such a client's tokens are always DPoP-bound; this API issues Bearer tokens.
            guard !client.dpopBoundAccessTokens else {
                throw OAuthError.unauthorizedClient("this client uses DPoP-bound tokens only (dpop_bound_access_tokens); the headless API issues Bearer tokens")
            }
            return client
        }
    }

    func register(on router: Router<AppRequestContext>) {
        let group = router.group("v1").add(middleware: ResolutionMiddleware(services: services))
            .group(context: HeadlessRequestContext.self).add(middleware: ErrorMiddleware(family: HeadlessJSONErrors()))
        group.post("auth/sign-in") { request, context in try await self.signIn(request, context) }
        group.post("auth/refresh") { request, context in try await self.refresh(request, context) }
        group.post("auth/sign-out") { request, context in try await self.signOut(request, context) }
        group.get("auth/session") { request, context in try await self.session(request, context) }
        group.get("me") { request, context in try await self.me(request, context) }
        group.post("auth/sign-up") { request, context in try await self.signUp(request, context) }
        group.post("auth/verify-email") { request, context in try await self.verifyEmail(request, context) }
        group.post("auth/mfa/verify") { request, context in try await self.verifyMFA(request, context) }
        group.post("auth/mfa/email") { request, context in try await self.sendMFAEmail(request, context) }
        for path in [
            "auth/sign-in", "auth/refresh", "auth/sign-out", "auth/session", "me", "auth/sign-up", "auth/verify-email",
            "auth/mfa/verify", "auth/mfa/email",
        ] {
            group.on(RouterPath(stringLiteral: path), method: .options) { _, _ in Response(status: .noContent) }
        }
        registerOrganizationRoutes(group)
        registerInvitationRoutes(group)
    }

    /// A JSON object body; malformed input is `invalid_request`.
    func body(_ request: Request) async throws -> JSONInput {
        do { return try await JSONInput(request, limit: services.configuration.maxBodyBytes) } catch let problem as ProblemDetails {
            throw OAuthError.invalidRequest(problem.detail)
        }
    }

    /// The validated access token of the `Authorization: Bearer` header, issued to this client.
    func bearer(_ request: Request, _ context: HeadlessRequestContext) async throws -> AccessTokenClaims {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
            !header.lowercased().hasPrefix("bearer sk_")
        else {
            throw OAuthError.invalidToken("an access token is required")
        }
        let tokens = try await services.tokenService(for: context.database)
        let claims = try await tokens.validateAccessToken(String(header.dropFirst(7)), store: context.database)
        guard claims.clientID == context.client.clientID else { throw OAuthError.invalidToken("the access token belongs to another client") }
        // RFC 9449 §7.2: a DPoP-bound token is not a bearer token; this API takes only the Bearer scheme.
        guard claims.cnf == nil else { throw OAuthError.invalidToken("the access token is DPoP-bound; this API accepts bearer tokens only") }
        return claims
    }

    /// The sign-in answer: the token response plus the session and the user.
    struct SignInResponse: Encodable {
        let tokens: TokenResponse
        let session: SessionView
        let user: UserView
        var recoveryCodes: [String]?

        enum CodingKeys: String, CodingKey {
            case session, user, status
            case recoveryCodes = "recovery_codes"
        }

        func encode(to encoder: any Encoder) throws {
            try tokens.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("signed_in", forKey: .status)
            try c.encode(session, forKey: .session)
            try c.encode(user, forKey: .user)
            try c.encodeIfPresent(recoveryCodes, forKey: .recoveryCodes)
        }
    }

    /// `POST /v1/auth/sign-in` `{"email","password","scope"?,"organization"?}`. With the scope
    /// `organization` (or a client that requires one), `organization` names the organization to act
    /// within by id or slug; a user with several organizations must name one (docs/contract.md A8).
    func signIn(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var input = try await body(request)
        input.rejectUnknown(["email", "password", "scope", "organization"])
        let email = input.string("email", required: true, maxLength: 320)
        let password = input.string("password", required: true, maxLength: 1024)
        let rawScope = input.string("scope", maxLength: 1000)
        let organization = input.string("organization", maxLength: 128)
        if let organization, !OrganizationRequest.isWellFormedName(organization) {
            input.fail("organization", "must be an organization id (org_…) or slug")
        }
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        let client = context.client
        var scope = client.permittedScopes.intersection([StandardScope.openid, StandardScope.profile, StandardScope.email])
        if let rawScope {
            do { scope = try ScopeSet(parsing: rawScope) } catch { throw OAuthError.invalidScope("scope is malformed") }
            guard scope.isSubset(of: client.requestableScopes), !scope.values.contains(where: AdminScope.isAdmin) else {
                throw OAuthError.invalidScope("scope not permitted for this client")
            }
        }
        if organization != nil, !scope.contains(StandardScope.organization), !client.organizationRequired {
            throw OAuthError.invalidRequest("organization is only accepted with the organization scope")
        }
        try await refuseEnforcedSSO(email!, context)
        guard
            let user = try await services.verifyCredentials(
                email: email!, password: password!, in: context.database,
                ip: context.remoteAddress)
        else {
            throw OAuthError.invalidGrant("incorrect email or password")
        }
        return try await proved(.firstFactor, user: user, amr: ["pwd"], scope: scope, named: organization, request, context)
    }

    /// Refuses a password sign-in or sign-up for an address whose organization enforces its SSO
    /// (docs/contract.md A8: `access_denied`; the user signs in through the browser, where the
    /// login page sends the address to the organization's provider). Decided by the domain alone,
    /// so the answer reveals no account; it costs no password hashing.
    func refuseEnforcedSSO(_ email: String, _ context: HeadlessRequestContext) async throws {
        let realm = try await HomeRealm.discover(email: email, in: context.database)
        if realm.refusesLocalSignIn, case .organization(_, let domain) = realm {
            throw OAuthError.accessDenied(
                "addresses at \(domain) sign in with their organization's single sign-on: use the browser sign-in (authorization endpoint)")
        }
    }

    /// Starts a session and a grant for `user` and answers with tokens.
    /// - Parameter organization: the organization the grant acts within (docs/contract.md A8).
    func issueSession(
        user: User, amr: [String], scope: ScopeSet, organization: OrganizationID? = nil, extra: [String: [String]] = [:],
        _ request: Request, _ context: HeadlessRequestContext
    ) async throws -> Response {
        let client = context.client
        let (session, _) = try await services.startSession(
            for: user, amr: amr, userAgent: request.headers[.userAgent],
            ipAddress: context.remoteAddress, in: context.database)
        let grant = Grant(
            id: .generate(at: services.clock.now), clientID: client.clientID, userID: user.id, sessionID: session.id,
            scope: scope, authTime: session.authTime, amr: session.amr, nonce: nil, organizationID: organization,
            createdAt: services.clock.now)
        try await context.database.insertGrant(grant)
        let tokens = try await TokenEndpoint.issueForNewGrant(
            grant, client: client, user: user,
            context: try await services.tokenContext(for: context.database))
        return Responses.json(
            SignInResponse(
                tokens: tokens, session: SessionView(session, device: false), user: UserView(user),
                recoveryCodes: extra["recovery_codes"]), noStore: true)
    }

    /// `POST /v1/auth/refresh` `{"refresh_token","scope"?,"organization"?}`: the refresh token
    /// grant with rotation; `organization` switches the grant to another of the user's
    /// organizations (`RefreshTokenGrant`).
    func refresh(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var input = try await body(request)
        input.rejectUnknown(["refresh_token", "scope", "organization"])
        let token = input.string("refresh_token", required: true, maxLength: 512)
        let scope = input.string("scope", maxLength: 1000)
        let organization = input.string("organization", maxLength: 128)
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        guard context.client.grantTypes.contains(.refreshToken) else {
            throw OAuthError.unauthorizedClient("client is not allowed to use refresh tokens")
        }
        var pairs = [("refresh_token", token!)]
        if let scope { pairs.append(("scope", scope)) }
        if let organization { pairs.append(("organization", organization)) }
        let response = try await RefreshTokenGrant.handle(
            FormParameters(pairs: pairs.map { (name: $0.0, value: $0.1) }),
            client: AuthenticatedClient(client: context.client, method: context.client.type == .public ? .none : .clientSecretBasic),
            context: try await services.tokenContext(for: context.database))
        return Responses.json(response, noStore: true)
    }

    /// `POST /v1/auth/sign-out`: ends the session of the bearer access token (or of `{"refresh_token"}`)
    /// and revokes its grants.
    func signOut(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var sessionID: SessionID?
        if request.headers[.authorization].map({ !$0.lowercased().hasPrefix("bearer sk_") }) ?? false {
            // A body sent beside the access token still has to be what the document allows.
            if request.headers[.contentType] != nil {
                var input = try await body(request)
                input.rejectUnknown(["refresh_token"])
                _ = input.string("refresh_token", maxLength: 512)
                if !input.errors.isEmpty {
                    throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; "))
                }
            }
            sessionID = try await bearer(request, context).sid.flatMap(SessionID.init(rawValue:))
        } else {
            var input = try await body(request)
            input.rejectUnknown(["refresh_token"])
            let token = input.string("refresh_token", required: true, maxLength: 512)
            if !input.errors.isEmpty || token == nil {
                throw OAuthError.invalidRequest(
                    "send a bearer access token or {\"refresh_token\"}: "
                        + input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; "))
            }
            if let refresh = try await context.database.refreshToken(hash: SecretHash.of(token!)),
                let grant = try await context.database.grant(id: refresh.grantID), grant.clientID == context.client.clientID
            {
                sessionID = grant.sessionID
                try await context.database.revokeGrant(id: grant.id, at: services.clock.now)
            }
        }
        if let sessionID {
            let owner = try await context.database.session(id: sessionID)?.userID
            let entry = AuditDraft(
                type: "session.revoked", actor: owner.map(AuditActor.user) ?? .client(context.client.clientID), targetType: "session",
                targetID: sessionID.rawValue, userID: owner?.rawValue, ip: context.remoteAddress,
                userAgent: request.headers[.userAgent], data: .object(["reason": .string("logout")]))
            try await services.audited([entry], in: context.database) {
                try await context.database.endSession(id: sessionID, at: services.clock.now)
            }
        }
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    /// `GET /v1/auth/session`: the session behind the bearer access token.
    func session(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let claims = try await bearer(request, context)
        guard let id = claims.sid.flatMap(SessionID.init(rawValue:)), let session = try await context.database.session(id: id),
            session.isActive(at: services.clock.now)
        else {
            throw OAuthError.invalidToken("the access token has no active session")
        }
        return Responses.json(["session": SessionView(session, device: false)], noStore: true)
    }

    /// `GET /v1/me`: the signed-in user.
    func me(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let claims = try await bearer(request, context)
        guard let id = UserID(rawValue: claims.sub), let user = try await context.database.user(id: id), !user.disabled else {
            throw OAuthError.invalidToken("the access token's subject is not an active user")
        }
        return Responses.json(UserView(user), noStore: true)
    }
}
