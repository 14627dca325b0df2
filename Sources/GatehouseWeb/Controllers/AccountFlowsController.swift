import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Self-service account pages of a tenant: sign-up, email verification, password reset and
/// magic-link sign-in. Every sign-in they complete goes through
/// `BrowserFlowController.proved`, so the tenant's MFA policy applies to each.
struct AccountFlowsController {
    let services: Services
    var flow: BrowserFlowController { BrowserFlowController(services: services) }

    static let verifyLifetime: TimeInterval = 24 * 3600
    static let resetLifetime: TimeInterval = 30 * 60
    static let magicLifetime: TimeInterval = 15 * 60
    static let codeAttempts = 5

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.get("signup") { request, context in try await self.showSignup(request, context) }
        group.post("signup") { request, context in try await self.submitSignup(request, context) }
        group.get("verify-email") { request, context in try await self.showVerify(request, context) }
        group.post("verify-email") { request, context in try await self.submitVerify(request, context) }
        group.post("verify-email/resend") { request, context in try await self.resendVerify(request, context) }
        group.post("verify-email/link") { request, context in try await self.confirmVerifyLink(request, context) }
        group.get("forgot") { request, context in try await self.showForgot(request, context) }
        group.post("forgot") { request, context in try await self.submitForgot(request, context) }
        group.get("reset") { request, context in try await self.showReset(request, context) }
        group.post("reset") { request, context in try await self.submitReset(request, context) }
        group.post("magic-link") { request, context in try await self.requestMagicLink(request, context) }
        group.get("magic") { request, context in try await self.showMagic(request, context) }
        group.post("magic") { request, context in try await self.confirmMagic(request, context) }
    }

    var path: (TenantRequestContext) -> String { { [services] in services.basePath(of: $0.tenant) } }

    func message(
        _ heading: String, _ text: String, error: Bool = false, status: HTTPResponse.Status = .ok,
        link: (String, String)? = nil, _ context: TenantRequestContext
    ) -> Response {
        var values: [String: Any] = ["heading": heading, "message": text]
        if error { values["error"] = true }
        if let link {
            values["link_url"] = link.0
            values["link_text"] = link.1
        }
        return Responses.html(services.pages.render("message", chrome: flow.chrome(heading, context), values: values), status: status)
    }

    /// Refuses with 429 and `Retry-After` when the IP exceeded its budget for `action`.
    func rateLimit(_ action: String, _ context: TenantRequestContext) -> Response? {
        guard
            let wait = services.actionLimiter.take(
                tenant: context.tenant.id, action: action, ip: context.remoteAddress,
                now: services.clock.now)
        else { return nil }
        var response = message("Too many requests", "Please wait a moment and try again.", error: true, status: .tooManyRequests, context)
        response.headers[.retryAfter] = String(wait)
        return response
    }

    /// A page with one button that posts an emailed link's `token` to `action` (a path under the
    /// tenant), so that link scanners that open the link do not use it up.
    func confirmationForm(
        _ heading: String, _ message: String, action: String, token: String, button: String, _ context: TenantRequestContext
    ) -> Response {
        Responses.html(
            services.pages.render(
                "message_form", chrome: flow.chrome(heading, context),
                values: [
                    "heading": heading, "message": message, "action": "\(path(context))\(action)", "token": token, "button": button,
                ]))
    }

    /// The form of a page that continues an interaction, its CSRF token checked.
    /// - Throws: `OAuthError.accessDenied(unavailable)` when the tenant has the page switched off
    ///   (`enabled` false); the errors of `BrowserFlowController.loadInteraction`.
    func postedForm(
        _ request: Request, _ context: TenantRequestContext, enabled: Bool, unavailable: String
    ) async throws -> (FormParameters, Interaction, Client) {
        guard enabled else { throw OAuthError.accessDenied(unavailable) }
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, client) = try await flow.loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true, request, context)
        return (form, interaction, client)
    }

    /// Emails a one-time link (`{path}?token=…`, valid `lifetime` seconds) to the active account
    /// of `rawEmail`; nothing when there is none, so the answer never reveals whether it exists.
    /// - Parameter interactionID: the interaction the link continues, if any.
    func emailLink(
        _ kind: AccountEmail, purpose: OneTimePurpose, to rawEmail: String, path: String, lifetime: TimeInterval,
        interactionID: String?, _ context: TenantRequestContext
    ) async throws {
        guard let email = EmailAddress.normalize(rawEmail), let user = try await context.database.user(email: email), !user.disabled else {
            return
        }
        try await services.emailOneTimeLink(
            kind, purpose: purpose, to: user, path: path, lifetime: lifetime, interactionID: interactionID, database: context.database)
    }

    // MARK: Sign-up

    func renderSignup(
        _ interaction: Interaction, client: Client, email: String?, name: String?, error: String?,
        status: HTTPResponse.Status, _ context: TenantRequestContext
    ) -> Response {
        var values: [String: Any] = [
            "action": "\(path(context))/signup", "interaction_id": interaction.id, "csrf_token": interaction.csrfToken,
            "client_name": client.name, "login_url": "\(path(context))/login?interaction=\(interaction.id)",
        ]
        if let email { values["email"] = email }
        if let name { values["name"] = name }
        if let error { values["error"] = error }
        return Responses.html(
            services.pages.render("signup", chrome: flow.chrome("Create account", context), values: values),
            status: status, formActions: flow.formActions(for: interaction))
    }

    func showSignup(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let invitation = try await invitationForSignup(request, context)
        guard context.tenant.tenant.settings.selfSignup || invitation != nil else {
            throw OAuthError.accessDenied("Sign-up is not available here.")
        }
        let (interaction, client) = try await flow.loadInteraction(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false,
            request, context)
        return renderSignup(interaction, client: client, email: invitation?.email, name: nil, error: nil, status: .ok, context)
    }

    /// Creates an account (email, password, name), sends the verification email and signs in
    /// through the first-factor door (which asks for verification when the tenant requires it).
    /// With an organization invitation in the browser (``invitationForSignup(_:_:)``) the invited
    /// address may sign up even when `self_signup` is off, and counts as verified.
    func submitSignup(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let invitation = try await invitationForSignup(request, context)
        let selfSignup = context.tenant.tenant.settings.selfSignup
        let (form, interaction, client) = try await postedForm(
            request, context, enabled: selfSignup || invitation != nil, unavailable: "Sign-up is not available here.")
        let rawEmail = form["email"] ?? ""
        let name = form["name"].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        func fail(_ error: String, _ status: HTTPResponse.Status = .badRequest) -> Response {
            renderSignup(interaction, client: client, email: rawEmail, name: name, error: error, status: status, context)
        }
        if let limited = rateLimit("signup", context) { return limited }
        guard let email = EmailAddress.normalize(rawEmail) else { return fail("Enter a valid email address.") }
        let invited = invitation?.email == email
        if let invitation, !invited, !selfSignup { return fail("This invitation is for \(invitation.email). Create the account with that address.") }
        // A password account for an address whose organization enforces its SSO could never sign in.
        if let refused = try await flow.enforcedSSORefusal(email, interaction: interaction, context) { return refused }
        if let name, let problem = DisplayName.problem(name) { return fail("The name \(problem).") }
        let password = form["password"] ?? ""
        if let problem = PasswordPolicy.problem(password, common: services.commonPasswords) { return fail("The password \(problem).") }
        let db = context.database
        let requireVerified = context.tenant.tenant.settings.requireVerifiedEmail
        // Hashed whether or not the address is taken, so both answers cost the same.
        let hash = try await services.passwords.hash(password)
        if let existing = try await db.user(email: email) {
            guard requireVerified, !invited else { return fail("An account with this email address already exists. Sign in instead.", .conflict) }
            return try await signupAttempt(existing, interaction, client: client, context)
        }
        let now = services.clock.now
        let user = User(
            id: .generate(at: now), email: email, emailVerified: invited, name: name, passwordHash: hash,
            createdAt: now, updatedAt: now)
        let entry = services.userDraft(
            "user.created", user, ip: context.remoteAddress, userAgent: request.headers[.userAgent],
            extra: ["method": .string(invited ? "invitation" : "password")])
        do { try await services.audited([entry], in: db) { try await db.insertUser(user) } } catch StoreError.conflict {
            guard requireVerified, !invited, let existing = try await db.user(email: email) else {
                return fail("An account with this email address already exists. Sign in instead.", .conflict)
            }
            return try await signupAttempt(existing, interaction, client: client, context)
        }
        // When the tenant requires a verified address, the first-factor door sends the verification.
        // An invited address is proved by the invitation's link, which was mailed to it.
        if !requireVerified, !invited { try await sendVerification(to: user, request, context) }
        return try await flow.proved(.firstFactor, interaction, client: client, user: user, amr: ["pwd"], request, context)
    }

    /// A sign-up with the address of an existing account, when the tenant requires verified
    /// addresses (issue: sign-up must not reveal accounts): the owner is told by email, and the
    /// browser sees exactly what a new sign-up sees — the verification step — backed by a decoy
    /// pending sign-in that no code completes (`PendingSignIn.isSignupAttempt`).
    func signupAttempt(_ existing: User, _ interaction: Interaction, client: Client, _ context: TenantRequestContext) async throws -> Response {
        try await services.sendAccountEmail(
            .signupAttempt, to: existing,
            values: [
                "account_url": services.issuer(of: context.tenant) + "/account"
            ], database: context.database)
        try await flow.savePending(
            interaction, client: client, user: existing, amr: [PendingSignIn.signupAttemptMarker], stage: .verifyEmail,
            context)
        return flow.redirect(to: "/verify-email", interaction, context)
    }

    // MARK: Email verification

    /// Emails a verification link and code (both single use; 24 hours; the code allows 5 attempts),
    /// the link bound to the browser of `request` (see ``browserContext(_:)``).
    func sendVerification(to user: User, _ request: Request, _ context: TenantRequestContext) async throws {
        try await sendVerification(to: user, database: context.database, browser: TenantCookie.browser.value(in: request))
    }

    /// The `context` a verification link records for the browser whose binding cookie is `binding`:
    /// opened in that browser, the link keeps the password chosen there; opened anywhere else (by
    /// the address's owner, when someone else signed up with it), it drops it.
    static func browserContext(_ binding: String) -> String { "browser:" + Base64URL.encode(SecretHash.of(binding)) }

    /// - Parameter browser: the binding cookie of the browser that asked (nil: an app of the headless API).
    func sendVerification(to user: User, database: any TenantHandle, browser: String? = nil) async throws {
        let now = services.clock.now
        let id = RandomText.bearerSecret()
        let token = RandomText.bearerSecret()
        let code = services.sixDigitCode()
        try await database.insertOneTimeToken(
            OneTimeToken(
                id: id, purpose: .verifyEmail, userID: user.id, tokenHash: SecretHash.of(token), codeHash: services.codeHash(code, salt: id),
                context: browser.map(Self.browserContext), createdAt: now, expiresAt: now.addingTimeInterval(Self.verifyLifetime)))
        try await services.sendAccountEmail(
            .verify, to: user,
            values: [
                "link": services.link(database.tenant, "/verify-email", token: token), "code": code,
                "expires_minutes": String(Int(Self.verifyLifetime / 60)),
            ], database: database)
    }

    /// The pending sign-in of an interaction at `stage`, with its user.
    func pending(_ interaction: Interaction, stage: PendingSignIn.Stage, _ context: TenantRequestContext) async throws -> (PendingSignIn, User) {
        guard let pending = try await context.database.pendingSignIn(idHash: SecretHash.of(interaction.id), at: services.clock.now),
            pending.stage == stage, let user = try await context.database.user(id: pending.userID), !user.disabled
        else {
            throw OAuthError.invalidRequest("This sign-in expired. Go back to the application and try again.")
        }
        return (pending, user)
    }

    func renderVerify(
        _ interaction: Interaction, user: User, error: String?, notice: String?, status: HTTPResponse.Status,
        _ context: TenantRequestContext
    ) -> Response {
        var values: [String: Any] = [
            "action": "\(path(context))/verify-email", "resend_action": "\(path(context))/verify-email/resend",
            "interaction_id": interaction.id, "csrf_token": interaction.csrfToken, "email": user.email,
        ]
        if let error { values["error"] = error }
        if let notice { values["notice"] = notice }
        return Responses.html(
            services.pages.render("verify_email", chrome: flow.chrome("Verify your email", context), values: values),
            status: status, formActions: flow.formActions(for: interaction))
    }

    /// `GET verify-email?interaction=…` (the code form of a sign-in) or `?token=…` (an emailed link:
    /// a confirmation button, so that link scanners do not use it up).
    func showVerify(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let query = request.queryParameters
        if let token = query["token"] {
            return confirmationForm(
                "Verify your email", "Confirm that this email address is yours.", action: "/verify-email/link", token: token,
                button: "Verify my email", context)
        }
        let (interaction, client) = try await flow.loadInteraction(query["interaction"], csrf: nil, requireCSRF: false, request, context)
        let (pending, user) = try await pending(interaction, stage: .verifyEmail, context)
        if user.emailVerified, !pending.isSignupAttempt {
            // Verified meanwhile through the emailed link.
            return try await flow.proved(.emailAddress, interaction, client: client, user: user, amr: pending.amr, request, context)
        }
        return renderVerify(interaction, user: user, error: nil, notice: nil, status: .ok, context)
    }

    func confirmVerifyLink(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let now = services.clock.now
        guard let token = form["token"], token.utf8.count <= 128,
            let used = try await context.database.consumeOneTimeLink(hash: SecretHash.of(token), purpose: .verifyEmail, at: now)
        else {
            return message("Link expired", "This verification link was already used or has expired.", error: true, status: .badRequest, context)
        }
        // A first proof ends the sessions, grants, links and pending sign-ins made before it
        // (pre-account takeover). The password stays only when the link is opened in the browser
        // that chose it; anywhere else the owner proves the address without knowing the password,
        // which may be a squatter's, so it is dropped (the owner sets one with "Forgot password").
        let sameBrowser =
            TenantCookie.browser.value(in: request).map {
                ConstantTime.equals(Self.browserContext($0), used.context ?? "")
            } ?? false
        try await context.database.proveEmail(used.userID, keepPassword: sameBrowser, at: now)
        return message("Email verified", "Your email address is verified. You can close this page and continue where you were.", context)
    }

    func submitVerify(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, client) = try await flow.loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            request, context)
        let (pending, user) = try await pending(interaction, stage: .verifyEmail, context)
        let code = (form["code"] ?? "").filter { !$0.isWhitespace }
        let services = self.services
        let now = services.clock.now
        // A decoy (sign-up with a taken address) takes no code: it answers like a wrong one.
        let used =
            pending.isSignupAttempt
            ? nil
            : try await context.database.consumeOneTimeCode(
                userID: user.id, purpose: .verifyEmail, at: now, maxAttempts: Self.codeAttempts
            ) { token in
                token.codeHash.map { ConstantTime.equals($0, services.codeHash(code, salt: token.id)) } ?? false
            }
        guard used != nil else {
            return renderVerify(
                interaction, user: user, error: "That code is not right, or it expired. Check the latest email or send a new code.",
                notice: nil, status: .badRequest, context)
        }
        // This sign-in's first factor was the password, so its prover knows it: it stays; what
        // was made before the proof (sessions, grants, links) ends.
        var verified = user
        verified.emailVerified = true
        let entry = services.userDraft(
            "user.email_verified", verified, ip: context.remoteAddress, userAgent: request.headers[.userAgent], extra: ["method": .string("code")])
        try await services.audited([entry], in: context.database) {
            try await context.database.proveEmail(user.id, keepPassword: pending.amr.contains("pwd"), keepingPending: pending.idHash, at: now)
        }
        return try await flow.proved(.emailAddress, interaction, client: client, user: verified, amr: pending.amr, request, context)
    }

    func resendVerify(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, _) = try await flow.loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            request, context)
        let (pending, user) = try await pending(interaction, stage: .verifyEmail, context)
        if let limited = rateLimit("email-code", context) { return limited }
        if !pending.isSignupAttempt { try await sendVerification(to: user, request, context) }
        return renderVerify(interaction, user: user, error: nil, notice: "We sent a new code.", status: .ok, context)
    }
}
