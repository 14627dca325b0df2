import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Magic-link sign-in: a one-time link by email that completes the first factor.
extension AccountFlowsController {
    // MARK: Magic links

    /// Emails a sign-in link that continues this interaction in this browser (tenant switch `magic_link`).
    func requestMagicLink(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (form, interaction, _) = try await postedForm(
            request, context, enabled: context.tenant.tenant.settings.magicLink, unavailable: "Sign-in links are not available here.")
        if let limited = rateLimit("magic-link", context) { return limited }
        // An address whose organization enforces its SSO gets no link (docs/contract.md A8).
        if let refused = try await flow.enforcedSSORefusal(form["email"] ?? "", interaction: interaction, context) { return refused }
        try await emailLink(
            .magicLink, purpose: .magicLink, to: form["email"] ?? "", path: "/magic", lifetime: Self.magicLifetime,
            interactionID: interaction.id, context)
        return message("Check your email", "If an account exists for that address, we sent it a sign-in link. Open it in this browser.", context)
    }

    func showMagic(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        guard let token = request.queryParameters["token"] else { throw OAuthError.invalidRequest("The sign-in link is incomplete.") }
        return confirmationForm(
            "Sign in", "Continue to sign in with the link we emailed you.", action: "/magic", token: token, button: "Continue", context)
    }

    /// Uses a magic link: it must be opened in the browser that asked for it (the interaction's
    /// browser binding), so that a forwarded or intercepted link cannot sign anyone else in.
    func confirmMagic(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let now = services.clock.now
        guard let token = form["token"], token.utf8.count <= 128,
            let used = try await context.database.peekOneTimeLink(hash: SecretHash.of(token), purpose: .magicLink, at: now),
            let interactionID = used.context
        else {
            return message("Link expired", "This sign-in link was already used or has expired.", error: true, status: .badRequest, context)
        }
        guard let (interaction, client) = try? await flow.loadInteraction(interactionID, csrf: nil, requireCSRF: false, request, context) else {
            return message(
                "Open the link where you asked for it",
                "For your safety this sign-in link only works in the browser where you requested it.", error: true,
                status: .badRequest, context)
        }
        guard try await context.database.consumeOneTimeLink(hash: SecretHash.of(token), purpose: .magicLink, at: now) != nil,
            let user = try await context.database.user(id: used.userID), !user.disabled
        else {
            return message("Link expired", "This sign-in link was already used or has expired.", error: true, status: .badRequest, context)
        }
        // SSO enforced since the link was sent: refused like a new request.
        if let refused = try await flow.enforcedSSORefusal(user.email, interaction: interaction, context) { return refused }
        // The link proved the address.
        // A first proof ends what was made before it, password included (pre-account takeover).
        var verified = user
        verified.emailVerified = true
        if !user.emailVerified {
            let entry = services.userDraft(
                "user.email_verified", verified, ip: context.remoteAddress, userAgent: request.headers[.userAgent],
                extra: ["method": .string("magic_link")])
            try await services.audited([entry], in: context.database) {
                try await context.database.proveEmail(user.id, keepPassword: false, at: now)
            }
        }
        return try await flow.proved(.firstFactor, interaction, client: client, user: verified, amr: ["email"], request, context)
    }
}
