import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Password reset: a one-time link by email, then a new password.
extension AccountFlowsController {
    // MARK: Password reset

    func showForgot(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        var values: [String: Any] = ["action": "\(path(context))/forgot", "csrf_token": "", "interaction_id": ""]
        if let id = request.queryParameters["interaction"],
            let (interaction, _) = try? await flow.loadInteraction(id, csrf: nil, requireCSRF: false, request, context)
        {
            values["interaction_id"] = interaction.id
            values["csrf_token"] = interaction.csrfToken
            values["login_url"] = "\(path(context))/login?interaction=\(interaction.id)"
        } else {
            let binding = flow.browserBinding(request, context)
            values["csrf_token"] = services.csrfToken(binding: binding.value, purpose: "forgot")
            var response = Responses.html(services.pages.render("forgot", chrome: flow.chrome("Reset your password", context), values: values))
            if let cookie = binding.cookie { response.setCookie(cookie) }
            return response
        }
        return Responses.html(services.pages.render("forgot", chrome: flow.chrome("Reset your password", context), values: values))
    }

    /// Sends a reset link when the account exists; the answer is the same either way.
    func submitForgot(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        if let id = form["interaction_id"], !id.isEmpty {
            _ = try await flow.loadInteraction(id, csrf: form["csrf_token"], requireCSRF: true, request, context)
        } else {
            guard services.checkCSRF(form["csrf_token"], binding: TenantCookie.browser.value(in: request), purpose: "forgot") else {
                throw OAuthError.invalidRequest("The form expired. Reload the page and try again.")
            }
        }
        if let limited = rateLimit("reset", context) { return limited }
        try await emailLink(
            .reset, purpose: .resetPassword, to: form["email"] ?? "", path: "/reset", lifetime: Self.resetLifetime,
            interactionID: nil, context)
        return message("Check your email", "If an account exists for that address, we sent a link to reset its password.", context)
    }

    func showReset(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        guard let token = request.queryParameters["token"], token.utf8.count <= 128,
            try await context.database.peekOneTimeLink(hash: SecretHash.of(token), purpose: .resetPassword, at: services.clock.now) != nil
        else {
            return message(
                "Link expired", "This reset link was already used or has expired. Ask for a new one.", error: true,
                status: .badRequest, link: ("\(path(context))/forgot", "Ask for a new link"), context)
        }
        return renderReset(token: token, error: nil, status: .ok, context)
    }

    func renderReset(token: String, error: String?, status: HTTPResponse.Status, _ context: TenantRequestContext) -> Response {
        var values: [String: Any] = ["action": "\(path(context))/reset", "token": token]
        if let error { values["error"] = error }
        return Responses.html(
            services.pages.render("reset", chrome: flow.chrome("Choose a new password", context), values: values),
            status: status)
    }

    /// Sets the new password; every session and refresh token of the user is revoked.
    func submitReset(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        guard let token = form["token"], token.utf8.count <= 128 else { throw OAuthError.invalidRequest("The reset link is incomplete.") }
        let password = form["password"] ?? ""
        if let problem = PasswordPolicy.problem(password, common: services.commonPasswords) {
            return renderReset(token: token, error: "The password \(problem).", status: .badRequest, context)
        }
        let now = services.clock.now
        let db = context.database
        guard let used = try await db.consumeOneTimeLink(hash: SecretHash.of(token), purpose: .resetPassword, at: now),
            var user = try await db.user(id: used.userID)
        else {
            return message(
                "Link expired", "This reset link was already used or has expired. Ask for a new one.", error: true,
                status: .badRequest, link: ("\(path(context))/forgot", "Ask for a new link"), context)
        }
        let wasVerified = user.emailVerified
        user.passwordHash = try await services.passwords.hash(password)
        user.emailVerified = true  // the reset link proved the address
        var entries = [
            services.userDraft(
                "user.password_changed", user, ip: context.remoteAddress, userAgent: request.headers[.userAgent],
                extra: ["method": .string("reset")])
        ]
        if !wasVerified {
            entries.append(
                services.userDraft(
                    "user.email_verified", user, ip: context.remoteAddress, userAgent: request.headers[.userAgent],
                    extra: ["method": .string("reset_link")]))
        }
        try await services.audited(entries, in: db) { try await db.updateUser(user, at: now) }
        try await db.revokeEverything(of: user.id, at: now)
        try await db.spendSignInLinks(of: user.id, at: now)
        return message(
            "Password changed", "Your password was changed and you were signed out everywhere. Sign in again with the new password.",
            context)
    }
}
