import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The account console's security pages: profile, email verification, password change,
/// MFA enrolment and removal, recovery codes. Every action is a CSRF-protected POST.
extension AccountController {
    static let notices: [String: String] = [
        "session-revoked": "The session was signed out.",
        "invitation-accepted": "You accepted the invitation and joined the organization.",
        "profile-saved": "Your name was saved.",
        "verification-sent": "We sent you a verification email.",
        "password-changed": "Your password was changed. Your other devices were signed out.",
        "totp-removed": "The authenticator app was removed.",
        "email-factor-on": "Codes by email are on.",
        "email-factor-removed": "Codes by email were turned off.",
        "email-changed": "Your email address was changed.",
        "reauthenticated": "You signed in again. Enter the new email address once more.",
        "passkey-added": "The passkey was added. You can sign in with it.",
        "passkey-renamed": "The passkey was renamed.",
        "passkey-removed": "The passkey was removed.",
        "reauthenticated-passkey": "You signed in again. Remove the passkey once more.",
    ]

    /// Notices of a refused change, shown as errors.
    static let refusals: [String: String] = [
        SignInMethodKept(lastWayIn: true).notice: "That passkey is your only way to sign in, so it was kept: set a password or add another passkey first.",
        SignInMethodKept(lastWayIn: false).notice: "Two-step verification is required here, so your last method was kept: set up another one first.",
    ]

    func registerSecurityRoutes(_ group: RouterGroup<TenantRequestContext>) {
        group.post("account/profile") { request, context in try await self.saveProfile(request, context) }
        group.post("account/email/verify") { request, context in try await self.sendVerification(request, context) }
        group.post("account/password") { request, context in try await self.changePassword(request, context) }
        group.post("account/mfa/totp") { request, context in try await self.startTOTP(request, context) }
        group.post("account/mfa/totp/confirm") { request, context in try await self.confirmTOTP(request, context) }
        group.post("account/mfa/totp/remove") { request, context in try await self.removeFactor(.totp, request, context) }
        group.post("account/mfa/email") { request, context in try await self.startEmailFactor(request, context) }
        group.post("account/mfa/email/confirm") { request, context in try await self.confirmEmailFactor(request, context) }
        group.post("account/mfa/email/remove") { request, context in try await self.removeFactor(.email, request, context) }
        group.post("account/recovery-codes") { request, context in try await self.newRecoveryCodes(request, context) }
        group.post("account/done") { _, context in self.back("", context) }
        registerEmailRoutes(group)
    }

    func addSecurityValues(_ values: inout [String: Any], user: User, _ context: TenantRequestContext) async throws {
        let base = consolePath(context)
        let factors = try await context.database.mfaFactors(userID: user.id).map(\.kind)
        let settings = context.tenant.tenant.settings
        values["profile_action"] = "\(base)/profile"
        values["password_action"] = "\(base)/password"
        if !user.emailVerified { values["verify_email_action"] = "\(base)/email/verify" }
        values["change_email_action"] = "\(base)/email/change"
        values["totp_enrolled"] = factors.contains(.totp)
        values["totp_enrol_action"] = "\(base)/mfa/totp"
        values["totp_remove_action"] = "\(base)/mfa/totp/remove"
        values["email_factor_allowed"] = settings.mfaFactors.contains("email")
        values["email_enrolled"] = factors.contains(.email)
        values["email_enrol_action"] = "\(base)/mfa/email"
        values["email_remove_action"] = "\(base)/mfa/email/remove"
        values["has_factor"] = !factors.isEmpty
        values["recovery_action"] = "\(base)/recovery-codes"
        if services.passkeyRelyingParty(context.tenant) != nil {
            values["passkeys_allowed"] = true
            values["passkey_add_action"] = "\(base)/passkeys/new"
            values["passkeys"] = try await context.database.passkeys(userID: user.id).map { passkey -> [String: Any] in
                [
                    "id": passkey.id, "name": passkey.name, "created_at": ISO8601DateFormatter().string(from: passkey.createdAt),
                    "last_used_at": passkey.lastUsedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never",
                    "rename_action": "\(base)/passkeys/\(passkey.id)/rename", "remove_action": "\(base)/passkeys/\(passkey.id)/remove",
                ]
            }
        }
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
            return Responses.html(
                services.pages.render(
                    "message", chrome: chrome("Name not saved", context),
                    values: [
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
        if let wait = services.actionLimiter.take(
            tenant: context.tenant.id, action: "email-code", ip: context.remoteAddress,
            now: services.clock.now)
        {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
        if !user.emailVerified { try await AccountFlowsController(services: services).sendVerification(to: user, request, context) }
        return back("verification-sent", context)
    }

    /// Changes the password after checking the current one (when the user has one); the user's other
    /// sessions and every refresh token not of this session are revoked.
    func changePassword(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        var (claims, form, user) = try await consoleUser(request, context)
        let message = { (text: String, status: HTTPResponse.Status) in
            Responses.html(
                self.services.pages.render(
                    "message", chrome: self.chrome("Password not changed", context),
                    values: [
                        "heading": "Password not changed", "message": text, "error": true, "link_url": self.consolePath(context),
                        "link_text": "Back to your account",
                    ]), status: status)
        }
        if user.passwordHash != nil {
            let ok = try await services.verifyCredentials(
                email: user.email, password: form["current_password"] ?? "",
                in: context.database, ip: context.remoteAddress)
            guard ok?.id == user.id else { return message("The current password is not right.", .unauthorized) }
        }
        let new = form["new_password"] ?? ""
        if let problem = PasswordPolicy.problem(new, common: services.commonPasswords) {
            return message("The new password \(problem).", .badRequest)
        }
        user.passwordHash = try await services.passwords.hash(new)
        let now = services.clock.now
        try await services.auditedAccount("user.password_changed", user: user.id, request, context) {
            try await context.database.updateUser(user, at: now)
        }
        try await context.database.revokeOthers(of: user.id, keep: claims.sid.flatMap(SessionID.init(rawValue:)), at: now)
        try await context.database.spendSignInLinks(of: user.id, at: now)
        return back("password-changed", context)
    }

    /// The console's enrolment in progress, keyed by the console token (its own table: never a
    /// sign-in challenge).
    func enrolmentID(_ claims: AccessTokenClaims) -> [UInt8] { SecretHash.of("console-enrol:" + claims.jti) }

    func enrolment(_ claims: AccessTokenClaims, user: User, create: Bool, _ context: TenantRequestContext) async throws -> ConsoleEnrolment? {
        let now = services.clock.now
        if let existing = try await context.database.consoleEnrolment(idHash: enrolmentID(claims), userID: user.id, at: now) {
            return existing
        }
        guard create else { return nil }
        let enrolment = ConsoleEnrolment(
            idHash: enrolmentID(claims), userID: user.id, createdAt: now,
            expiresAt: now.addingTimeInterval(PendingSignIn.lifetime))
        try await context.database.saveConsoleEnrolment(enrolment)
        return enrolment
    }

    /// A wrong code on a console enrolment: five end it.
    func failedEnrolmentCode(_ enrolment: ConsoleEnrolment, _ context: TenantRequestContext) async throws {
        if try await context.database.recordConsoleEnrolmentAttempt(idHash: enrolment.idHash) >= PendingSignIn.maxAttempts {
            try await context.database.deleteConsoleEnrolment(idHash: enrolment.idHash)
            throw OAuthError.invalidRequest("Too many incorrect codes. Start again from your account page.")
        }
    }

    func renderTOTP(_ enrolment: ConsoleEnrolment, user: User, csrf: String, error: String?, _ context: TenantRequestContext) async throws -> Response {
        var secret: [UInt8]
        if let sealed = enrolment.sealedTOTPSecret {
            secret = try context.database.unseal(sealed)
        } else {
            secret = TOTP.generateSecret()
            var updated = enrolment
            updated.sealedTOTPSecret = context.database.seal(secret)
            try await context.database.saveConsoleEnrolment(updated)
        }
        let view = try services.totpEnrolment(secret: secret, user: user, database: context.database)
        var values: [String: Any] = [
            "action": "\(consolePath(context))/mfa/totp/confirm", "interaction_id": "", "csrf_token": csrf,
            "qr_data_url": view.qrDataURL, "otpauth_uri": view.uri, "secret": view.secret,
        ]
        if let error { values["error"] = error }
        return Responses.html(
            services.pages.render("mfa_enrol", chrome: chrome("Set up two-step verification", context), values: values),
            status: error == nil ? .ok : .unauthorized)
    }

    func startTOTP(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        if let reauthenticate = try await stepUp(claims, for: .totp, context) { return reauthenticate }
        let enrolment = try await enrolment(claims, user: user, create: true, context)!
        return try await renderTOTP(enrolment, user: user, csrf: form["csrf_token"] ?? "", error: nil, context)
    }

    func confirmTOTP(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        guard let enrolment = try await enrolment(claims, user: user, create: false, context), enrolment.sealedTOTPSecret != nil else {
            throw OAuthError.invalidRequest("The set-up expired. Start again from your account page.")
        }
        guard
            let codes = try await services.confirmTOTPEnrolment(
                sealed: enrolment.sealedTOTPSecret, code: form["code"] ?? "", user: user,
                database: context.database, ip: context.remoteAddress)
        else {
            try await failedEnrolmentCode(enrolment, context)
            return try await renderTOTP(
                enrolment, user: user, csrf: form["csrf_token"] ?? "",
                error: "That code is not right. Check the time on your device and try again.", context)
        }
        try await context.database.deleteConsoleEnrolment(idHash: enrolment.idHash)
        return recoveryPage(codes, csrf: form["csrf_token"] ?? "", context)
    }

    func recoveryPage(_ codes: [String], csrf: String, _ context: TenantRequestContext) -> Response {
        Responses.html(
            services.pages.render(
                "recovery_codes", chrome: chrome("Save your recovery codes", context),
                values: [
                    "codes": codes, "action": "\(consolePath(context))/done", "interaction_id": "", "csrf_token": csrf,
                    "continue_label": "Back to your account",
                ]))
    }

    /// Removes a factor; refused when the tenant requires MFA and it is the user's last one (a
    /// passkey counts, where the tenant accepts passkeys).
    func removeFactor(_ kind: MFAFactorKind, _ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, _, user) = try await consoleUser(request, context)
        if let reauthenticate = try await stepUp(claims, for: kind == .totp ? .totpRemove : .emailFactorRemove, context) {
            return reauthenticate
        }
        let removed: Bool
        do {
            removed = try await services.auditedAccount(
                "user.mfa_disabled", user: user.id, data: .object(["factor": .string(kind.rawValue)]), request, context, keepIf: { $0 }
            ) { try await services.removeSignInMethod(.secondFactor(kind), of: user.id, database: context.database) }
        } catch let kept as SignInMethodKept {
            return back(kept.notice, context)
        }
        guard removed else { return back("", context) }
        let what = kind == .totp ? "An authenticator app was removed from your account." : "Codes by email were turned off for your account."
        try await services.sendAccountEmail(.mfaChange, to: user, values: ["change": what], database: context.database)
        return back(kind == .totp ? "totp-removed" : "email-factor-removed", context)
    }

    /// Turns on codes by email after proving the address with a code.
    func startEmailFactor(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        guard context.tenant.tenant.settings.mfaFactors.contains("email") else { throw OAuthError.invalidRequest("Codes by email are not available.") }
        if let reauthenticate = try await stepUp(claims, for: .emailFactor, context) { return reauthenticate }
        if let wait = services.actionLimiter.take(
            tenant: context.tenant.id, action: "email-code", ip: context.remoteAddress,
            now: services.clock.now)
        {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
        var enrolment = try await enrolment(claims, user: user, create: true, context)!
        let code = services.sixDigitCode()
        enrolment.emailCodeHash = services.codeHash(code, salt: Base64URL.encode(enrolment.idHash))
        enrolment.emailCodeExpiresAt = services.clock.now.addingTimeInterval(PendingSignIn.emailCodeLifetime)
        try await context.database.saveConsoleEnrolment(enrolment)
        try await services.sendAccountEmail(
            .code, to: user,
            values: [
                "code": code, "expires_minutes": String(Int(PendingSignIn.emailCodeLifetime / 60)),
            ], database: context.database)
        return emailCodePage(csrf: form["csrf_token"] ?? "", error: nil, user: user, context)
    }

    func emailCodePage(csrf: String, error: String?, user: User, _ context: TenantRequestContext) -> Response {
        codePage(
            title: "Codes by email", heading: "Turn on codes by email", sentTo: user.email, action: "/mfa/email/confirm",
            csrf: csrf, error: error, context)
    }

    func confirmEmailFactor(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        guard let enrolment = try await enrolment(claims, user: user, create: false, context), enrolment.emailCodeHash != nil else {
            throw OAuthError.invalidRequest("The set-up expired. Start again from your account page.")
        }
        let typed = (form["code"] ?? "").filter { !$0.isWhitespace }
        let salt = Base64URL.encode(enrolment.idHash)
        let proven = try await services.throttled(
            services.secondFactorThrottle, account: user.id.rawValue, ip: context.remoteAddress,
            database: context.database, initial: .failure
        ) { outcome in
            let ok = SecondFactorCheck.emailCodeMatches(
                typed, hash: enrolment.emailCodeHash, expiresAt: enrolment.emailCodeExpiresAt, salt: salt, now: services.clock.now)
            if ok { outcome = .success }
            return ok
        }
        guard proven else {
            try await failedEnrolmentCode(enrolment, context)
            return emailCodePage(csrf: form["csrf_token"] ?? "", error: "That code is not right, or it expired.", user: user, context)
        }
        try await context.database.deleteConsoleEnrolment(idHash: enrolment.idHash)
        let now = services.clock.now
        let hadFactor = try await !context.database.mfaFactors(userID: user.id).isEmpty
        try await services.auditedAccount("user.mfa_enabled", user: user.id, data: .object(["factor": .string("email")]), request, context) {
            try await context.database.saveMFAFactor(
                MFAFactor(
                    id: "mfa_" + ULID.make(at: now), userID: user.id, kind: .email,
                    sealedSecret: nil, createdAt: now))
        }
        try await services.sendAccountEmail(
            .mfaChange, to: user, values: ["change": "Codes by email were turned on for your account."],
            database: context.database)
        if !hadFactor {
            return recoveryPage(
                try await services.regenerateRecoveryCodes(for: user, database: context.database),
                csrf: form["csrf_token"] ?? "", context)
        }
        return back("email-factor-on", context)
    }

    func newRecoveryCodes(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        if let reauthenticate = try await stepUp(claims, for: .recoveryCodes, context) { return reauthenticate }
        guard try await !context.database.mfaFactors(userID: user.id).isEmpty else {
            throw OAuthError.invalidRequest("Set up two-step verification first.")
        }
        return recoveryPage(
            try await services.regenerateRecoveryCodes(for: user, database: context.database),
            csrf: form["csrf_token"] ?? "", context)
    }
}
