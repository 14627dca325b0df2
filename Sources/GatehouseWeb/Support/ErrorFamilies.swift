import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The answer when `error` says the request's tenant was deleted while the request used it
/// (`StoreError.tenantGone`): not found, like a tenant that never existed.
func goneTenant(_ error: any Error) -> (any HTTPResponseError)? {
    StoreError.isTenantGone(error) ? UnknownTenant() : nil
}

/// The answer for a tenant route whose tenant was deleted while the request used it.
func deletedTenant(_ tenant: ResolvedTenant, _ services: Services, error: any Error) -> (any HTTPResponseError)? {
    if let gone = goneTenant(error) { return gone }
    return services.store.resolve(slug: tenant.slug) == nil ? UnknownTenant() : nil
}

/// The machine-facing OAuth endpoints of a tenant (discovery, JWKS, token, userinfo,
/// introspection, revocation): RFC 6749 §5.2 JSON.
struct OAuthJSONErrors: ErrorFamily {
    typealias Context = TenantRequestContext
    let services: Services
    var name: String { "oauth" }

    func specific(_ error: any Error, _ request: Request, _ context: Context) throws -> Response? { nil }

    func busy(_ request: Request, _ context: Context) throws -> Response {
        OAuthError.temporarilyUnavailable("the server is busy").response(issuer: context.oauthIssuer)
    }

    func refused(_ refused: SignInThrottle.Refused, _ request: Request, _ context: Context) throws -> Response {
        OAuthJSONErrors.tooManyAttempts(refused, issuer: context.oauthIssuer)
    }

    func tenantGone(_ context: Context, error: any Error) -> (any HTTPResponseError)? {
        deletedTenant(context.tenant, services, error: error)
    }

    func unexpected(_ request: Request, _ context: Context) throws -> Response {
        OAuthError.serverError("internal error").response(issuer: context.oauthIssuer)
    }

    /// 429 `temporarily_unavailable` with `Retry-After` (RFC 6585 §4).
    static func tooManyAttempts(_ refused: SignInThrottle.Refused, issuer: String) -> Response {
        var response = OAuthError.temporarilyUnavailable("too many attempts; retry later").response(issuer: issuer)
        response.status = .tooManyRequests
        response.headers[.retryAfter] = String(refused.retryAfter)
        return response
    }
}

/// The headless API under `/v1/`: RFC 6749 §5.2 JSON, and a malformed JSON body (a
/// `ProblemDetails` of the shared JSON reader) is `invalid_request`.
struct HeadlessJSONErrors: ErrorFamily {
    typealias Context = HeadlessRequestContext
    var name: String { "headless" }

    func specific(_ error: any Error, _ request: Request, _ context: Context) throws -> Response? {
        guard let problem = error as? ProblemDetails else { return nil }
        return OAuthError.invalidRequest(problem.detail).response(issuer: context.oauthIssuer)
    }

    func busy(_ request: Request, _ context: Context) throws -> Response {
        OAuthError.temporarilyUnavailable("the server is busy").response(issuer: context.oauthIssuer)
    }

    func refused(_ refused: SignInThrottle.Refused, _ request: Request, _ context: Context) throws -> Response {
        OAuthJSONErrors.tooManyAttempts(refused, issuer: context.oauthIssuer)
    }

    /// A tenant deleted while the request used it: its keys are unknown now.
    func tenantGone(_ context: Context, error: any Error) -> (any HTTPResponseError)? { goneTenant(error) }

    func unexpected(_ request: Request, _ context: Context) throws -> Response {
        OAuthError.serverError("internal error").response(issuer: context.oauthIssuer)
    }
}

/// The HTML pages of a tenant (authorize, login, MFA, consent, account, logout): the readable
/// error page, with the error code, its description and the request id; never a redirect.
struct PageErrors: ErrorFamily {
    typealias Context = TenantRequestContext
    let services: Services
    var name: String { "page" }

    /// Every `OAuthError` is a 400 page: the redirect URI is not trusted here.
    func specific(_ error: any Error, _ request: Request, _ context: Context) throws -> Response? {
        guard let error = error as? OAuthError else { return nil }
        return BrowserFlowController(services: services).errorPage(error, context)
    }

    func busy(_ request: Request, _ context: Context) throws -> Response {
        page(.temporarilyUnavailable("Too many sign-ins at once. Try again in a moment."), .serviceUnavailable, retryAfter: 1, context)
    }

    func unavailable(_ request: Request, _ context: Context) throws -> Response {
        page(.temporarilyUnavailable("The service is unavailable for a moment. Try again shortly."), .serviceUnavailable, retryAfter: 5, context)
    }

    /// A throttle or per-IP limit (e.g. the account console's emails and password check).
    func refused(_ refused: SignInThrottle.Refused, _ request: Request, _ context: Context) throws -> Response {
        page(
            .temporarilyUnavailable("Too many attempts. Try again in \(refused.retryAfter) seconds."), .tooManyRequests,
            retryAfter: refused.retryAfter, context)
    }

    func tenantGone(_ context: Context, error: any Error) -> (any HTTPResponseError)? {
        deletedTenant(context.tenant, services, error: error)
    }

    func unexpected(_ request: Request, _ context: Context) throws -> Response {
        BrowserFlowController(services: services).errorPage(.serverError("An internal error occurred."), status: .internalServerError, context)
    }

    func page(_ error: OAuthError, _ status: HTTPResponse.Status, retryAfter: Int, _ context: Context) -> Response {
        var response = BrowserFlowController(services: services).errorPage(error, status: status, context)
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }
}

/// The admin API under `/admin/v1`: RFC 9457 problem details for every failure.
struct AdminProblemErrors: ErrorFamily {
    typealias Context = AppRequestContext
    let services: Services
    var name: String { "admin" }

    func specific(_ error: any Error, _ request: Request, _ context: Context) throws -> Response? {
        switch error {
        case StoreError.conflict(let detail): return ProblemDetails.conflict(detail).response
        case StoreError.notFound(let detail): return ProblemDetails.notFound(detail).response
        case StoreError.unavailable(let detail):
            context.logger.error("storage unavailable", metadata: ["detail": "\(detail)"])
            return ProblemDetails.unavailable("storage unavailable").response
        case StoreError.unsupported(let detail):
            return ProblemDetails(type: "urn:gatehouse:problem:unsupported", title: "Not implemented", statusCode: 501, detail: detail)
                .response
        case let failure as TenantArchive.Failure:
            return ProblemDetails.validation([.init(field: "archive", message: failure.description)]).response
        case let error as OAuthError:
            // Core checks the admin API reuses: a client's mistake is a 400, never a 500.
            return (error.code == .serverError ? ProblemDetails.internalError(context.requestID) : .badRequest(error.description)).response
        default: return nil
        }
    }

    func busy(_ request: Request, _ context: Context) throws -> Response {
        ProblemDetails.unavailable("the server is busy hashing passwords").response
    }

    func refused(_ refused: SignInThrottle.Refused, _ request: Request, _ context: Context) throws -> Response {
        ProblemDetails.tooManyRequests("too many attempts; retry later", retryAfter: refused.retryAfter).response
    }

    func tenantGone(_ context: Context, error: any Error) -> (any HTTPResponseError)? {
        if case StoreError.tenantGone = error { return ProblemDetails.notFound("no tenant with this slug") }
        guard let slug = context.parameters.get("slug"), services.store.resolve(slug: slug) == nil else { return nil }
        return ProblemDetails.notFound("no tenant with this slug")
    }

    func unexpected(_ request: Request, _ context: Context) throws -> Response {
        ProblemDetails.internalError(context.requestID).response
    }
}
