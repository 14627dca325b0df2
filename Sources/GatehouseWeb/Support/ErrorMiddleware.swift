import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseThreads
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A family of routes whose errors share one shape (docs/architecture.md "Errors"): OAuth JSON,
/// HTML pages, headless JSON, admin problem details. `ErrorMiddleware` decides which kind of
/// error was thrown; the family draws it.
protocol ErrorFamily: Sendable {
    associatedtype Context: RequestContext

    /// Names the family in log lines.
    var name: String { get }

    /// Errors this family draws its own way (e.g. `OAuthError` as an HTML page); nil for the rest,
    /// which the middleware maps.
    func specific(_ error: any Error, _ request: Request, _ context: Context) throws -> Response?

    /// The password hashing queue is full (`ThreadPool.Busy`): 503 with `Retry-After`.
    func busy(_ request: Request, _ context: Context) throws -> Response

    /// The storage cannot be reached (`StoreError.unavailable`, e.g. PostgreSQL gone or this node
    /// stopping): 503 with `Retry-After`. Default: as `busy`.
    func unavailable(_ request: Request, _ context: Context) throws -> Response

    /// A sign-in throttle or rate limit refused the attempt: 429 with `Retry-After`.
    func refused(_ refused: SignInThrottle.Refused, _ request: Request, _ context: Context) throws -> Response

    /// The answer when the request's tenant was deleted while it ran; nil when it was not (or the
    /// family has no tenant).
    func tenantGone(_ context: Context, error: any Error) -> (any HTTPResponseError)?

    /// An unexpected failure (already logged): 500 without internal detail.
    func unexpected(_ request: Request, _ context: Context) throws -> Response
}

extension ErrorFamily {
    func unavailable(_ request: Request, _ context: Context) throws -> Response { try busy(request, context) }
}

/// The one place where a route family's thrown errors become responses. Install it as the
/// innermost middleware of the family's route group, so that outer middleware (CORS) decorates
/// the answer. Order: the family's own errors, `ThreadPool.Busy`, `SignInThrottle.Refused`,
/// self-rendering errors (`HTTPResponseError`: `OAuthError`, `ProblemDetails`, `HTTPError`), a
/// deleted tenant, then anything else as a logged 500.
struct ErrorMiddleware<Family: ErrorFamily>: RouterMiddleware {
    typealias Context = Family.Context
    let family: Family

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try map(error, request, context)
        }
    }

    /// The family's response for `error`.
    func map(_ error: any Error, _ request: Request, _ context: Context) throws -> Response {
        // A database that cannot be reached is the server's temporary state, not a fault: 503.
        let error = StoreError.unavailable(from: error) ?? error
        if let oauth = error as? OAuthError {
            // The throw site and debug reason go to the log only.
            context.logger.log(
                level: oauth.code == .serverError ? .error : .debug, "\(family.name) request refused",
                metadata: ["error": "\(oauth.logDetail)"])
        }
        if let response = try family.specific(error, request, context) { return response }
        switch error {
        case is ThreadPool.Busy:
            return try family.busy(request, context)
        case let refused as SignInThrottle.Refused:
            return try family.refused(refused, request, context)
        case StoreError.unavailable(let detail):
            context.logger.error("\(family.name) request failed: storage unavailable", metadata: ["detail": "\(detail)"])
            return try family.unavailable(request, context)
        case let rendering as any HTTPResponseError:
            return try rendering.response(from: request, context: context)
        default:
            if let gone = family.tenantGone(context, error: error) { return try gone.response(from: request, context: context) }
            // PostgresNIO hides the cause from `description`; its reflection masks bound values.
            context.logger.error("\(family.name) request failed", metadata: ["error": "\(String(reflecting: error))"])
            return try family.unexpected(request, context)
        }
    }
}

/// A request context that knows the issuer of its tenant: the `realm` of the challenges an
/// `OAuthError` draws (RFC 6750 §3).
protocol OAuthIssuerContext: RequestContext {
    var oauthIssuer: String { get }
}

extension OAuthError: HTTPResponseError {
    /// The HTTP status of the error code (the one place where OAuth error codes become statuses):
    /// `invalid_client` and `invalid_token` 401 (RFC 6749 §5.2, RFC 6750 §3.1),
    /// `insufficient_scope` 403, `server_error` 500, `temporarily_unavailable` 503, otherwise 400.
    public var status: HTTPResponse.Status {
        switch code {
        case .invalidClient, .invalidToken: .unauthorized
        case .insufficientScope: .forbidden
        case .serverError: .internalServerError
        case .temporarilyUnavailable: .serviceUnavailable
        default: .badRequest
        }
    }

    /// RFC 6749 §5.2 JSON; the realm is the context's issuer (`OAuthIssuerContext`).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(issuer: (context as? any OAuthIssuerContext)?.oauthIssuer ?? "")
    }

    /// RFC 6749 §5.2 JSON `{"error","error_description"}`, `Cache-Control: no-store`, with the
    /// challenge of its code: `Basic` for `invalid_client` (§5.2), `Bearer` for `invalid_token` and
    /// `insufficient_scope` (RFC 6750 §3), `Retry-After: 1` for `temporarily_unavailable`.
    func response(issuer: String) -> Response {
        var headers: HTTPFields = [:]
        switch code {
        case .invalidClient: headers[.wwwAuthenticate] = "Basic realm=\"\(issuer)\", charset=\"UTF-8\""
        case .invalidToken, .insufficientScope: headers[.wwwAuthenticate] = Responses.bearerChallenge(issuer: issuer, error: self)
        case .temporarilyUnavailable: headers[.retryAfter] = "1"
        default: break
        }
        return Responses.json(
            ["error": code.rawValue, "error_description": description], status: status, headers: headers, noStore: true)
    }
}

/// Errors thrown past every route family (an unknown path, an unknown tenant): the response
/// Hummingbird would send, made here so that outer middleware can still add its headers; storage
/// that cannot be reached (resolving the tenant) is a 503.
enum UnmappedError {
    static func response(for error: any Error, request: Request, context: some RequestContext) -> Response {
        if let error = error as? any HTTPResponseError {
            return (try? error.response(from: request, context: context)) ?? Response(status: error.status)
        }
        if StoreError.unavailable(from: error) != nil {
            context.logger.error("request failed: storage unavailable", metadata: ["error": "\(error)"])
            return Response(status: .serviceUnavailable, headers: [.retryAfter: "5"])
        }
        context.logger.error("request failed", metadata: ["error": "\(error)"])
        return Response(status: .internalServerError)
    }
}

/// A `/t/{slug}` request for a tenant that does not exist (or was deleted, or is served on its own
/// host and was asked for on another): 404, never a scan of the tenants. Relying parties get the
/// RFC 6749 §5.2 JSON shape they parse everywhere else (`invalid_request`); a browser asking for
/// HTML gets a short page (the baseline CSP forbids everything active on it).
struct UnknownTenant: HTTPResponseError {
    var status: HTTPResponse.Status { .notFound }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        if request.headers[.accept]?.contains("text/html") == true {
            let page = """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>\
                <body><h1>Not found</h1><p>There is no sign-in service at this address. Check the link you followed.</p></body></html>
                """
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            headers[.contentLength] = String(page.utf8.count)
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        var response = OAuthError.invalidRequest("unknown tenant").response(issuer: "")
        response.status = status
        return response
    }
}
