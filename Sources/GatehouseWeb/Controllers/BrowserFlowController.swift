import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The browser-facing flow of a tenant: the authorization endpoint, the login and consent pages
/// and RP-initiated logout.
struct BrowserFlowController {
    let services: Services

    func register(on group: RouterGroup<TenantRequestContext>) {
        // OIDC Core §3.1.2.1: the authorization endpoint supports GET and POST.
        group.get("authorize") { request, context in
            try await self.authorize(request, context, parameters: request.queryParameters)
        }
        group.post("authorize") { request, context in
            try await self.authorizeByPost(request, context)
        }
        group.get("login") { request, context in try await self.showLogin(request, context) }
        group.post("login") { request, context in try await self.submitLogin(request, context) }
        group.get("consent") { request, context in try await self.showConsent(request, context) }
        group.post("consent") { request, context in try await self.submitConsent(request, context) }
        group.get("organization") { request, context in try await self.showOrganizationPicker(request, context) }
        group.post("organization") { request, context in try await self.submitOrganization(request, context) }
        group.get("logout") { request, context in
            try await self.logout(request, context, parameters: request.queryParameters, confirmed: false)
        }
        group.post("logout") { request, context in
            let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
            return try await self.logout(request, context, parameters: form, confirmed: form["decision"] != nil)
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
                "error": error.code.rawValue, "error_description": error.description, "request_id": context.requestID,
            ])
        return Responses.html(body, status: status)
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

    /// The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2); a `request_uri` of a
    /// pushed request stands for the parameters pushed (RFC 9126 §4).
    func authorize(_ request: Request, _ context: TenantRequestContext, parameters query: FormParameters) async throws -> Response {
        let parameters: FormParameters
        do {
            let pushed = try await PushedAuthorization.resolve(
                query, store: context.database, now: services.clock.now, required: try await pushRequired(query, context))
            // RFC 9101 §6.3: a request object stands for the whole request.
            parameters = try await RequestObject.resolve(
                pushed, issuer: services.issuer(of: context.tenant),
                keys: services.clientAssertions(for: context.database, endpoint: ProviderMetadata.Path.authorization), now: services.clock.now,
                findClient: context.database.client(clientID:))
        } catch let error as OAuthError {
            return errorPage(error, context)
        }
        let tenant = context.tenant
        let issuer = services.issuer(of: tenant)
        switch try await AuthorizationEndpoint.validate(parameters, tenant: tenant.tenant, findClient: context.database.client(clientID:)) {
        case .errorPage(let error):
            return errorPage(error, context)
        case .errorRedirect(let error, let target):
            return respond(target, target.failure(error, issuer: issuer), context)
        case .accepted(var authorization, let client):
            // RFC 9126 §6: a client registered with require_pushed_authorization_requests.
            if client.requirePushedAuthorizationRequests, query["request_uri"] == nil {
                return errorPage(.invalidRequest("this client's authorization requests must be pushed first (RFC 9126 §6)").notRedirectable, context)
            }
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
            var organizations: [OrganizationOption] = []
            if let (_, user) = current {
                consent = try await context.database.consent(userID: user.id, clientID: client.clientID)
                organizations = try await services.organizationOptions(
                    of: user.id, for: authorization.organizationRequest(client: client), in: context.database)
            }
            return try await advance(
                .requestValidated(session: current?.0, consent: consent, organizations: organizations), interaction: nil,
                authorization: authorization, client: client, request, context)
        }
    }

    /// Whether the tenant's `require_pushed_authorization_requests` applies to this request: not to
    /// the tenant's built-in clients (the account console's and the admin console's), which the
    /// server itself sends here; requiring a push of them would lock every user out of both
    /// consoles, including the administrators who could turn the setting off.
    func pushRequired(_ query: FormParameters, _ context: TenantRequestContext) async throws -> Bool {
        guard context.tenant.tenant.settings.requirePushedAuthorizationRequests else { return false }
        guard let clientID = query["client_id"], let client = try await context.database.client(clientID: clientID) else { return true }
        return try await !AdminController.isBuiltin(client, in: context.database)
    }

    /// A new grant and authorization code for a session (not yet stored).
    /// - Parameter organization: the organization the grant acts within (docs/contract.md A8).
    func makeCode(
        _ authorization: AuthorizationRequest, client: Client, session: Session, organization: OrganizationID?,
        _ context: TenantRequestContext
    ) -> (grant: Grant, record: AuthorizationCode, code: String) {
        let now = services.clock.now
        let code = RandomText.bearerSecret()
        var grant = Grant(
            id: .generate(at: now), clientID: client.clientID, userID: session.userID, sessionID: session.id,
            scope: authorization.scope, authTime: session.authTime, amr: session.amr, nonce: authorization.nonce,
            organizationID: organization, claimsRequest: authorization.claims, createdAt: now)
        grant.resources = authorization.resources
        let record = AuthorizationCode(
            codeHash: SecretHash.of(code), grantID: grant.id, clientID: client.clientID, redirectURI: authorization.redirectURI,
            redirectURIWasSent: authorization.redirectURIWasSent, codeChallenge: authorization.codeChallenge,
            expiresAt: now.addingTimeInterval(TimeInterval(context.tenant.tenant.settings.authorizationCodeTTL)))
        return (grant, record, code)
    }
}
