import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The account console's security pages (issue 4): profile, email verification, password change,
/// MFA enrolment and removal, recovery codes. Every action is a CSRF-protected POST.
extension AccountController {
    static let notices: [String: String] = [
        "session-revoked": "The session was signed out.",
        "profile-saved": "Your name was saved.",
        "verification-sent": "We sent you a verification email.",
        "password-changed": "Your password was changed. Your other devices were signed out.",
        "totp-removed": "The authenticator app was removed.",
        "email-factor-on": "Codes by email are on.",
        "email-factor-removed": "Codes by email were turned off.",
    ]

    func registerSecurityRoutes(_ group: RouterGroup<TenantRequestContext>) {
        let flow = BrowserFlowController(services: services)
        group.post("account/profile") { request, context in await flow.page(context) { try await self.saveProfile(request, context) } }
        group.post("account/email/verify") { request, context in await flow.page(context) { try await self.sendVerification(request, context) } }
        group.post("account/password") { request, context in await flow.page(context) { try await self.changePassword(request, context) } }
        group.post("account/mfa/totp") { request, context in await flow.page(context) { try await self.startTOTP(request, context) } }
        group.post("account/mfa/totp/confirm") { request, context in await flow.page(context) { try await self.confirmTOTP(request, context) } }
        group.post("account/mfa/totp/remove") { request, context in await flow.page(context) { try await self.removeFactor(.totp, request, context) } }
        group.post("account/mfa/email") { request, context in await flow.page(context) { try await self.startEmailFactor(request, context) } }
        group.post("account/mfa/email/confirm") { request, context in await flow.page(context) { try await self.confirmEmailFactor(request, context) } }
        group.post("account/mfa/email/remove") { request, context in await flow.page(context) { try await self.removeFactor(.email, request, context) } }
        group.post("account/recovery-codes") { request, context in await flow.page(context) { try await self.newRecoveryCodes(request, context) } }
        group.post("account/done") { _, context in self.back("", context) }
    }

    func addSecurityValues(_ values: inout [String: Any], user: User, _ context: TenantRequestContext) async throws {
        let base = consolePath(context)
        let factors = try await context.database.mfaFactors(userID: user.id).map(\.kind)
        let settings = context.tenant.tenant.settings
        values["profile_action"] = "\(base)/profile"
        values["password_action"] = "\(base)/password"
        if !user.emailVerified { values["verify_email_action"] = "\(base)/email/verify" }
        values["totp_enrolled"] = factors.contains(.totp)
        values["totp_enrol_action"] = "\(base)/mfa/totp"
        values["totp_remove_action"] = "\(base)/mfa/totp/remove"
        values["email_factor_allowed"] = settings.mfaFactors.contains("email")
        values["email_enrolled"] = factors.contains(.email)
        values["email_enrol_action"] = "\(base)/mfa/email"
        values["email_remove_action"] = "\(base)/mfa/email/remove"
        values["has_factor"] = !factors.isEmpty
        values["recovery_action"] = "\(base)/recovery-codes"
        if !factors.isEmpty { values["recovery_remaining"] = String(try await context.database.unusedRecoveryCodeCount(userID: user.id)) }
    }

    /// The signed-in user of a console form.
    func consoleUser(_ request: Request, _ context: TenantRequestContext) async throws -> (AccessTokenClaims, FormParameters, User) {
        let (claims, form) = try await authorizedFormWithFields(request, context)
        guard let id = UserID(rawValue: claims.sub), let user = try await context.database.user(id: id), !user.disabled else {
            throw OAuthError.invalidRequest("You are no longer signed in.")
        }
        return (claims, form, user)
    }

    func back(_ notice: String, _ context: TenantRequestContext) -> Response {
        Responses.redirect(to: "\(consolePath(context))?notice=\(notice)")
    }

    func chrome(_ title: String, _ context: TenantRequestContext) -> PageRenderer.Chrome {
        BrowserFlowController(services: services).chrome(title, context)
    }

    func saveProfile(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        var (_, form, user) = try await consoleUser(request, context)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        if let problem = DisplayName.problem(name) {
            return Responses.html(services.pages.render("message", chrome: chrome("Name not saved", context), values: [
                "heading": "Name not saved", "message": "The name \(problem).", "error": true,
                "link_url": consolePath(context), "link_text": "Back to your account",
            ]), status: .badRequest)
        }
        user.name = name.isEmpty ? nil : name
        try await context.database.updateUser(user, at: services.clock.now)
        return back("profile-saved", context)
    }

    func sendVerification(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (_, _, user) = try await consoleUser(request, context)
        if let wait = services.actionLimiter.take(tenant: context.tenant.id, action: "email-code", ip: context.remoteAddress,
                                                  now: services.clock.now) {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
        if !user.emailVerified { try await AccountFlowsController(services: services).sendVerification(to: user, context) }
        return back("verification-sent", context)
    }

    /// Changes the password after checking the current one (when the user has one); the user's other
    /// sessions and every refresh token not of this session are revoked.
    func changePassword(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        var (claims, form, user) = try await consoleUser(request, context)
        let message = { (text: String, status: HTTPResponse.Status) in
            Responses.html(self.services.pages.render("message", chrome: self.chrome("Password not changed", context), values: [
                "heading": "Password not changed", "message": text, "error": true, "link_url": self.consolePath(context),
                "link_text": "Back to your account",
            ]), status: status)
        }
        if user.passwordHash != nil {
            let ok = try await services.verifyCredentials(email: user.email, password: form["current_password"] ?? "",
                                                          in: context.database, ip: context.remoteAddress)
            guard ok?.id == user.id else { return message("The current password is not right.", .unauthorized) }
        }
        let new = form["new_password"] ?? ""
        if let problem = PasswordPolicy.problem(new, common: services.commonPasswords) {
            return message("The new password \(problem).", .badRequest)
        }
        user.passwordHash = try await services.passwords.hash(new)
        let now = services.clock.now
        try await context.database.updateUser(user, at: now)
        try await context.database.revokeOthers(of: user.id, keep: claims.sid.flatMap(SessionID.init(rawValue:)), at: now)
        try await context.database.spendSignInLinks(of: user.id, at: now)
        return back("password-changed", context)
    }

    /// The console's enrolment in progress, keyed by the console token.
    func enrolmentID(_ claims: AccessTokenClaims) -> [UInt8] { SecretHash.of("console-enrol:" + claims.jti) }

    func enrolmentPending(_ claims: AccessTokenClaims, user: User, create: Bool, _ context: TenantRequestContext) async throws -> PendingSignIn? {
        let now = services.clock.now
        if let existing = try await context.database.pendingSignIn(idHash: enrolmentID(claims), at: now), existing.userID == user.id {
            return existing
        }
        guard create else { return nil }
        let pending = PendingSignIn(idHash: enrolmentID(claims), userID: user.id, clientID: claims.clientID, amr: [], stage: .enrol,
                                    createdAt: now, expiresAt: now.addingTimeInterval(PendingSignIn.lifetime))
        try await context.database.savePendingSignIn(pending)
        return pending
    }

    func renderTOTP(_ pending: PendingSignIn, user: User, csrf: String, error: String?, _ context: TenantRequestContext) async throws -> Response {
        let enrolment = try await services.totpEnrolment(pending, user: user, database: context.database)
        var values: [String: Any] = [
            "action": "\(consolePath(context))/mfa/totp/confirm", "interaction_id": "", "csrf_token": csrf,
            "qr_data_url": enrolment.qrDataURL, "otpauth_uri": enrolment.uri, "secret": enrolment.secret,
        ]
        if let error { values["error"] = error }
        return Responses.html(services.pages.render("mfa_enrol", chrome: chrome("Set up two-step verification", context), values: values),
                              status: error == nil ? .ok : .unauthorized)
    }

    func startTOTP(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        let pending = try await enrolmentPending(claims, user: user, create: true, context)!
        return try await renderTOTP(pending, user: user, csrf: form["csrf_token"] ?? "", error: nil, context)
    }

    func confirmTOTP(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        guard let pending = try await enrolmentPending(claims, user: user, create: false, context) else {
            throw OAuthError.invalidRequest("The set-up expired. Start again from your account page.")
        }
        guard let codes = try await services.confirmTOTPEnrolment(pending, code: form["code"] ?? "", user: user, database: context.database) else {
            if try await context.database.recordPendingAttempt(idHash: pending.idHash) >= PendingSignIn.maxAttempts {
                try await context.database.deletePendingSignIn(idHash: pending.idHash)
                throw OAuthError.invalidRequest("Too many incorrect codes. Start again from your account page.")
            }
            return try await renderTOTP(pending, user: user, csrf: form["csrf_token"] ?? "",
                                        error: "That code is not right. Check the time on your device and try again.", context)
        }
        try await context.database.deletePendingSignIn(idHash: pending.idHash)
        return recoveryPage(codes, csrf: form["csrf_token"] ?? "", context)
    }

    func recoveryPage(_ codes: [String], csrf: String, _ context: TenantRequestContext) -> Response {
        Responses.html(services.pages.render("recovery_codes", chrome: chrome("Save your recovery codes", context), values: [
            "codes": codes, "action": "\(consolePath(context))/done", "interaction_id": "", "csrf_token": csrf,
            "continue_label": "Back to your account",
        ]))
    }

    /// Removes a factor; refused when the tenant requires MFA and it is the user's last one.
    func removeFactor(_ kind: MFAFactorKind, _ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (_, _, user) = try await consoleUser(request, context)
        let factors = try await context.database.mfaFactors(userID: user.id).map(\.kind)
        if context.tenant.tenant.settings.mfaPolicy == .required, factors == [kind] {
            throw OAuthError.invalidRequest("Your organization requires two-step verification: set up another method before removing this one.")
        }
        try await context.database.removeMFAFactor(userID: user.id, kind: kind)
        let what = kind == .totp ? "An authenticator app was removed from your account." : "Codes by email were turned off for your account."
        try await services.sendAccountEmail(.mfaChange, to: user, values: ["change": what], database: context.database)
        return back(kind == .totp ? "totp-removed" : "email-factor-removed", context)
    }

    /// Turns on codes by email after proving the address with a code.
    func startEmailFactor(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        guard context.tenant.tenant.settings.mfaFactors.contains("email") else { throw OAuthError.invalidRequest("Codes by email are not available.") }
        if let wait = services.actionLimiter.take(tenant: context.tenant.id, action: "email-code", ip: context.remoteAddress,
                                                  now: services.clock.now) {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
        let pending = try await enrolmentPending(claims, user: user, create: true, context)!
        try await services.sendChallengeCode(pending, user: user, database: context.database)
        return emailCodePage(csrf: form["csrf_token"] ?? "", error: nil, user: user, context)
    }

    func emailCodePage(csrf: String, error: String?, user: User, _ context: TenantRequestContext) -> Response {
        var values: [String: Any] = [
            "heading": "Turn on codes by email", "message": "Enter the 6-digit code we sent to \(user.email).",
            "action": "\(consolePath(context))/mfa/email/confirm", "csrf_token": csrf,
        ]
        if let error { values["error"] = error }
        return Responses.html(services.pages.render("account_code", chrome: chrome("Codes by email", context), values: values),
                              status: error == nil ? .ok : .unauthorized)
    }

    func confirmEmailFactor(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        guard let pending = try await enrolmentPending(claims, user: user, create: false, context) else {
            throw OAuthError.invalidRequest("The set-up expired. Start again from your account page.")
        }
        guard try await services.checkSecondFactor(.email, code: form["code"] ?? "", pending: pending, user: user,
                                                   database: context.database) != nil else {
            if try await context.database.recordPendingAttempt(idHash: pending.idHash) >= PendingSignIn.maxAttempts {
                try await context.database.deletePendingSignIn(idHash: pending.idHash)
                throw OAuthError.invalidRequest("Too many incorrect codes. Start again from your account page.")
            }
            return emailCodePage(csrf: form["csrf_token"] ?? "", error: "That code is not right, or it expired.", user: user, context)
        }
        try await context.database.deletePendingSignIn(idHash: pending.idHash)
        let now = services.clock.now
        let hadFactor = try await !context.database.mfaFactors(userID: user.id).isEmpty
        try await context.database.saveMFAFactor(MFAFactor(id: "mfa_" + ULID.make(at: now), userID: user.id, kind: .email,
                                                           sealedSecret: nil, createdAt: now))
        try await services.sendAccountEmail(.mfaChange, to: user, values: ["change": "Codes by email were turned on for your account."],
                                            database: context.database)
        if !hadFactor {
            return recoveryPage(try await services.regenerateRecoveryCodes(for: user, database: context.database),
                                csrf: form["csrf_token"] ?? "", context)
        }
        return back("email-factor-on", context)
    }

    func newRecoveryCodes(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (_, form, user) = try await consoleUser(request, context)
        guard try await !context.database.mfaFactors(userID: user.id).isEmpty else {
            throw OAuthError.invalidRequest("Set up two-step verification first.")
        }
        return recoveryPage(try await services.regenerateRecoveryCodes(for: user, database: context.database),
                            csrf: form["csrf_token"] ?? "", context)
    }
}
