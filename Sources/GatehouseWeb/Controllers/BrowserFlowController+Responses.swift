import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Authorization responses (RFC 6749 §4.1.2, OAuth 2.0 Form Post Response Mode) and the browser session of a flow.
extension BrowserFlowController {
    // MARK: Authorization responses

    /// The CSP source expression for a redirect target (its origin, or its scheme for private-use schemes).
    static func sourceExpression(for uri: String) -> String? {
        guard let c = URLComponents(string: uri), let scheme = c.scheme else { return nil }
        guard let host = c.host, !host.isEmpty, scheme == "http" || scheme == "https" else { return "\(scheme):" }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)" + (c.port.map { ":\($0)" } ?? "")
    }

    /// Sends an authorization response (success or error) to a validated redirect URI.
    func respond(
        _ target: AuthorizationResponseTarget, _ params: [(String, String)], _ context: TenantRequestContext,
        cookies: [Cookie] = []
    ) -> Response {
        var response: Response
        switch target.responseMode {
        case .query:
            response = Responses.redirect(to: target.queryRedirect(params))
        case .formPost:
            // OAuth 2.0 Form Post Response Mode §2: an auto-submitting form; a button without JavaScript.
            // The auto-submit script is the server's, inserted after rendering and allowed by hash.
            let body = services.pages.render(
                "form_post", chrome: chrome("Continue", context),
                values: [
                    "redirect_uri": target.redirectURI,
                    "params": params.map { ["name": $0.0, "value": $0.1] },
                ])
            response = Responses.html(
                BuiltInScript.autoSubmit.inserted(into: body),
                formActions: Self.sourceExpression(for: target.redirectURI).map { [$0] } ?? [],
                scripts: [.autoSubmit])
        }
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    func target(of request: AuthorizationRequest) -> AuthorizationResponseTarget {
        AuthorizationResponseTarget(redirectURI: request.redirectURI, responseMode: request.responseMode, state: request.state)
    }

    // MARK: Sessions

    /// The browser's active session and its user, if any.
    func currentSession(_ request: Request, _ context: TenantRequestContext) async throws -> (Session, User)? {
        guard let cookie = TenantCookie.session.value(in: request),
            let session = try await context.database.session(tokenHash: SecretHash.of(cookie)),
            session.isActive(at: services.clock.now),
            let user = try await context.database.user(id: session.userID), !user.disabled
        else { return nil }
        return (session, user)
    }

    /// The browser-binding cookie's value, creating one when absent.
    func browserBinding(_ request: Request, _ context: TenantRequestContext) -> (value: String, cookie: Cookie?) {
        if let existing = TenantCookie.browser.value(in: request) { return (existing, nil) }
        let value = RandomText.bearerSecret()
        return (value, TenantCookie.browser.make(value, tenant: context.tenant, services: services, maxAge: 365 * 86400))
    }
}
