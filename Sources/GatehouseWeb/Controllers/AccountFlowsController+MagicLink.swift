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
        guard context.tenant.tenant.settings.magicLink else { throw OAuthError.accessDenied("Sign-in links are not available here.") }
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, _) = try await flow.loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            request, context)
        if let limited = rateLimit("magic-link", context) { return limited }
        let now = services.clock.now
        let token = RandomText.bearerSecret()
        if let email = EmailAddress.normalize(form["email"] ?? ""), let user = try await context.database.user(email: email), !user.disabled {
            try await context.database.insertOneTimeToken(
                OneTimeToken(
                    id: RandomText.bearerSecret(), purpose: .magicLink, userID: user.id, tokenHash: SecretHash.of(token), codeHash: nil,
                    context: interaction.id, createdAt: now, expiresAt: now.addingTimeInterval(Self.magicLifetime)))
            try await services.sendAccountEmail(
                .magicLink, to: user,
                values: [
                    "link": services.link(context.tenant, "/magic", token: token), "expires_minutes": String(Int(Self.magicLifetime / 60)),
                ], database: context.database)
        }
        return message("Check your email", "If an account exists for that address, we sent it a sign-in link. Open it in this browser.", context)
    }

    func showMagic(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        guard let token = request.queryParameters["token"] else { throw OAuthError.invalidRequest("The sign-in link is incomplete.") }
        return Responses.html(
            services.pages.render(
                "message_form", chrome: flow.chrome("Sign in", context),
                values: [
                    "heading": "Sign in", "message": "Continue to sign in with the link we emailed you.",
                    "action": "\(path(context))/magic", "token": token, "button": "Continue",
                ]))
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
        // The link proved the address.
        // A first proof ends what was made before it, password included (pre-account takeover).
        if !user.emailVerified { try await context.database.proveEmail(user.id, keepPassword: false, at: now) }
        var verified = user
        verified.emailVerified = true
        return try await flow.completeFirstFactor(interaction, client: client, user: verified, amr: ["email"], request, context)
    }
}
