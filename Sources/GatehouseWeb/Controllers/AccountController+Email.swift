import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird

/// Changing the account's email address from the console: a recent sign-in (step-up), then a code
/// sent to the new address proves it before it takes effect. The new address must be unique in the
/// tenant; it is verified by the code and nothing else about the account changes.
extension AccountController {
    /// Codes for a new address last 30 minutes and allow 5 attempts.
    static let changeEmailLifetime: TimeInterval = 1800

    func registerEmailRoutes(_ group: RouterGroup<TenantRequestContext>) {
        group.post("account/email/change") { request, context in try await self.startEmailChange(request, context) }
        group.post("account/email/change/confirm") { request, context in
            try await self.confirmEmailChange(request, context)
        }
    }

    func emailMessage(_ text: String, status: HTTPResponse.Status, _ context: TenantRequestContext) -> Response {
        Responses.html(
            services.pages.render(
                "message", chrome: chrome("Email not changed", context),
                values: [
                    "heading": "Email not changed", "message": text, "error": true, "link_url": consolePath(context),
                    "link_text": "Back to your account",
                ]), status: status)
    }

    /// `POST /account/email/change` `new_email`: emails a code to the new address.
    func startEmailChange(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await consoleUser(request, context)
        if let reauthenticate = try await stepUp(claims, for: .emailChange, context) { return reauthenticate }
        guard let email = EmailAddress.normalize(form["new_email"] ?? "") else {
            return emailMessage("That is not an email address.", status: .badRequest, context)
        }
        guard email != user.email else { return emailMessage("That is already your email address.", status: .badRequest, context) }
        guard try await context.database.user(email: email) == nil else {
            return emailMessage("Another account uses that email address.", status: .conflict, context)
        }
        if let wait = services.actionLimiter.take(
            tenant: context.tenant.id, action: "email-code", ip: context.remoteAddress,
            now: services.clock.now)
        {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
        let now = services.clock.now
        let id = RandomText.bearerSecret()
        let code = services.sixDigitCode()
        try await context.database.insertOneTimeToken(
            OneTimeToken(
                id: id, purpose: .changeEmail, userID: user.id, tokenHash: nil, codeHash: services.codeHash(code, salt: id), context: email,
                createdAt: now, expiresAt: now.addingTimeInterval(Self.changeEmailLifetime)))
        try await services.deliverAccountEmail(
            .code, to: email,
            values: [
                "user_email": email, "user_name": user.name ?? "", "code": code,
                "expires_minutes": String(Int(Self.changeEmailLifetime / 60)),
            ], database: context.database)
        return changeCodePage(email: email, csrf: form["csrf_token"] ?? "", error: nil, context)
    }

    func changeCodePage(email: String, csrf: String, error: String?, _ context: TenantRequestContext) -> Response {
        codePage(
            title: "New email address", heading: "Confirm your new email address", sentTo: email,
            action: "/email/change/confirm", csrf: csrf, error: error, context)
    }

    /// The console page that asks for a 6-digit code sent to `sentTo`; 401 after a wrong code.
    /// - Parameter action: the form's path under the account console.
    func codePage(
        title: String, heading: String, sentTo: String, action: String, csrf: String, error: String?,
        _ context: TenantRequestContext
    ) -> Response {
        var values: [String: Any] = [
            "heading": heading, "message": "Enter the 6-digit code we sent to \(sentTo).",
            "action": "\(consolePath(context))\(action)", "csrf_token": csrf,
        ]
        if let error { values["error"] = error }
        return Responses.html(
            services.pages.render("account_code", chrome: chrome(title, context), values: values),
            status: error == nil ? .ok : .unauthorized)
    }

    /// `POST /account/email/change/confirm` `code`: the code proves the new address, which then
    /// replaces the old one (verified).
    func confirmEmailChange(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        var (claims, form, user) = try await consoleUser(request, context)
        if let reauthenticate = try await stepUp(claims, for: .emailChange, context) { return reauthenticate }
        let typed = (form["code"] ?? "").filter { !$0.isWhitespace }
        let services = self.services
        guard
            let token = try await context.database.consumeOneTimeCode(
                userID: user.id, purpose: .changeEmail, at: services.clock.now, maxAttempts: AccountFlowsController.codeAttempts,
                matches: { token in token.codeHash.map { ConstantTime.equals($0, services.codeHash(typed, salt: token.id)) } ?? false }),
            let email = token.context
        else {
            return changeCodePage(
                email: "your new address", csrf: form["csrf_token"] ?? "",
                error: "That code is not right, or it expired. After 5 wrong codes, start again.", context)
        }
        let previous = user.email
        user.email = email
        user.emailVerified = true
        let entry = services.userDraft(
            "user.updated", user, ip: context.remoteAddress, userAgent: request.headers[.userAgent],
            extra: ["previous_email": .string(previous)])
        do {
            try await services.audited([entry], in: context.database) { try await context.database.updateUser(user, at: services.clock.now) }
        } catch StoreError.conflict {
            return emailMessage("Another account uses that email address.", status: .conflict, context)
        }
        return back("email-changed", context)
    }
}
