import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Signing in to the console: an operator through the operators' directory, a tenant's user with
/// a console role (`ConsoleRole`) through that tenant's own login (docs/contract.md A10). Either
/// way the console is a first-party public client of the tenant signed in to (the built-in
/// `admin-console`), authorization code + PKCE, and the session cookie names that tenant.
extension ConsoleController {
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

    /// Who is signed in to the console, or nil: a valid, unexpired console session cookie whose
    /// SSO session (of the operators' directory, or of the tenant it names) is still active, whose
    /// user still exists and is enabled and, for a tenant's user, still holds a console role.
    func currentOperator(_ request: Request) async throws -> SignedInOperator? {
        let now = services.clock.now
        guard let raw = request.cookies[ConsoleSession.cookieName]?.value,
            let session = ConsoleSession(cookie: raw, services: services, now: now),
            let tenant = try await services.store.find(slug: session.slug)
        else { return nil }
        // A tenant being deleted: its sessions are gone with it.
        guard let directory = try await services.store.liveStorage(for: tenant) else { return nil }
        guard let stored = try await directory.session(id: session.sessionID), stored.isActive(at: now), stored.userID == session.userID,
            let user = try await directory.user(id: session.userID), !user.disabled
        else { return nil }
        var role: ConsoleRole?
        if !tenant.tenant.isOperatorsDirectory {
            guard let granted = try await directory.consoleRole(of: user.id) else { return nil }
            role = granted
        }
        return SignedInOperator(
            directory: directory, user: user, session: session,
            csrf: services.csrfToken(binding: session.sessionID.rawValue, purpose: "admin-console"), role: role)
    }

    /// `/admin/t/{slug}`: the sign-in of a tenant's users with a console role, through the
    /// tenant's own login; an unknown tenant is a 404 page.
    func tenantSignIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let slug = context.parameters.get("slug"), !Tenant.isReservedSlug(slug), let tenant = try await services.store.find(slug: slug)
        else {
            let body = services.pages.render(
                "message", chrome: chrome("Not found"), values: ["heading": "No such tenant", "message": "There is no tenant with this slug."])
            return Responses.html(body, status: .notFound)
        }
        return try await startSignIn(at: tenant)
    }

    /// A page request's operator, or the response that sends the browser to sign in first.
    enum Gate {
        case signedIn(SignedInOperator)
        case signIn(Response)
    }

    /// The signed-in operator, or a response sending the browser to sign in first.
    func requireOperator(_ request: Request) async throws -> Gate {
        if let signedIn = try await currentOperator(request) { return .signedIn(signedIn) }
        return .signIn(try await startSignIn(at: try await signInTenant(request)))
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

    /// `/admin`: the tenants for a signed-in operator, the tenant's page for a tenant's user;
    /// otherwise the sign-in.
    func home(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let signedIn = try await currentOperator(request) else { return try await startSignIn(at: try await signInTenant(request)) }
        return redirect(signedIn.homePath, signedIn: signedIn)
    }

    /// Where a browser without a valid session signs in again: the tenant its last console
    /// cookie named (expired or not: the name only picks a login page), else the operators' directory.
    func signInTenant(_ request: Request) async throws -> ResolvedTenant? {
        guard let slug = request.cookies[ConsoleSession.cookieName]?.value.split(separator: ".").first.map(String.init),
            !Tenant.isReservedSlug(slug)
        else { return nil }
        return try await services.store.find(slug: slug)
    }

    /// Sends the browser to the authorization endpoint of `tenant` (nil: the operators'
    /// directory) as the console client (RFC 6749 §4.1.1 with PKCE S256, RFC 7636 §4.3);
    /// `state`, the verifier and the tenant's slug wait in a cookie. Before the first operator
    /// exists the directory's sign-in page says how to make one.
    func startSignIn(at chosen: ResolvedTenant? = nil) async throws -> Response {
        var found = chosen
        if found == nil { found = try await OperatorDirectory.find(services) }
        guard let tenant = found else {
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
                name: ConsoleSession.flowCookieName, value: "\(state).\(verifier).\(tenant.slug)", maxAge: Int(Interaction.lifetime),
                path: Self.path, secure: services.secureCookies, httpOnly: true, sameSite: .lax))
        return response
    }

    /// The console's redirect URI: checks `state` and `iss` (RFC 9207 §2.4), redeems the code with
    /// PKCE through the token endpoint's grant handler, and starts a console session bound to the
    /// SSO session (`sid`) that the sign-in made at the directory, or at the tenant whose user
    /// holds a console role.
    func callback(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let flow = request.cookies[ConsoleSession.flowCookieName]?.value.split(separator: ".").map(String.init) ?? []
        guard flow.count == 3, let tenant = try await services.store.find(slug: flow[2]) else { return try await startSignIn() }
        let directory = try await services.store.storage(for: tenant)
        let client = try await consoleClient(directory)
        let query = request.queryParameters
        guard let state = query["state"], ConstantTime.equals(flow[0], state) else { return try await startSignIn(at: tenant) }
        guard query["iss"] == services.issuer(of: tenant) else {
            throw OAuthError.invalidRequest("the authorization response came from another issuer")
        }
        if let error = query["error"] {
            // Whatever the authorization server answered (`server_error` included), the console
            // shows a refusal (403), never a failure of its own.
            throw OAuthError.accessDenied("the sign-in did not complete (\(ClientAssertion.printable(error)))")
        }
        guard let code = query["code"] else { throw OAuthError.invalidRequest("code is missing") }
        let tokenRequest = FormParameters(pairs: [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirectURIs[0]),
            ("client_id", client.clientID), ("code_verifier", flow[1]),
        ])
        let tokens = try await TokenEndpoint.handle(
            parameters: tokenRequest, authorization: nil, context: try await services.tokenContext(for: directory))
        let claims = try await services.tokenService(for: directory).validateAccessToken(tokens.accessToken, store: directory)
        guard let sid = claims.sid.flatMap(SessionID.init(rawValue:)), let userID = UserID(rawValue: claims.sub) else {
            throw OAuthError.accessDenied("the sign-in did not complete")
        }
        if tenant.tenant.isOperatorsDirectory {
            // The directory's policy requires a second factor; a token without one never opens the console.
            guard claims.amr?.contains("mfa") == true else { throw OAuthError.accessDenied("the console needs a sign-in with a second factor") }
        } else if try await directory.consoleRole(of: userID) == nil {
            // A tenant's user without a console role signed in to the tenant, not to the console.
            throw OAuthError.accessDenied("this account has no console role in \(tenant.tenant.name)")
        }
        let session = ConsoleSession(slug: tenant.slug, sessionID: sid, userID: userID, lastSeen: services.clock.now)
        let home = tenant.tenant.isOperatorsDirectory ? "\(Self.path)/tenants" : "\(Self.path)/tenants/\(tenant.slug)"
        // A browser sends a SameSite=Strict cookie within a redirect chain only when the whole
        // chain stayed on this origin (Fetch Metadata: `Sec-Fetch-Site` `same-origin`, or `none`
        // for a typed address); otherwise a page with a link starts a navigation from here.
        let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]
        var response =
            site == "same-origin" || site == "none"
            ? Responses.redirect(to: home)
            : Responses.html(services.pages.render("admin_continue", chrome: chrome("Signed in"), values: ["continue_url": home]))
        response.setCookie(session.cookie(services))
        response.setCookie(
            Cookie(
                name: ConsoleSession.flowCookieName, value: "", maxAge: 0, path: Self.path, secure: services.secureCookies,
                httpOnly: true, sameSite: .lax))
        context.logger.info("signed in to the console", metadata: ["tenant": "\(tenant.slug)", "user": "\(userID.rawValue)"])
        return response
    }

    /// Signs out: ends the directory's SSO session behind the console session and clears the cookie.
    func signOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (signedIn, _) = try await authorizedForm(request)
        try await signedIn.directory.endSession(id: signedIn.session.sessionID, at: services.clock.now)
        var response = Responses.html(
            services.pages.render(
                "message", chrome: chrome("Signed out"),
                values: [
                    "heading": "Signed out", "message": "You signed out of the admin console.",
                    "link_url": signedIn.isOperator ? Self.path : "\(Self.path)/t/\(signedIn.directory.tenant.slug)", "link_text": "Sign in again",
                ]))
        response.setCookie(ConsoleSession.clearCookie(services))
        return response
    }
}
