import HTTPTypes
import Hummingbird

/// Replaces the context's `remoteAddress` (the TCP peer) with the client a trusted reverse proxy
/// names in `Forwarded` (RFC 7239) or `X-Forwarded-For`, so sessions, throttles, rate limits and
/// logs see the real client. Runs first on every route; untrusted peers' headers are ignored.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let resolver: ClientAddressResolver

    static let forwarded = HTTPField.Name("Forwarded")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard !resolver.trustedProxies.isEmpty else { return try await next(request, context) }
        var context = context
        context.remoteAddress = resolver.clientAddress(
            peer: context.remoteAddress,
            forwarded: request.headers[values: Self.forwarded],
            xForwardedFor: request.headers[values: Self.xForwardedFor])
        return try await next(request, context)
    }
}
