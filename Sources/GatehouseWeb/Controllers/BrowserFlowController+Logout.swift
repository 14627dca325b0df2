import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
extension BrowserFlowController {
    // MARK: RP-initiated logout

    /// The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0).
    ///
    /// With an `id_token_hint` for the signed-in user (or no session at all) the logout happens at
    /// once; otherwise the user confirms on a page (§2: "the OP SHOULD ask the End-User whether to
    /// log out"), whose form carries a CSRF token bound to the browser.
    func logout(_ request: Request, _ context: TenantRequestContext, parameters: FormParameters, confirmed: Bool) async throws -> Response {
        let tokens = try await services.tokenService(for: context.database)
        let logout = try await LogoutEndpoint.validate(parameters, tokens: tokens, findClient: context.database.client(clientID:))
        let current = try await currentSession(request, context)
        let binding = browserBinding(request, context)
        if confirmed {
            guard services.checkCSRF(parameters["csrf_token"], binding: TenantCookie.browser.value(in: request), purpose: "logout") else {
                throw OAuthError.invalidRequest("The sign-out form expired. Try again.")
            }
            if parameters["decision"] != "logout" {
                return Responses.html(
                    services.pages.render(
                        "logged_out", chrome: chrome("Still signed in", context),
                        values: [
                            "still_signed_in": true
                        ]))
            }
        }
        // The hint must name this very session (its `sid`): an ID token of an earlier, ended session of
        // the same user does not sign out a newer one without asking.
        let hintMatches =
            logout.hint.map { hint in
                current.map { session, user in hint.sid.map { $0 == session.id.rawValue } ?? (hint.sub == user.id.rawValue) } ?? true
            } ?? false
        if current != nil, !confirmed, !hintMatches {
            var values: [String: Any] = [
                "action": "\(issuerPath(context))\(ProviderMetadata.Path.endSession)",
                "csrf_token": services.csrfToken(binding: binding.value, purpose: "logout"),
                "params": [
                    ("post_logout_redirect_uri", parameters["post_logout_redirect_uri"]), ("state", parameters["state"]),
                    ("client_id", logout.client?.clientID),
                ]
                .compactMap { name, value in value.map { ["name": name, "value": $0] } },
            ]
            if let client = logout.client { values["client_name"] = client.name }
            var response = Responses.html(
                services.pages.render("logout_confirm", chrome: chrome("Sign out", context), values: values),
                formActions: logout.postLogoutRedirectURI.flatMap(Self.sourceExpression(for:)).map { [$0] } ?? [])
            if let cookie = binding.cookie { response.setCookie(cookie) }
            return response
        }
        if let (session, _) = current {
            try await services.auditedAccount(
                "session.revoked", user: session.userID, target: ("session", session.id.rawValue), data: .object(["reason": .string("logout")]),
                request, context
            ) { try await context.database.endSession(id: session.id, at: services.clock.now) }
            services.logouts.wake()  // Back-Channel Logout §2.5: the logout tokens go out now
        }
        let clear = [
            TenantCookie.session.clear(tenant: context.tenant, services: services),
            TenantCookie.console.clear(tenant: context.tenant, services: services, path: "\(services.basePath(of: context.tenant))/account"),
        ]
        var response: Response
        if let target = logout.redirectTarget {
            response = Responses.redirect(to: target)
        } else {
            response = Responses.html(services.pages.render("logged_out", chrome: chrome("Signed out", context), values: [:]))
        }
        for cookie in clear { response.setCookie(cookie) }
        return response
    }
}
