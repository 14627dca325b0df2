import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Security headers on every response, not only HTML pages: JSON, redirects, errors and static
/// files get `nosniff`, `no-referrer` and a CSP that forbids framing and active content. HTML pages
/// set their own, stricter CSP first, which is kept.
struct BaselineHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var policy: String { "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = CORS.response(for: error, request: request, context: context)
        }
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = Self.policy }
        if response.headers[.xContentTypeOptions] == nil { response.headers[.xContentTypeOptions] = "nosniff" }
        if response.headers[.referrerPolicy] == nil { response.headers[.referrerPolicy] = "no-referrer" }
        return response
    }
}

/// Logs each request's method, path (never the query string: it may carry codes and link tokens),
/// status and duration at debug level.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.logger.logLevel <= .debug else { return try await next(request, context) }
        let started = ContinuousClock.now
        let response = try await next(request, context)
        context.logger.debug("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            "duration_ms": "\((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }
}

/// Refuses `/static/…` paths that file serving could misread: a NUL byte (the file system stops
/// there, while the content type comes from the whole name), a trailing slash, or dot segments.
struct StaticPathGuard<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/static/") {
            let decoded = path.removingPercentEncoding ?? path
            if decoded.contains("\0") || path.hasSuffix("/") || decoded.contains("/.") || decoded.contains("\\\\") {
                throw HTTPError(.notFound)
            }
        }
        return try await next(request, context)
    }
}
