import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The login page and the steps after a first factor: MFA policy, sign-in, and continuing the
/// interaction.
extension BrowserFlowController {
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
        return try await completeFirstFactor(interaction, client: client, user: user, amr: ["pwd"], request, context)
    }

    /// A user proved a first factor within an interaction: a password, a magic link, or an upstream
    /// provider. This is the one door every sign-in method goes through: it applies the tenant's
    /// MFA policy, then signs the browser in and continues the authorization.
    /// - Parameter amr: the methods used (RFC 8176), e.g. `["pwd"]`, `["fed"]`; never a method that
    ///   was not used.
    func completeFirstFactor(
        _ interaction: Interaction, client: Client, user: User, amr: [String], _ request: Request,
        _ context: TenantRequestContext, cookies: [Cookie] = []
    ) async throws -> Response {
        let settings = context.tenant.tenant.settings
        if settings.requireVerifiedEmail, !user.emailVerified {
            try await savePending(interaction, client: client, user: user, amr: amr, stage: .verifyEmail, context)
            // The verification page says a code and a link were sent: send them (as the headless API does).
            try await AccountFlowsController(services: services).sendVerification(to: user, request, context)
            return redirect(to: "/verify-email", interaction, context, cookies: cookies)
        }
        return try await proceedToSecondFactor(interaction, client: client, user: user, amr: amr, request, context, cookies: cookies)
    }

    /// Applies the tenant's MFA policy after the first factor (and email verification): completes
    /// the sign-in, or sends the browser to the MFA challenge or to enrolment.
    func proceedToSecondFactor(
        _ interaction: Interaction, client: Client, user: User, amr: [String], _ request: Request,
        _ context: TenantRequestContext, cookies: [Cookie] = []
    ) async throws -> Response {
        let settings = context.tenant.tenant.settings
        let enrolled = try await context.database.mfaFactors(userID: user.id).map(\.kind)
        let allowed = settings.mfaFactors.compactMap(MFAFactorKind.init(rawValue:))
        switch MFARequirement.decide(policy: settings.mfaPolicy, enrolled: enrolled, allowed: allowed, firstFactorAMR: amr) {
        case .none:
            return try await signIn(interaction, client: client, user: user, amr: amr, request, context, cookies: cookies)
        case .challenge:
            try await savePending(interaction, client: client, user: user, amr: amr, stage: .challenge, context)
            return redirect(to: "/mfa", interaction, context, cookies: cookies)
        case .enrol:
            try await savePending(interaction, client: client, user: user, amr: amr, stage: .enrol, context)
            return redirect(to: "/mfa/enrol", interaction, context, cookies: cookies)
        case .unavailable:
            throw OAuthError.accessDenied("This sign-in method cannot complete two-step verification here. Sign in with your password instead.")
        }
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

    /// Signs the browser in (a new session, or a re-authentication of the same user's session)
    /// and continues the interaction.
    func signIn(
        _ interaction: Interaction, client: Client, user: User, amr: [String], _ request: Request,
        _ context: TenantRequestContext, cookies: [Cookie] = []
    ) async throws -> Response {
        var interaction = interaction
        let now = services.clock.now
        let ttl = TimeInterval(context.tenant.tenant.settings.sessionTTL)
        var cookies = cookies
        let session: Session
        let change: SessionChange
        let current = try await currentSession(request, context)
        if let (existing, existingUser) = current, existingUser.id == user.id {
            var updated = existing
            updated.authTime = now
            updated.amr = amr
            updated.expiresAt = now.addingTimeInterval(ttl)
            session = updated
            // A new cookie value on every authentication: the old one no longer identifies the session.
            let secret = RandomText.bearerSecret()
            updated.tokenHash = SecretHash.of(secret)
            change = .reauthenticate(id: existing.id, tokenHash: updated.tokenHash, authTime: now, amr: amr, expiresAt: updated.expiresAt)
            cookies.append(TenantCookie.session.make(secret, tenant: context.tenant, services: services, maxAge: Int(ttl)))
        } else {
            if let (previous, _) = current {
                try await context.database.endSession(id: previous.id, at: now)
            }
            let new = services.newSession(
                for: user, amr: amr, userAgent: request.headers[.userAgent], ipAddress: context.remoteAddress,
                tenant: context.tenant)
            session = new.session
            change = .start(session)
            cookies.append(TenantCookie.session.make(new.secret, tenant: context.tenant, services: services, maxAge: Int(ttl)))
        }
        interaction.userID = user.id
        interaction.loginDone = true
        let consent = try await context.database.consent(userID: user.id, clientID: client.clientID)
        let decision = AuthorizationDecision.decide(
            request: interaction.request, client: client, session: session, loginSatisfied: true,
            consentSatisfied: interaction.consentDone, consent: consent, now: now)
        // The common case — the authorization completes at once — costs one write transaction.
        var issued: (grant: Grant, record: AuthorizationCode, code: String)?
        if decision == .issueCode { issued = makeCode(interaction.request, client: client, session: session, context) }
        try await context.database.completeSignIn(
            pendingIDHash: SecretHash.of(interaction.id), session: change, interaction: interaction,
            issuing: issued.map { ($0.grant, $0.record) })
        if let issued {
            let target = target(of: interaction.request)
            return respond(target, target.success(code: issued.code, issuer: services.issuer(of: context.tenant)), context, cookies: cookies)
        }
        return try await perform(
            decision, authorization: interaction.request, client: client, session: session,
            interaction: interaction, request, context, cookies: cookies)
    }

    /// Decides what an interaction needs after a step and carries it out.
    func continueInteraction(
        _ interaction: Interaction, client: Client, session: Session, _ request: Request,
        _ context: TenantRequestContext, cookies: [Cookie] = []
    ) async throws -> Response {
        let consent = try await context.database.consent(userID: session.userID, clientID: client.clientID)
        let decision = AuthorizationDecision.decide(
            request: interaction.request, client: client, session: session, loginSatisfied: interaction.loginDone,
            consentSatisfied: interaction.consentDone, consent: consent, now: services.clock.now)
        var response = try await perform(
            decision, authorization: interaction.request, client: client, session: session,
            interaction: interaction, request, context, cookies: cookies)
        if response.status == .seeOther, let location = response.headers[.location], !location.hasPrefix("/") {
            // A redirect to the client ends the interaction.
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}
