import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Cross-origin resource sharing for the machine-facing endpoints (discovery, JWKS, token,
/// userinfo, revocation, introspection, headless API), from each tenant's `allowed_origins`.
/// Never applied to the authorization endpoint or pages. No credentials mode: these endpoints
/// authenticate with headers, never cookies.
enum CORS {
    static let allowedMethods = "GET, POST, OPTIONS"
    /// The headless API's methods: its organization routes also change (`PATCH`) and delete.
    static let headlessMethods = "GET, POST, PATCH, DELETE, OPTIONS"
    /// `DPoP` (RFC 9449 §4.1) so that browser clients can send proofs.
    static let allowedHeaders = "Authorization, Content-Type, X-Client-Id, Accept, DPoP"
    /// `DPoP-Nonce` (RFC 9449 §8.1) so that browser clients can read the server's nonce.
    static let exposedHeaders = "WWW-Authenticate, Retry-After, DPoP-Nonce"

    /// Adds the CORS response headers when the request's `Origin` is allowed (also on errors).
    static func decorate(_ response: inout Response, origin: String?, allowed: Bool) {
        response.headers[values: .vary].contains("Origin") ? () : response.headers.append(HTTPField(name: .vary, value: "Origin"))
        guard let origin, allowed else { return }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlExposeHeaders] = exposedHeaders
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`).
    static func preflight(origin: String?, allowed: Bool, methods: String = allowedMethods) -> Response {
        var response = Response(status: .noContent)
        response.headers.append(HTTPField(name: .vary, value: "Origin"))
        guard let origin, allowed else { return response }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlAllowMethods] = methods
        response.headers[.accessControlAllowHeaders] = allowedHeaders
        response.headers[.accessControlMaxAge] = "600"
        return response
    }
}

/// CORS for a tenant's machine-facing routes: the tenant's own `allowed_origins`.
struct TenantCORSMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext

    func handle(_ request: Request, context: TenantRequestContext, next: (Request, TenantRequestContext) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        let allowed = origin.map { context.tenant.tenant.settings.allowedOrigins.contains($0) } ?? false
        if request.method == .options {
            return CORS.preflight(origin: origin, allowed: allowed)
        }
        // Errors are already responses: `ErrorMiddleware` sits inside this middleware.
        var response = try await next(request, context)
        CORS.decorate(&response, origin: origin, allowed: allowed)
        return response
    }
}
