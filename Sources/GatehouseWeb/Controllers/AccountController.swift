import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The account console at `{issuer}/account`: a first-party public client of the tenant that
/// signs in through the tenant's own authorization endpoint (code + PKCE) and token endpoint,
/// then shows the user's profile and sessions.
struct AccountController {
    let services: Services
    /// The console client of each tenant, made sure of once per process (keyed by tenant).
    let ensured = ConsoleClients()

    static let builtin = "account-console"

    final class ConsoleClients: Sendable {
        let clients = Mutex<[TenantID: Client]>([:])
    }

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.get("account") { request, context in try await self.show(request, context) }
        group.get("account/callback") { request, context in try await self.callback(request, context) }
        group.post("account/sessions/:session/revoke") { request, context in
            try await self.revokeSession(request, context)
        }
        group.post("account/logout") { request, context in try await self.signOut(request, context) }
        registerSecurityRoutes(group)
        registerInvitationRoutes(group)
    }

    var consolePath: (TenantRequestContext) -> String { { [services] in "\(services.basePath(of: $0.tenant))/account" } }

    /// The tenant's console client, created or brought up to date with the public URL.
    func consoleClient(_ context: TenantRequestContext) async throws -> Client {
        let tenant = context.tenant
        if let client = ensured.clients.withLock({ $0[tenant.id] }) { return client }
        let redirect = services.issuer(of: tenant) + "/account/callback"
        var client: Client
        if let existing = try await context.database.builtinClient(Self.builtin) {
            client = existing
            if client.redirectURIs != [redirect] {
                client.redirectURIs = [redirect]
                client.postLogoutRedirectURIs = [services.issuer(of: tenant) + "/account"]
                try await context.database.updateClient(client)
            }
        } else {
            let now = services.clock.now
            client = Client(
                id: .generate(at: now), clientID: ClientKeys.publishableKey(environment: tenant.tenant.environment),
                name: "Account console", type: .public, secretHash: nil, redirectURIs: [redirect],
                postLogoutRedirectURIs: [services.issuer(of: tenant) + "/account"], grantTypes: [.authorizationCode],
                firstParty: true, allowedScopes: [StandardScope.openid, StandardScope.profile, StandardScope.email],
                createdAt: now)
            try await services.store.registerClient(client, in: tenant, builtin: Self.builtin)
        }
        ensured.clients.withLock { $0[tenant.id] = client }
        return client
    }

    /// The console's signed-in state: a valid access token of the console client in its cookie.
    func consoleToken(_ request: Request, _ context: TenantRequestContext, client: Client) async throws -> AccessTokenClaims? {
        guard let token = TenantCookie.console.value(in: request) else { return nil }
        let tokens = try await services.tokenService(for: context.database)
        guard let claims = try? await tokens.validateAccessToken(token, store: context.database),
            claims.clientID == client.clientID
        else { return nil }
        return claims
    }

    func show(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let client = try await consoleClient(context)
        guard let claims = try await consoleToken(request, context, client: client),
            let userID = UserID(rawValue: claims.sub), let user = try await context.database.user(id: userID)
        else {
            return try await startSignIn(context, client: client)
        }
        if let raw = request.queryParameters["continue"], let page = continuePage(raw, claims: claims, context) { return page }
        let now = services.clock.now
        let sessions = try await context.database.sessions(userID: user.id).filter { $0.isActive(at: now) }
        let csrf = services.csrfToken(binding: claims.jti, purpose: "account")
        let formatter = ISO8601DateFormatter()
        var values: [String: Any] = [
            "user": [
                "id": user.id.rawValue, "email": user.email, "name": user.name ?? "", "email_verified": user.emailVerified,
                // docs/contract.md A9: the user reads their public metadata, never the private one.
                "public_metadata": user.publicMetadata.keys.sorted().map { key -> [String: Any] in
                    let value = user.publicMetadata[key]!
                    return ["key": key, "value": value.string ?? String(decoding: CustomClaims.encode(value), as: UTF8.self)]
                },
            ] as [String: Any],
            "sessions": sessions.map { session -> [String: Any] in
                var entry: [String: Any] = [
                    "id": session.id.rawValue, "created_at": formatter.string(from: session.createdAt),
                    "expires_at": formatter.string(from: session.expiresAt), "current": session.id.rawValue == claims.sid,
                    "revoke_action": "\(consolePath(context))/sessions/\(session.id.rawValue)/revoke",
                ]
                if let agent = session.userAgent { entry["user_agent"] = agent }
                if let ip = session.ipAddress { entry["ip"] = ip }
                return entry
            },
            "csrf_token": csrf,
            "logout_action": "\(consolePath(context))/logout",
        ]
        if let notice = request.queryParameters["notice"].flatMap({ Self.notices[$0] }) { values["notice"] = notice }
        if let refusal = request.queryParameters["notice"].flatMap({ Self.refusals[$0] }) { values["error"] = refusal }
        try await addSecurityValues(&values, user: user, context)
        return Responses.html(
            services.pages.render(
                "account", chrome: BrowserFlowController(services: services).chrome("Your account", context),
                values: values))
    }

    /// Sends the browser to the tenant's authorization endpoint as the console client; for a
    /// step-up with `prompt=login` and `max_age` (OIDC Core §3.1.2.1), so that the user
    /// authenticates again even with a live session.
    /// An invitation's sign-in (`AccountController+Invitations`) passes the invited address as
    /// `login_hint` and asks for `prompt=login` when another account is signed in.
    /// The device verification page (`DeviceController`) passes its own `marker`.
    func startSignIn(
        _ context: TenantRequestContext, client: Client, stepUp: StepUpAction? = nil,
        invitation: (loginHint: String, prompt: Bool)? = nil, marker custom: String? = nil
    ) async throws -> Response {
        let state = RandomText.bearerSecret()
        let verifier = RandomText.bearerSecret() + RandomText.bearerSecret()
        var parameters = [
            ("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", client.redirectURIs[0]),
            ("scope", "openid profile email"), ("state", state),
            ("code_challenge", PKCE.s256Challenge(for: verifier)), ("code_challenge_method", "S256"),
        ]
        if stepUp != nil { parameters += [("prompt", "login"), ("max_age", String(services.configuration.stepUpMaxAge))] }
        if let invitation {
            parameters.append(("login_hint", invitation.loginHint))
            if invitation.prompt { parameters.append(("prompt", "login")) }
        }
        let query = FormParameters.encode(parameters)
        var response = Responses.redirect(to: "\(services.basePath(of: context.tenant))\(ProviderMetadata.Path.authorization)?\(query)")
        let marker = custom ?? stepUp?.rawValue ?? (invitation != nil ? Self.invitationMarker : nil)
        let flow = "\(state).\(verifier)" + (marker.map { ".\($0)" } ?? "")
        response.setCookie(
            TenantCookie.consoleFlow.make(
                flow, tenant: context.tenant, services: services,
                maxAge: Int(Interaction.lifetime), path: consolePath(context)))
        return response
    }

    /// The console's redirect URI: checks `state` and `iss` (RFC 9207 §2.4), redeems the code
    /// with PKCE through the token endpoint's grant handler, keeps the access token in a cookie.
    func callback(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let client = try await consoleClient(context)
        let query = request.queryParameters
        let flow = TenantCookie.consoleFlow.value(in: request)?.split(separator: ".").map(String.init) ?? []
        guard flow.count >= 2, let state = query["state"], ConstantTime.equals(flow[0], state) else {
            return try await startSignIn(context, client: client)
        }
        guard query["iss"] == services.issuer(of: context.tenant) else {
            throw OAuthError.invalidRequest("the authorization response came from another issuer")
        }
        if let error = query["error"] {
            throw OAuthError(OAuthError.Code(rawValue: error), query["error_description"] ?? "sign-in did not complete")
        }
        guard let code = query["code"] else { throw OAuthError.invalidRequest("code is missing") }
        let tokenRequest = FormParameters(pairs: [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirectURIs[0]),
            ("client_id", client.clientID), ("code_verifier", flow[1]),
        ])
        let tokens = try await TokenEndpoint.handle(
            parameters: tokenRequest, authorization: nil,
            context: try await services.tokenContext(for: context.database))
        var response: Response
        if flow.count > 2, flow[2] == Self.invitationMarker {
            response = try await finishInvitation(accessToken: tokens.accessToken, request, context)
        } else if flow.count > 2, let page = DeviceController.returnPath(marker: flow[2], services.basePath(of: context.tenant)) {
            response = Responses.redirect(to: page)
        } else {
            response = Responses.redirect(to: flow.count > 2 ? afterStepUp(flow[2], context) : consolePath(context))
        }
        response.setCookie(
            TenantCookie.console.make(
                tokens.accessToken, tenant: context.tenant, services: services,
                maxAge: tokens.expiresIn, path: consolePath(context)))
        response.setCookie(TenantCookie.consoleFlow.clear(tenant: context.tenant, services: services, path: consolePath(context)))
        return response
    }

    /// Checks the console form's CSRF token and returns the signed-in claims.
    func authorizedForm(_ request: Request, _ context: TenantRequestContext) async throws -> AccessTokenClaims {
        try await authorizedFormWithFields(request, context).claims
    }

    /// Checks the console form's CSRF token; returns the signed-in claims and the form.
    func authorizedFormWithFields(_ request: Request, _ context: TenantRequestContext) async throws -> (claims: AccessTokenClaims, form: FormParameters) {
        let client = try await consoleClient(context)
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        guard let claims = try await consoleToken(request, context, client: client),
            services.checkCSRF(form["csrf_token"], binding: claims.jti, purpose: "account")
        else {
            throw OAuthError.invalidRequest("The form expired. Reload the account page and try again.")
        }
        return (claims, form)
    }

    func revokeSession(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let claims = try await authorizedForm(request, context)
        guard let raw = context.parameters.get("session"), let id = SessionID(rawValue: raw),
            let session = try await context.database.session(id: id), session.userID.rawValue == claims.sub
        else {
            throw OAuthError.invalidRequest("unknown session")
        }
        try await services.auditedAccount("session.revoked", user: session.userID, target: ("session", id.rawValue), request, context) {
            try await context.database.endSession(id: id, at: services.clock.now)
        }
        return Responses.redirect(to: "\(consolePath(context))?notice=session-revoked")
    }

    /// Signs out of the console and ends the SSO session it runs in.
    func signOut(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let claims = try await authorizedForm(request, context)
        if let sid = claims.sid.flatMap(SessionID.init(rawValue:)), let user = UserID(rawValue: claims.sub) {
            try await services.auditedAccount(
                "session.revoked", user: user, target: ("session", sid.rawValue), data: .object(["reason": .string("sign_out")]), request,
                context
            ) { try await context.database.endSession(id: sid, at: services.clock.now) }
        }
        let flow = BrowserFlowController(services: services)
        var response = Responses.html(services.pages.render("logged_out", chrome: flow.chrome("Signed out", context), values: [:]))
        response.setCookie(TenantCookie.console.clear(tenant: context.tenant, services: services, path: consolePath(context)))
        response.setCookie(TenantCookie.session.clear(tenant: context.tenant, services: services))
        return response
    }
}
