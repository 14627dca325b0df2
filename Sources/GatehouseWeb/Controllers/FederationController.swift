import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseFederation
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// Sign-in with upstream providers: `/t/{slug}/federation/{provider}/start` sends the
/// browser to the provider, `/callback` finishes the sign-in through the one first-factor door
/// (`BrowserFlowController.upstreamReturned`) with `amr: ["fed", …]`.
///
/// A pending sign-in is stored server-side under the SHA-256 of its `state`, bound to the browser
/// cookie and to the login interaction (or, for linking, to the console user), used once and
/// expiring with the interaction (RFC 6749 §10.12, RFC 9700 §4.7). Failures after the provider
/// answered end the interaction with an OAuth error redirect to the client (`access_denied`,
/// `server_error` with a description); failures before it re-render the login page; a bad or
/// replayed `state` gets an error page. Nothing is created unless the upstream identity was
/// fully verified.
struct FederationController {
    let services: Services

    var flow: BrowserFlowController { BrowserFlowController(services: services) }

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.get("federation/:provider/start") { request, context in try await self.start(request, context) }
        group.get("federation/:provider/callback") { request, context in
            try await self.callback(request, context)
        }
    }

    // MARK: Login page

    /// The login page's provider buttons: the tenant's enabled providers (from its settings),
    /// each a plain link to the start endpoint, so they work without JavaScript.
    static func loginButtons(_ context: TenantRequestContext, interaction: Interaction, basePath: String) -> [[String: Any]] {
        context.tenant.tenant.settings.oauthProviders.compactMap { reference in
            guard reference.enabled, let slug = reference.slug else { return nil }
            return [
                "name": reference.name ?? slug, "slug": slug, "kind": reference.kind,
                "url": startPath(slug: slug, basePath: basePath, interaction: interaction),
            ]
        }
    }

    static func startPath(slug: String, basePath: String, interaction: Interaction) -> String {
        "\(basePath)/federation/\(slug)/start?interaction=\(interaction.id)"
    }

    /// `idp_hint` naming an enabled provider skips the choice: a redirect to its start endpoint.
    static func hintedStart(_ interaction: Interaction, _ context: TenantRequestContext, basePath: String) -> Response? {
        guard let hint = interaction.request.idpHint,
            context.tenant.tenant.settings.oauthProviders.contains(where: { $0.enabled && $0.slug == hint })
        else { return nil }
        return Responses.redirect(to: startPath(slug: hint, basePath: basePath, interaction: interaction))
    }

    // MARK: Start

    func enabledProvider(_ context: TenantRequestContext) async throws -> UpstreamProvider {
        guard let slug = context.parameters.get("provider"), UpstreamProvider.isValidSlug(slug),
            let provider = try await context.database.upstreamProvider(slug), provider.slug == slug, provider.enabled
        else {
            throw OAuthError.invalidRequest("This sign-in option is not available.")
        }
        return provider
    }

    /// `GET …/federation/{provider}/start?interaction=…`: stores the pending sign-in and redirects
    /// (303) to the provider's authorization endpoint.
    func start(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (interaction, client) = try await flow.loadInteraction(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false,
            request, context)
        let provider = try await enabledProvider(context)
        return try await redirectUpstream(
            provider, interaction: interaction, client: client, loginHint: interaction.request.loginHint, request, context)
    }

    /// Sends the browser (303) to `provider`'s authorization endpoint for the interaction's
    /// sign-in, with `login_hint` when the provider kind takes one (OpenID Connect kinds): the
    /// start endpoint, and home-realm discovery on the login page (docs/contract.md A8). A provider
    /// that cannot be reached re-renders the login page (502).
    func redirectUpstream(
        _ provider: UpstreamProvider, interaction: Interaction, client: Client, loginHint: String?, _ request: Request,
        _ context: TenantRequestContext
    ) async throws -> Response {
        guard let binding = TenantCookie.browser.value(in: request) else { throw OAuthError.invalidRequest("The browser cookie is missing.") }
        do {
            let url = try await begin(
                provider, purpose: .signIn, interactionID: interaction.id, userID: nil, binding: binding,
                loginHint: loginHint, notAfter: interaction.expiresAt, context)
            return Responses.redirect(to: url)
        } catch let error as FederationError {
            context.logger.notice(
                "upstream sign-in could not start",
                metadata: [
                    "provider": "\(provider.slug)", "reason": "\(error.reason.rawValue)",
                    "detail": "\(error.message)",
                ])
            return try await flow.renderLogin(
                interaction, client: client, email: nil,
                error: "Signing in with \(provider.name) is not possible right now: \(error.message). Try again later or sign in another way.",
                status: .badGateway, context)
        }
    }

    /// Builds the authorization request and stores what the callback needs. The pending sign-in is
    /// stored only once the request could be built.
    /// - Returns: the provider's authorization URL.
    func begin(
        _ provider: UpstreamProvider, purpose: FederationState.Purpose, interactionID: String?, userID: UserID?, binding: String,
        loginHint: String?, notAfter: Date?, _ context: TenantRequestContext
    ) async throws -> String {
        let state = RandomText.bearerSecret()
        let nonce = RandomText.bearerSecret()
        let verifier = RandomText.bearerSecret() + RandomText.bearerSecret()
        let redirectURI = services.federationRedirectURI(provider, tenant: context.tenant)
        let url = try await services.federation.authorizationURL(
            for: provider, cacheKey: services.federationCacheKey(provider, tenant: context.tenant), redirectURI: redirectURI,
            state: state, nonce: nonce, codeChallenge: PKCE.s256Challenge(for: verifier), loginHint: loginHint)
        let now = services.clock.now
        var expiry = now.addingTimeInterval(FederationState.lifetime)
        if let notAfter { expiry = min(expiry, notAfter) }
        try await context.database.insertFederationState(
            FederationState(
                stateHash: SecretHash.of(state), providerID: provider.id, purpose: purpose, interactionID: interactionID,
                userID: userID, browserBindingHash: SecretHash.of(binding), nonce: nonce, codeVerifier: verifier,
                redirectURI: redirectURI, createdAt: now, expiresAt: expiry),
            now: now)
        return url
    }

    // MARK: Callback

    static let invalidState = OAuthError.invalidRequest(
        "This sign-in attempt is invalid: it was already used, has expired, or was started in another browser. Go back to the application and try again.")

    /// `GET …/federation/{provider}/callback`: the provider's authorization response.
    func callback(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let query = request.queryParameters
        guard query.duplicatedNames.isEmpty, let state = query["state"], state.utf8.count <= 512,
            let pending = try await context.database.consumeFederationState(hash: SecretHash.of(state))
        else {
            throw Self.invalidState
        }
        guard services.clock.now < pending.expiresAt, let binding = TenantCookie.browser.value(in: request),
            ConstantTime.equals(SecretHash.of(binding), pending.browserBindingHash),
            let provider = try await context.database.upstreamProvider(pending.providerID.rawValue),
            provider.slug == context.parameters.get("provider")
        else {
            throw Self.invalidState
        }
        guard provider.enabled else { throw OAuthError.invalidRequest("This sign-in option is not available.") }
        let response = AuthorizationCallback(
            code: query["code"], iss: query["iss"], error: query["error"],
            errorDescription: query["error_description"])
        switch pending.purpose {
        case .signIn: return try await finishSignIn(pending, provider: provider, response: response, request, context)
        case .link: return try await finishLink(pending, provider: provider, response: response, context)
        }
    }

    /// Verifies the upstream sign-in with the provider.
    func profile(
        _ pending: FederationState, provider: UpstreamProvider, response: AuthorizationCallback,
        _ context: TenantRequestContext
    ) async throws(FederationError) -> UpstreamProfile {
        do {
            return try await services.federation.completeSignIn(
                provider: provider, cacheKey: services.federationCacheKey(provider, tenant: context.tenant), callback: response,
                nonce: pending.nonce, codeVerifier: pending.codeVerifier, redirectURI: pending.redirectURI)
        } catch {
            context.logger.notice(
                "upstream sign-in failed",
                metadata: [
                    "provider": "\(provider.slug)", "reason": "\(error.reason.rawValue)",
                    "detail": "\(error.message)",
                ])
            throw error
        }
    }

    /// The OAuth error a failed upstream sign-in becomes for the relying party.
    static func oauthError(_ error: FederationError, provider: UpstreamProvider) -> OAuthError {
        if error.reason == .accessDenied { return .accessDenied(printable("Sign-in with \(provider.name) was cancelled or denied.")) }
        return .serverError(printable("Sign-in with \(provider.name) failed: \(error.message)."))
    }

    /// `error_description` characters are limited to printable ASCII without `"` and `\` (RFC 6749 §4.1.2.1).
    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    (0x20...0x7E).contains(scalar.value) && scalar != "\"" && scalar != "\\" ? scalar : "?"
                }
            ).prefix(500))
    }

    func finishSignIn(
        _ pending: FederationState, provider: UpstreamProvider, response: AuthorizationCallback, _ request: Request,
        _ context: TenantRequestContext
    ) async throws -> Response {
        guard let id = pending.interactionID, let interaction = try await context.database.interaction(id: id),
            services.clock.now < interaction.expiresAt,
            let client = try await context.database.client(clientID: interaction.request.clientID)
        else {
            throw OAuthError.invalidRequest("This sign-in link has expired. Go back to the application and try again.")
        }
        let profile: UpstreamProfile
        do {
            profile = try await self.profile(pending, provider: provider, response: response, context)
        } catch {
            return try await flow.advance(
                .upstreamFailed(Self.oauthError(error, provider: provider)), interaction: interaction, client: client,
                request, context)
        }
        switch try await resolveUser(profile, provider: provider, context) {
        case .user(let user):
            let amr = FederatedAMR.amr(upstream: profile.amr, trustUpstreamMFA: provider.trustUpstreamMFA)
            return try await flow.proved(
                .upstream, interaction, client: client, user: user, amr: amr, request, context, provider: provider.id.rawValue)
        case .refused(let refusal):
            return refusalPage(refusal, provider: provider, profile: profile, interaction: interaction, context)
        }
    }

    enum Resolution {
        case user(User)
        case refused(FederatedSignInDecision.Refusal)
    }

    /// Finds, links or creates the user of a verified upstream identity
    /// (`FederatedSignInDecision`). User and identity are created in one transaction.
    func resolveUser(
        _ profile: UpstreamProfile, provider: UpstreamProvider, _ context: TenantRequestContext,
        attempt: Int = 0
    ) async throws -> Resolution {
        let db = context.database
        let now = services.clock.now
        let existing = try await db.upstreamIdentity(providerID: provider.id, issuer: profile.issuer, subject: profile.subject)
        var identityUser: User?
        if let existing { identityUser = try await db.user(id: existing.userID) }
        let email = profile.email.flatMap(EmailAddress.normalize)
        var emailUser: User?
        if existing == nil, let email { emailUser = try await db.user(email: email) }
        let decision = FederatedSignInDecision.decide(
            identityUser: identityUser, emailUser: emailUser, profile: profile, normalizedEmail: email,
            accountLinking: context.tenant.tenant.settings.accountLinking, allowSignup: provider.allowSignup)
        func identity(for user: UserID) -> UpstreamIdentity {
            UpstreamIdentity(
                id: .generate(at: now), userID: user, providerID: provider.id, issuer: profile.issuer, subject: profile.subject,
                email: profile.email, createdAt: now, lastUsedAt: now)
        }
        do {
            switch decision {
            case .signIn:
                try await db.touchUpstreamIdentity(id: existing!.id, email: profile.email, at: now)
                return .user(identityUser!)
            case .linkToExisting:
                try await db.linkUpstreamIdentity(identity(for: emailUser!.id))
                return .user(emailUser!)
            case .createUser:
                let name = profile.name.map { String($0.prefix(200)) }
                let user = User(
                    id: .generate(at: now), email: email!, emailVerified: profile.emailVerified, name: name, passwordHash: nil,
                    createdAt: now, updatedAt: now)
                let entry = services.userDraft(
                    "user.created", user, ip: context.remoteAddress, userAgent: nil, extra: ["method": .string("upstream:\(provider.slug)")])
                try await services.audited([entry], in: db) { try await db.insertUser(user, identity: identity(for: user.id)) }
                context.logger.info("user created by upstream sign-in", metadata: ["provider": "\(provider.slug)", "user": "\(user.id)"])
                return .user(user)
            case .refuse(let refusal):
                return .refused(refusal)
            }
        } catch StoreError.conflict(_) where attempt == 0 {
            // A concurrent first sign-in of the same identity or email: decide again from what is stored now.
            return try await resolveUser(profile, provider: provider, context, attempt: 1)
        }
    }

    /// The page for a sign-in that is refused by policy. The interaction stays alive, so the
    /// user can go back to the login page and sign in another way.
    func refusalPage(
        _ refusal: FederatedSignInDecision.Refusal, provider: UpstreamProvider, profile: UpstreamProfile,
        interaction: Interaction, _ context: TenantRequestContext
    ) -> Response {
        let message: String
        var status: HTTPResponse.Status = .forbidden
        switch refusal {
        case .accountExists:
            status = .conflict
            message =
                "An account with the email address \(profile.email ?? "") already exists, and it was not linked to \(provider.name) automatically. "
                + "Sign in with the method you used before, then link \(provider.name) from your account page (Account → Linked sign-in methods)."
        case .signupClosed:
            message =
                "There is no account for this \(provider.name) user, and \(provider.name) cannot be used to create one. Ask your administrator for an account."
        case .missingEmail:
            message = "\(provider.name) did not share an email address, which is needed to create your account."
        case .userDisabled:
            message = "This account is disabled."
        }
        let body = services.pages.render(
            "federation_error", chrome: flow.chrome("Can’t sign in with \(provider.name)", context),
            values: [
                "message": message, "error": refusal.rawValue, "request_id": context.requestID, "provider_name": provider.name,
                "login_url": "\(flow.issuerPath(context))\(ProviderMetadata.Path.login)?interaction=\(interaction.id)",
            ])
        return Responses.html(body, status: status)
    }

    // MARK: Linking from the account console

    func finishLink(
        _ pending: FederationState, provider: UpstreamProvider, response: AuthorizationCallback,
        _ context: TenantRequestContext
    ) async throws -> Response {
        let db = context.database
        guard let userID = pending.userID, let user = try await db.user(id: userID), !user.disabled else { throw Self.invalidState }
        let profile: UpstreamProfile
        do {
            profile = try await self.profile(pending, provider: provider, response: response, context)
        } catch {
            throw Self.oauthError(error, provider: provider)
        }
        let identitiesPage = "\(services.basePath(of: context.tenant))/account/identities"
        if let existing = try await db.upstreamIdentity(providerID: provider.id, issuer: profile.issuer, subject: profile.subject) {
            guard existing.userID == user.id else {
                throw OAuthError.invalidRequest(Self.printable("This \(provider.name) account is already linked to another user."))
            }
            return Responses.redirect(to: "\(identitiesPage)?notice=already-linked")
        }
        let now = services.clock.now
        do {
            try await db.linkUpstreamIdentity(
                UpstreamIdentity(
                    id: .generate(at: now), userID: user.id, providerID: provider.id,
                    issuer: profile.issuer, subject: profile.subject, email: profile.email,
                    createdAt: now, lastUsedAt: now))
        } catch StoreError.conflict(_) {
            throw OAuthError.invalidRequest(Self.printable("This \(provider.name) account is already linked to another user."))
        }
        return Responses.redirect(to: "\(identitiesPage)?notice=linked")
    }
}
