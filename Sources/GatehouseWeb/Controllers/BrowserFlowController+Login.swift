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

    /// - Parameter invited: the browser carries an organization invitation (its cookie): the
    ///   "Create account" link shows even when the tenant's `self_signup` is off.
    func renderLogin(
        _ interaction: Interaction, client: Client, email: String?, error: String?, status: HTTPResponse.Status,
        invited: Bool = false, _ context: TenantRequestContext
    ) async throws -> Response {
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
        if settings.selfSignup || invited { values["signup_url"] = "\(base)/signup?interaction=\(interaction.id)" }
        if settings.magicLink { values["magic_link_action"] = "\(base)/magic-link" }
        let homeRealm = try await homeRealmSources(context)
        if homeRealm.any { values["sso_button"] = true }
        // Sign-in with a passkey alone: the page's script (conditional UI on the email field, and
        // the passkey button).
        let script = PasskeyController(services: services).loginScript(interaction, conditional: error == nil, context)
        if script != nil { values["passkey"] = true }
        let body = services.pages.render("login", chrome: chrome("Sign in", context), values: values)
        return Responses.html(
            script?.inserted(into: body) ?? body, status: status, formActions: formActions(for: interaction) + homeRealm.origins,
            scripts: script.map { [$0] } ?? [])
    }

    /// `GET login`: an `idp_hint` naming a provider, or a `login_hint` whose address signs in with
    /// its organization's SSO (home-realm discovery), goes straight upstream; otherwise the page.
    func showLogin(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (interaction, client) = try await loadInteraction(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false,
            request, context)
        if let hinted = FederationController.hintedStart(interaction, context, basePath: issuerPath(context)) { return hinted }
        if let hint = interaction.request.loginHint, case .upstream(let provider) = try await loginRoute(hint, context) {
            return try await FederationController(services: services).redirectUpstream(
                provider, interaction: interaction, client: client, loginHint: hint, request, context)
        }
        return try await renderLogin(
            interaction, client: client, email: interaction.request.loginHint, error: nil, status: .ok,
            invited: TenantCookie.invitation.value(in: request) != nil, context)
    }

    /// The login form post. The address decides first (home-realm discovery,
    /// `BrowserFlowController+HomeRealm.swift`): an address whose organization has its own provider
    /// goes there (303) without its password being checked; the "Continue with single sign-on"
    /// button (`sso`) with another address gets the page again asking for the password. Then the credentials are checked (Argon2id on the
    /// bounded pool, a decoy hash for unknown accounts), and the browser is signed in and the
    /// authorization continues.
    func submitLogin(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, client) = try await loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            request, context)
        let rawEmail = form["email"] ?? ""
        if let routed = try await homeRealmAnswer(rawEmail, interaction: interaction, client: client, request, context) {
            return routed
        }
        if form["sso"] != nil {
            return try await renderLogin(
                interaction, client: client, email: rawEmail,
                error: "Single sign-on is not set up for this address. Enter your password to sign in.", status: .badRequest,
                context)
        }
        let user: User?
        do {
            user = try await services.verifyCredentials(
                email: rawEmail, password: form["password"] ?? "", in: context.database,
                ip: context.remoteAddress)
        } catch let refused as SignInThrottle.Refused {
            var response = try await renderLogin(
                interaction, client: client, email: rawEmail,
                error: "Too many attempts. Try again in \(refused.retryAfter) seconds.", status: .tooManyRequests,
                invited: TenantCookie.invitation.value(in: request) != nil, context)
            response.headers[.retryAfter] = String(refused.retryAfter)
            return response
        }
        guard let user else {
            return try await renderLogin(
                interaction, client: client, email: rawEmail, error: "Incorrect email or password.",
                status: .unauthorized, invited: TenantCookie.invitation.value(in: request) != nil, context)
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
