import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// Serves tenants on their own hosts (`TenantAddressing`): a request whose `Host` names a tenant
/// is answered as `/t/{slug}{path}` would be, so one set of routes serves both addressings, and its
/// context records the tenant (`AppRequestContext.hostTenant`). It wraps the router because the
/// router matches the path before any router middleware runs.
///
/// On a tenant's host, `/static/…`, `/healthz`, `/readyz` and the headless API (`/v1/…`, whose
/// resolution checks that the key belongs to this host's tenant) keep their paths; RFC 8414 §3
/// metadata `/.well-known/oauth-authorization-server` becomes the path-based metadata route.
/// Everything else of the instance (the admin API, other tenants) is not found there.
/// `TenantResolutionMiddleware` refuses `/t/{slug}` of a tenant that has its own host on any other
/// host, so its pages and cookies live on its origin alone.
struct TenantHostResponder<Next: HTTPResponder>: HTTPResponder where Next.Context == AppRequestContext {
    let next: Next
    let addressing: TenantAddressing
    let store: any InstanceStorage

    func respond(to request: Request, context: AppRequestContext) async throws -> Response {
        guard let authority = request.head.authority, let host = Self.host(ofAuthority: authority),
            let tenant = try await addressing.tenant(onHost: host, store: store)
        else {
            return try await next.respond(to: request, context: context)
        }
        var context = context
        context.hostTenant = tenant
        let target = request.head.path ?? "/"
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        if path.hasPrefix("/static/") || path.hasPrefix("/v1/") || path == "/healthz" || path == "/readyz" {
            return try await next.respond(to: request, context: context)
        }
        var head = request.head
        let rewritten = path == "/.well-known/oauth-authorization-server" ? "\(path)/t/\(tenant.slug)" : "/t/\(tenant.slug)\(path)"
        head.path = rewritten + target.dropFirst(path.count)
        return try await next.respond(to: Request(head: head, body: request.body), context: context)
    }

    /// The host of an HTTP `Host` value (RFC 9110 §7.2): lowercase, without port or trailing dot;
    /// nil for IP literals, which never name a tenant.
    static func host(ofAuthority authority: String) -> String? {
        guard !authority.hasPrefix("[") else { return nil }
        var host = Substring(authority)
        if let colon = host.firstIndex(of: ":") { host = host[..<colon] }
        if host.hasSuffix(".") { host = host.dropLast() }
        // An IPv4 address in any of its forms: no tenant's host name ends in a number.
        guard !host.isEmpty, !HostName.endsInANumber(host) else { return nil }
        return host.lowercased()
    }
}
