import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The admin console at `{public_url}/admin` (docs/contract.md A10): server-rendered pages for the
/// instance's operators. An operator signs in as a user of the operators' directory
/// (`OperatorDirectory`) through that directory's own authorization endpoint (code + PKCE, the
/// built-in client `admin-console`), where its MFA policy `required` enrols and asks for TOTP.
/// The callback turns the sign-in into a console session cookie (`ConsoleSession`). Console pages
/// render the built-in templates only: no tenant's overrides ever apply to them.
struct ConsoleController {
    let services: Services
    /// The console client, made sure of once per process (keyed by the directory's tenant id).
    let ensured = Clients()

    static let builtin = "admin-console"
    static let path = "/admin"

    final class Clients: Sendable {
        let clients = Mutex<[TenantID: Client]>([:])
    }

    /// A signed-in operator: the directory's handle, the operator and the console session.
    struct SignedInOperator {
        let directory: any TenantHandle
        let user: User
        let session: ConsoleSession
        var csrf: String
    }

    func register(on router: Router<AppRequestContext>) {
        let console = router.group("admin").add(middleware: ErrorMiddleware(family: ConsoleErrors(services: services)))
        console.get { request, context in try await self.home(request, context) }
        console.get("callback") { request, context in try await self.callback(request, context) }
        console.post("logout") { request, context in try await self.signOut(request, context) }
        registerTenantRoutes(console)
        registerUserRoutes(console)
        registerClientRoutes(console)
        registerAuditRoutes(console)
        registerWebhookRoutes(console)
        registerKeyRoutes(console)
        registerTemplateRoutes(console)
    }

    /// The page chrome of every console page: the built-in templates, no tenant's overrides.
    func chrome(_ title: String) -> PageRenderer.Chrome {
        var chrome = PageRenderer.Chrome(title: title, tenantName: "Gatehouse admin", tenantSlug: "", database: nil)
        chrome.basePath = Self.path
        return chrome
    }

    /// A console page (`admin_*` template) with the signed-in operator's values, its session cookie renewed.
    func page(
        _ template: String, title: String, values: [String: Any], signedIn: SignedInOperator, status: HTTPResponse.Status = .ok,
        framesSelf: Bool = false
    ) -> Response {
        var values = values
        values["operator_email"] = signedIn.user.email
        values["csrf_token"] = signedIn.csrf
        values["logout_action"] = "\(Self.path)/logout"
        values["console_path"] = Self.path
        var response = Responses.html(
            services.pages.render(template, chrome: chrome(title), values: values), status: status, framesSelf: framesSelf)
        response.setCookie(signedIn.session.renewed(at: services.clock.now).cookie(services))
        return response
    }

    /// A redirect within the console, its session cookie renewed.
    func redirect(_ location: String, signedIn: SignedInOperator) -> Response {
        var response = Responses.redirect(to: location)
        response.setCookie(signedIn.session.renewed(at: services.clock.now).cookie(services))
        return response
    }

    // MARK: Signing in

    /// The directory's console client, created or brought up to date with the public URL.
    func consoleClient(_ directory: any TenantHandle) async throws -> Client {
        let tenant = directory.tenant
        if let client = ensured.clients.withLock({ $0[tenant.id] }) { return client }
        let redirect = services.publicURL + Self.path + "/callback"
        var client: Client
        if let existing = try await directory.builtinClient(Self.builtin) {
            client = existing
            if client.redirectURIs != [redirect] {
                client.redirectURIs = [redirect]
                client.postLogoutRedirectURIs = [services.publicURL + Self.path]
                try await directory.updateClient(client)
            }
        } else {
            let now = services.clock.now
            client = Client(
                id: .generate(at: now), clientID: ClientKeys.publishableKey(environment: tenant.tenant.environment),
                name: "Admin console", type: .public, secretHash: nil, redirectURIs: [redirect],
                postLogoutRedirectURIs: [services.publicURL + Self.path], grantTypes: [.authorizationCode],
                firstParty: true, allowedScopes: [StandardScope.openid, StandardScope.email], createdAt: now)
            try await services.store.registerClient(client, in: tenant, builtin: Self.builtin)
        }
        ensured.clients.withLock { $0[tenant.id] = client }
        return client
    }

    /// The operator signed in to the console, or nil: a valid, unexpired console session cookie
    /// whose SSO session of the directory is still active and whose operator still exists.
    func currentOperator(_ request: Request) async throws -> SignedInOperator? {
        let now = services.clock.now
        guard let raw = request.cookies[ConsoleSession.cookieName]?.value,
            let session = ConsoleSession(cookie: raw, services: services, now: now),
            let tenant = try await OperatorDirectory.find(services)
        else { return nil }
        let directory = try await services.store.storage(for: tenant)
        guard let stored = try await directory.session(id: session.sessionID), stored.isActive(at: now), stored.userID == session.userID,
            let user = try await directory.user(id: session.userID), !user.disabled
        else { return nil }
        return SignedInOperator(
            directory: directory, user: user, session: session,
            csrf: services.csrfToken(binding: session.sessionID.rawValue, purpose: "admin-console"))
    }

    /// A page request's operator, or the response that sends the browser to sign in first.
    enum Gate {
        case signedIn(SignedInOperator)
        case signIn(Response)
    }

    /// The signed-in operator, or a response sending the browser to sign in first.
    func requireOperator(_ request: Request) async throws -> Gate {
        if let signedIn = try await currentOperator(request) { return .signedIn(signedIn) }
        return .signIn(try await startSignIn())
    }

    /// The signed-in operator of a console form whose CSRF token is right.
    /// - Throws: `OAuthError.invalidRequest` (a 400 page) when the session or the token is missing or wrong.
    func authorizedForm(_ request: Request) async throws -> (SignedInOperator, FormParameters) {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        guard let signedIn = try await currentOperator(request),
            services.checkCSRF(form["csrf_token"], binding: signedIn.session.sessionID.rawValue, purpose: "admin-console")
        else {
            throw OAuthError.invalidRequest("The form expired or did not come from the console. Reload the page and try again.")
        }
        return (signedIn, form)
    }

    /// `/admin`: the tenants for a signed-in operator; otherwise the sign-in.
    func home(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let signedIn = try await currentOperator(request) else { return try await startSignIn() }
        return redirect("\(Self.path)/tenants", signedIn: signedIn)
    }

    /// Sends the browser to the directory's authorization endpoint as the console client (RFC
    /// 6749 §4.1.1 with PKCE S256, RFC 7636 §4.3); `state` and the verifier wait in a cookie.
    /// Before the first operator exists the page says how to make one.
    func startSignIn() async throws -> Response {
        guard let tenant = try await OperatorDirectory.find(services) else {
            let body = services.pages.render(
                "message", chrome: chrome("Admin console"),
                values: [
                    "heading": "No operator yet",
                    "message": "Create the first operator with: gatehouse operator create --email … --password …, then reload this page.",
                ])
            return Responses.html(body, status: .serviceUnavailable)
        }
        let client = try await consoleClient(try await services.store.storage(for: tenant))
        let state = RandomText.bearerSecret()
        let verifier = RandomText.bearerSecret() + RandomText.bearerSecret()
        let query = FormParameters.encode([
            ("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", client.redirectURIs[0]),
            ("scope", "openid email"), ("state", state),
            ("code_challenge", PKCE.s256Challenge(for: verifier)), ("code_challenge_method", "S256"),
        ])
        var response = Responses.redirect(to: "\(services.basePath(of: tenant))\(ProviderMetadata.Path.authorization)?\(query)")
        // Lax, not Strict: the callback is reached by a redirect from the login page.
        response.setCookie(
            Cookie(
                name: ConsoleSession.flowCookieName, value: "\(state).\(verifier)", maxAge: Int(Interaction.lifetime),
                path: Self.path, secure: services.secureCookies, httpOnly: true, sameSite: .lax))
        return response
    }

    /// The console's redirect URI: checks `state` and `iss` (RFC 9207 §2.4), redeems the code with
    /// PKCE through the token endpoint's grant handler, and starts a console session bound to the
    /// directory's SSO session (`sid`) that the sign-in made.
    func callback(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let tenant = try await OperatorDirectory.find(services) else { return try await startSignIn() }
        let directory = try await services.store.storage(for: tenant)
        let client = try await consoleClient(directory)
        let query = request.queryParameters
        let flow = request.cookies[ConsoleSession.flowCookieName]?.value.split(separator: ".").map(String.init) ?? []
        guard flow.count == 2, let state = query["state"], ConstantTime.equals(flow[0], state) else { return try await startSignIn() }
        guard query["iss"] == services.issuer(of: tenant) else {
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
            parameters: tokenRequest, authorization: nil, context: try await services.tokenContext(for: directory))
        let claims = try await services.tokenService(for: directory).validateAccessToken(tokens.accessToken, store: directory)
        // The directory's policy requires a second factor; a token without one never opens the console.
        guard let sid = claims.sid.flatMap(SessionID.init(rawValue:)), let userID = UserID(rawValue: claims.sub),
            claims.amr?.contains("mfa") == true
        else {
            throw OAuthError.accessDenied("the console needs a sign-in with a second factor")
        }
        let session = ConsoleSession(sessionID: sid, userID: userID, lastSeen: services.clock.now)
        // A browser sends a SameSite=Strict cookie within a redirect chain only when the whole
        // chain stayed on this origin (Fetch Metadata: `Sec-Fetch-Site` `same-origin`, or `none`
        // for a typed address); otherwise a page with a link starts a navigation from here.
        let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]
        var response =
            site == "same-origin" || site == "none"
            ? Responses.redirect(to: "\(Self.path)/tenants")
            : Responses.html(
                services.pages.render("admin_continue", chrome: chrome("Signed in"), values: ["continue_url": "\(Self.path)/tenants"]))
        response.setCookie(session.cookie(services))
        response.setCookie(
            Cookie(
                name: ConsoleSession.flowCookieName, value: "", maxAge: 0, path: Self.path, secure: services.secureCookies,
                httpOnly: true, sameSite: .lax))
        context.logger.info("operator signed in to the console", metadata: ["operator": "\(userID.rawValue)"])
        return response
    }

    /// Signs out: ends the directory's SSO session behind the console session and clears the cookie.
    func signOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (signedIn, _) = try await authorizedForm(request)
        try await signedIn.directory.endSession(id: signedIn.session.sessionID, at: services.clock.now)
        var response = Responses.html(
            services.pages.render(
                "message", chrome: chrome("Signed out"),
                values: ["heading": "Signed out", "message": "You signed out of the admin console.", "link_url": Self.path, "link_text": "Sign in again"]))
        response.setCookie(ConsoleSession.clearCookie(services))
        return response
    }
}
