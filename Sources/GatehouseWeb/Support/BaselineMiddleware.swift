import Foundation
import GatehouseCrypto
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Security headers on every response, not only HTML pages: JSON, redirects, errors and static
/// files get `nosniff`, `no-referrer` and a CSP that forbids framing and active content. HTML pages
/// set their own, stricter CSP first, which is kept.
struct BaselineHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = UnmappedError.response(for: error, request: request, context: context)
        }
        // Appended (the name is absent), from fields made once: no per-request validation or removal.
        if response.headers[.contentSecurityPolicy] == nil { response.headers.append(BaselineHeaderFields.shared.policy) }
        if response.headers[.xContentTypeOptions] == nil { response.headers.append(BaselineHeaderFields.shared.noSniff) }
        if response.headers[.referrerPolicy] == nil { response.headers.append(BaselineHeaderFields.shared.noReferrer) }
        return response
    }

}

/// The baseline headers as fields, validated once.
enum BaselineHeaderFields {
    static let policy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    static let shared = (
        policy: HTTPField(name: .contentSecurityPolicy, value: policy),
        noSniff: HTTPField(name: .xContentTypeOptions, value: "nosniff"), noReferrer: HTTPField(name: .referrerPolicy, value: "no-referrer")
    )
}

/// Per request: a request id (`X-Request-Id`, ``RequestIDs``; returned on the response and
/// attached to every log line of the request), one access log line at `info` and the HTTP metrics.
///
/// The access line names the method, the route template (`/t/{slug}/token`, never the path, so no
/// query string, code, token or link secret can reach the log), the status, the duration, the
/// tenant (the slug of `/t/{slug}` routes) and the client address.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: GatehouseMetrics

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = RequestIDs.next()
        // The id reaches log lines through the logging system's metadata provider, read only
        // when a line is written: setting logger metadata here would re-render the handler's
        // metadata on every request.
        var response: Response = try await RequestIDs.$current.withValue(requestID) {
            do {
                return try await next(request, context)
            } catch {
                return UnmappedError.response(for: error, request: request, context: context)
            }
        }
        response.headers.append(HTTPField(name: .xRequestID, value: requestID))
        let duration = ContinuousClock.now - started
        let route = Self.route(context.endpointPath, status: response.status)
        metrics.request(route: route, method: request.method, status: Int(response.status.code), duration: duration)
        if context.logger.logLevel <= .info {
            var metadata: Logger.Metadata = [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(response.status.code)",
                "duration_ms": "\(String(format: "%.2f", Double(duration.nanoseconds) / 1e6))",
                "client": "\(context.remoteAddress ?? "-")", "request_id": "\(requestID)",
            ]
            if route.hasPrefix("/t/{slug}"), let slug = request.uri.path.split(separator: "/").dropFirst().first { metadata["tenant"] = "\(slug)" }
            context.logger.info("request", metadata: metadata)
        }
        return response
    }

    /// The route template of the answered route; requests no route matched share one value, so
    /// that scanners cannot create series.
    static func route(_ endpoint: String?, status: HTTPResponse.Status) -> String {
        guard let endpoint, endpoint != "NotFound" else { return "unmatched" }
        if endpoint == "FileMiddleware" { return "/static" }
        return endpoint.hasPrefix("/") ? endpoint : "/" + endpoint
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`.
    static let xRequestID = Self("X-Request-Id")!
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

extension RequestContext {
    /// The request id `AccessLogMiddleware` returns as `X-Request-Id` and logs as `request_id`
    /// (``RequestIDs``); shown on error pages and problem details so that a user's report finds the
    /// log line. Hummingbird's own `id` counts requests and is never shown.
    var requestID: String { RequestIDs.current ?? "-" }
}
