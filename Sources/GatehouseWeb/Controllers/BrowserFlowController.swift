import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import GatehouseThreads

/// The browser-facing flow of a tenant: the authorization endpoint, the login and consent pages
/// and RP-initiated logout.
struct BrowserFlowController {
    let services: Services

    func register(on group: RouterGroup<TenantRequestContext>) {
        // OIDC Core §3.1.2.1: the authorization endpoint supports GET and POST.
        group.get("authorize") { request, context in
            await self.page(context) { try await self.authorize(request, context, parameters: request.queryParameters) }
        }
        group.post("authorize") { request, context in
            await self.page(context) { try await self.authorizeByPost(request, context) }
        }
        group.get("login") { request, context in await self.page(context) { try await self.showLogin(request, context) } }
        group.post("login") { request, context in await self.page(context) { try await self.submitLogin(request, context) } }
        group.get("consent") { request, context in await self.page(context) { try await self.showConsent(request, context) } }
        group.post("consent") { request, context in await self.page(context) { try await self.submitConsent(request, context) } }
        group.get("logout") { request, context in
            await self.page(context) { try await self.logout(request, context, parameters: request.queryParameters, confirmed: false) }
        }
        group.post("logout") { request, context in
            await self.page(context) {
                let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
                return try await self.logout(request, context, parameters: form, confirmed: form["decision"] != nil)
            }
        }
    }

    // MARK: Pages and errors

    func chrome(_ title: String, _ context: TenantRequestContext) -> PageRenderer.Chrome {
        var chrome = PageRenderer.Chrome(
            title: title, tenantName: context.tenant.tenant.name, tenantSlug: context.tenant.slug,
            database: context.database)
        chrome.basePath = services.basePath(of: context.tenant)
        return chrome
    }

    /// An error page; used whenever the redirect URI cannot be trusted (never redirects).
    func errorPage(_ error: OAuthError, status: HTTPResponse.Status = .badRequest, _ context: TenantRequestContext) -> Response {
        let body = services.pages.render(
            "error", chrome: chrome("Something went wrong", context),
            values: [
                "error": error.code.rawValue, "error_description": error.description, "request_id": context.id,
            ])
        return Responses.html(body, status: status)
    }

    /// Runs a page handler; OAuth errors become error pages, other failures a logged 500 page.
    func page(_ context: TenantRequestContext, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as OAuthError {
            return errorPage(error, context)
        } catch is ThreadPool.Busy {
            var response = errorPage(.temporarilyUnavailable("Too many sign-ins at once. Try again in a moment."), status: .serviceUnavailable, context)
            response.headers[.retryAfter] = "1"
            return response
        } catch let refused as SignInThrottle.Refused {
            // A throttle or per-IP limit (e.g. the account console's emails and password check).
            var response = errorPage(
                .temporarilyUnavailable("Too many attempts. Try again in \(refused.retryAfter) seconds."),
                status: .tooManyRequests, context)
            response.headers[.retryAfter] = String(refused.retryAfter)
            return response
        } catch {
            context.logger.error("page failed", metadata: ["error": "\(error)"])
            return errorPage(.serverError("An internal error occurred."), status: .internalServerError, context)
        }
    }

    var issuerPath: (TenantRequestContext) -> String { { [services] in services.basePath(of: $0.tenant) } }

    // MARK: Authorization endpoint

    /// An authorization request sent by POST (OIDC Core §3.1.2.1: "Authorization Servers MUST
    /// support the use of the HTTP GET and POST methods").
    ///
    /// The same request comes back as a 303 to the endpoint by GET. A POST from another site
    /// carries no `SameSite=Lax` cookie, so the signed-in user would look signed out; the browser
    /// follows a 303 with a top-level GET navigation, which does carry Lax cookies. The session
    /// cookie stays Lax, so the login, consent and console forms keep refusing cross-site POSTs.
    func authorizeByPost(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let parameters = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let query = FormParameters.encode(parameters.pairs.map { ($0.name, $0.value) })
        return Response(
            status: .seeOther,
            headers: [
                .location: request.uri.path + (query.isEmpty ? "" : "?" + query),
                .cacheControl: "no-store",
            ])
    }

    /// The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2).
    func authorize(_ request: Request, _ context: TenantRequestContext, parameters: FormParameters) async throws -> Response {
        let tenant = context.tenant
        let issuer = services.issuer(of: tenant)
        switch try await AuthorizationEndpoint.validate(parameters, tenant: tenant.tenant, findClient: context.database.client(clientID:)) {
        case .errorPage(let error):
            return errorPage(error, context)
        case .errorRedirect(let error, let target):
            return respond(target, target.failure(error, issuer: issuer), context)
        case .accepted(var authorization, let client):
            if let hint = parameters["id_token_hint"] {
                // OIDC Core §3.1.2.1: an ID token this issuer signed (an expired one is accepted).
                let tokens = try await services.tokenService(for: context.database)
                guard let claims = tokens.readIDTokenHint(hint) else {
                    let error = OAuthError.invalidRequest("id_token_hint is not an ID token of this issuer")
                    return respond(target(of: authorization), target(of: authorization).failure(error, issuer: issuer), context)
                }
                authorization.idTokenHintSubject = claims.sub
            }
            let current = try await currentSession(request, context)
            var consent: Consent?
            if let (_, user) = current { consent = try await context.database.consent(userID: user.id, clientID: client.clientID) }
            return try await advance(
                .requestValidated(session: current?.0, consent: consent), interaction: nil, authorization: authorization,
                client: client, session: current?.0, request, context)
        }
    }

    /// A new grant and authorization code for a session (not yet stored).
    func makeCode(
        _ authorization: AuthorizationRequest, client: Client, session: Session,
        _ context: TenantRequestContext
    ) -> (grant: Grant, record: AuthorizationCode, code: String) {
        let now = services.clock.now
        let code = RandomText.bearerSecret()
        let grant = Grant(
            id: .generate(at: now), clientID: client.clientID, userID: session.userID, sessionID: session.id,
            scope: authorization.scope, authTime: session.authTime, amr: session.amr, nonce: authorization.nonce,
            createdAt: now)
        let record = AuthorizationCode(
            codeHash: SecretHash.of(code), grantID: grant.id, clientID: client.clientID, redirectURI: authorization.redirectURI,
            redirectURIWasSent: authorization.redirectURIWasSent, codeChallenge: authorization.codeChallenge,
            expiresAt: now.addingTimeInterval(TimeInterval(context.tenant.tenant.settings.authorizationCodeTTL)))
        return (grant, record, code)
    }

    // MARK: Interactions

    /// Loads an interaction for this browser: it must exist, be unexpired and bound to the
    /// browser cookie; for form posts the CSRF token must match too.
    func loadInteraction(
        _ id: String?, csrf: String?, requireCSRF: Bool, _ request: Request,
        _ context: TenantRequestContext
    ) async throws -> (Interaction, Client) {
        let expired = OAuthError.invalidRequest("This sign-in link has expired or was opened in another browser. Go back to the application and try again.")
        guard let id, id.utf8.count <= 64, let interaction = try await context.database.interaction(id: id),
            services.clock.now < interaction.expiresAt,
            let binding = TenantCookie.browser.value(in: request),
            ConstantTime.equals(SecretHash.of(binding), interaction.browserBindingHash)
        else { throw expired }
        if requireCSRF {
            guard let csrf, ConstantTime.equals(csrf, interaction.csrfToken) else {
                throw OAuthError.invalidRequest("The form expired. Go back to the application and try again.")
            }
        }
        guard let client = try await context.database.client(clientID: interaction.request.clientID) else { throw expired }
        return (interaction, client)
    }

    /// `form-action` sources for pages whose form may end in a redirect to the client.
    func formActions(for interaction: Interaction) -> [String] {
        Self.sourceExpression(for: interaction.request.redirectURI).map { [$0] } ?? []
    }

    func renderLogin(
        _ interaction: Interaction, client: Client, email: String?, error: String?, status: HTTPResponse.Status,
        _ context: TenantRequestContext
    ) -> Response {
        var values: [String: Any] = [
            "action": "\(issuerPath(context))\(ProviderMetadata.Path.login)",
            "interaction_id": interaction.id, "csrf_token": interaction.csrfToken, "client_name": client.name,
        ]
        if let email { values["email"] = email }
        if let error { values["error"] = error }
        let providers = FederationController.loginButtons(context, interaction: interaction, basePath: issuerPath(context))
        if !providers.isEmpty { values["providers"] = providers; values["has_providers"] = true }
        let settings = context.tenant.tenant.settings
        let base = issuerPath(context)
        values["forgot_url"] = "\(base)/forgot?interaction=\(interaction.id)"
        if settings.selfSignup { values["signup_url"] = "\(base)/signup?interaction=\(interaction.id)" }
        if settings.magicLink { values["magic_link_action"] = "\(base)/magic-link" }
        let body = services.pages.render("login", chrome: chrome("Sign in", context), values: values)
        return Responses.html(body, status: status, formActions: formActions(for: interaction))
    }

    func showLogin(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (interaction, client) = try await loadInteraction(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false,
            request, context)
        if let hinted = FederationController.hintedStart(interaction, context, basePath: issuerPath(context)) { return hinted }
        return renderLogin(interaction, client: client, email: interaction.request.loginHint, error: nil, status: .ok, context)
    }

    /// The login form post: checks the credentials (Argon2id on the bounded pool, a decoy hash
    /// for unknown accounts), then signs the browser in and continues the authorization.
    func submitLogin(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, client) = try await loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            request, context)
        let rawEmail = form["email"] ?? ""
        let user: User?
        do {
            user = try await services.verifyCredentials(
                email: rawEmail, password: form["password"] ?? "", in: context.database,
                ip: context.remoteAddress)
        } catch let refused as SignInThrottle.Refused {
            var response = renderLogin(
                interaction, client: client, email: rawEmail,
                error: "Too many attempts. Try again in \(refused.retryAfter) seconds.", status: .tooManyRequests, context)
            response.headers[.retryAfter] = String(refused.retryAfter)
            return response
        }
        guard let user else {
            return renderLogin(
                interaction, client: client, email: rawEmail, error: "Incorrect email or password.",
                status: .unauthorized, context)
        }
        return try await proved(.firstFactor, interaction, client: client, user: user, amr: ["pwd"], request, context)
    }

    /// Records the sign-in waiting for its next step; its id is the interaction's.
    func savePending(
        _ interaction: Interaction, client: Client, user: User, amr: [String], stage: PendingSignIn.Stage,
        _ context: TenantRequestContext
    ) async throws {
        let now = services.clock.now
        try await context.database.savePendingSignIn(
            PendingSignIn(
                idHash: SecretHash.of(interaction.id), userID: user.id, clientID: client.clientID, amr: amr, stage: stage,
                createdAt: now, expiresAt: min(interaction.expiresAt, now.addingTimeInterval(PendingSignIn.lifetime))))
    }

    /// A 303 to one of the tenant's interaction pages.
    func redirect(to page: String, _ interaction: Interaction, _ context: TenantRequestContext, cookies: [Cookie] = []) -> Response {
        var response = Responses.redirect(to: "\(issuerPath(context))\(page)?interaction=\(interaction.id)")
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }
}
