import Foundation
import GatehouseCore
import GatehouseCrypto
import HTTPTypes
import Hummingbird
import Logging

/// The admin console's session cookie `gh_admin`: the slug of the tenant signed in to (the
/// operators' directory, or a tenant whose user holds a console role), its SSO session id, the
/// user id and the time of the last request, with an HMAC-SHA256 under the instance's CSRF key
/// (derived from the master key, so every node checks it). Nothing is stored for it: the SSO
/// session it names must still be active (sign-out, operator removal and `reset-mfa` end it),
/// and a session idle for 30 minutes is over (`idleTimeout`; every console response renews it).
/// The cookie is `Path=/admin`, `HttpOnly`, `SameSite=Strict`, `Secure` when the public URL is
/// https, with `Max-Age` of the idle timeout.
struct ConsoleSession: Equatable {
    static let cookieName = "gh_admin"
    /// The pending authorization request (`state.verifier`), `SameSite=Lax` so that the callback gets it.
    static let flowCookieName = "gh_admin_flow"
    /// Seconds without a console request after which the session is over.
    static let idleTimeout = 30 * 60

    let slug: String
    let sessionID: SessionID
    let userID: UserID
    let lastSeen: Date

    init(slug: String, sessionID: SessionID, userID: UserID, lastSeen: Date) {
        self.slug = slug
        self.sessionID = sessionID
        self.userID = userID
        self.lastSeen = lastSeen
    }

    /// Parses and checks a cookie value; nil when malformed, forged, idle too long or from the future.
    init?(cookie value: String, services: Services, now: Date) {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, let sid = SessionID(rawValue: parts[1]), let uid = UserID(rawValue: parts[2]),
            let seconds = Int64(parts[3]),
            services.checkCSRF(parts[4], binding: Self.payload(parts[0], sid, uid, seconds), purpose: "admin-session")
        else { return nil }
        let seen = Date(timeIntervalSince1970: TimeInterval(seconds))
        let idle = now.timeIntervalSince(seen)
        guard idle <= TimeInterval(Self.idleTimeout), idle >= -60 else { return nil }
        self.init(slug: parts[0], sessionID: sid, userID: uid, lastSeen: seen)
    }

    static func payload(_ slug: String, _ sid: SessionID, _ uid: UserID, _ seconds: Int64) -> String {
        "\(slug).\(sid.rawValue).\(uid.rawValue).\(seconds)"
    }

    /// The same session seen at `now`.
    func renewed(at now: Date) -> ConsoleSession { ConsoleSession(slug: slug, sessionID: sessionID, userID: userID, lastSeen: now) }

    /// The cookie value: `slug.sid.uid.seconds.mac` (slugs have no dots).
    func value(_ services: Services) -> String {
        let payload = Self.payload(slug, sessionID, userID, Int64(lastSeen.timeIntervalSince1970))
        return payload + "." + services.csrfToken(binding: payload, purpose: "admin-session")
    }

    func cookie(_ services: Services) -> Cookie {
        Cookie(
            name: Self.cookieName, value: value(services), maxAge: Self.idleTimeout, path: ConsoleController.path,
            secure: services.secureCookies, httpOnly: true, sameSite: .strict)
    }

    static func clearCookie(_ services: Services) -> Cookie {
        Cookie(name: cookieName, value: "", maxAge: 0, path: ConsoleController.path, secure: services.secureCookies, httpOnly: true, sameSite: .strict)
    }
}

/// Console pages: the `error` page in the console's chrome (built-in templates), never a redirect.
struct ConsoleErrors: ErrorFamily {
    typealias Context = AppRequestContext
    let services: Services
    var name: String { "console" }

    func specific(_ error: any Error, _ request: Request, _ context: Context) throws -> Response? {
        guard let error = error as? OAuthError else { return nil }
        return page(error, error.code == .serverError ? .internalServerError : (error.code == .accessDenied ? .forbidden : .badRequest), context)
    }

    func busy(_ request: Request, _ context: Context) throws -> Response {
        var response = page(.temporarilyUnavailable("The server is busy. Try again in a moment."), .serviceUnavailable, context)
        response.headers[.retryAfter] = "1"
        return response
    }

    func refused(_ refused: SignInThrottle.Refused, _ request: Request, _ context: Context) throws -> Response {
        var response = page(.temporarilyUnavailable("Too many attempts. Try again in \(refused.retryAfter) seconds."), .tooManyRequests, context)
        response.headers[.retryAfter] = String(refused.retryAfter)
        return response
    }

    /// A tenant deleted while the page used it is not found, like one that never existed.
    func tenantGone(_ context: Context, error: any Error) -> (any HTTPResponseError)? { goneTenant(error) }

    func unexpected(_ request: Request, _ context: Context) throws -> Response {
        page(.serverError("An internal error occurred."), .internalServerError, context)
    }

    func page(_ error: OAuthError, _ status: HTTPResponse.Status, _ context: Context) -> Response {
        let body = services.pages.render(
            "error", chrome: ConsoleController(services: services).chrome("Something went wrong"),
            values: ["error": error.code.rawValue, "error_description": error.description, "request_id": context.requestID])
        return Responses.html(body, status: status)
    }
}
