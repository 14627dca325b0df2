import Foundation
import GatehouseCore
import GatehouseStore

/// Where each tenant is served: under `/t/{slug}` of the public URL (the default), or on a host of
/// its own — `settings.hostname`, else `{slug}.{tenant_base_domain}` when the instance sets a base
/// domain. A tenant on its own host is an origin of its own: its issuer is
/// `{scheme}://{host}[:{port}]` (scheme and port of the public URL), its paths have no prefix, its
/// cookies are host-only with `Path=/`, and it is not served under `/t/{slug}` anywhere.
/// docs/tenant-hosts.md explains why (browsers isolate origins, not paths).
public struct TenantAddressing: Sendable {
    /// `{public_url}` without a trailing slash.
    public let publicURL: String
    /// `http` or `https`, from the public URL.
    let scheme: String
    /// The public URL's host, lowercase.
    let publicHost: String
    /// `:{port}` when the public URL names a port, else empty.
    let portSuffix: String
    /// `[server] tenant_base_domain`, lowercase.
    let baseDomain: String?

    public init(publicURL: String, tenantBaseDomain: String?) {
        self.publicURL = publicURL
        let components = URLComponents(string: publicURL)
        scheme = components?.scheme?.lowercased() ?? "http"
        publicHost = components?.host?.lowercased() ?? ""
        portSuffix = components?.port.map { ":\($0)" } ?? ""
        baseDomain = tenantBaseDomain?.lowercased()
    }

    /// The host `tenant` is served on, or nil when it is served under `/t/{slug}`.
    /// The operators' directory is always served under `/t/{slug}` of the public URL, next to
    /// the console at `{public_url}/admin`.
    public func hostname(of tenant: Tenant) -> String? {
        if tenant.isOperatorsDirectory { return nil }
        return tenant.settings.hostname ?? baseDomain.map { "\(tenant.slug).\($0)" }
    }

    /// The host of the issuer a tenant of `slug` with `settings` has (or would have): its own
    /// host, its host under the base domain, or the public URL's host.
    public func issuerHost(slug: String, settings: TenantSettings) -> String {
        if slug == Tenant.operatorsSlug { return publicHost }
        return settings.hostname ?? baseDomain.map { "\(slug).\($0)" } ?? publicHost
    }

    /// The issuer identifier (OIDC Discovery 1.0 §3, RFC 8414 §2): `{public_url}/t/{slug}`, or
    /// `{scheme}://{host}[:{port}]` for a tenant on its own host.
    public func issuer(of tenant: Tenant) -> String {
        hostname(of: tenant).map { "\(scheme)://\($0)\(portSuffix)" } ?? tenant.issuer(publicURL: publicURL)
    }

    /// The path prefix of the tenant's endpoints and pages in links: `/t/{slug}`, or empty on its own host.
    public func basePath(of tenant: Tenant) -> String {
        hostname(of: tenant) == nil ? "/t/\(tenant.slug)" : ""
    }

    /// The `Path` of the tenant's cookies: `/t/{slug}`, or `/` on its own host.
    public func cookiePath(of tenant: Tenant) -> String {
        let base = basePath(of: tenant)
        return base.isEmpty ? "/" : base
    }

    /// A host name a tenant may choose: not the public URL's host and not under the base domain
    /// (those names belong to the slugs). Returns the reason when it may not.
    public func refusal(ofHostname hostname: String) -> String? {
        if hostname == publicHost { return "is the instance's own host" }
        if let baseDomain, hostname == baseDomain || hostname.hasSuffix("." + baseDomain) {
            return "is under tenant_base_domain '\(baseDomain)', whose names are the tenants' slugs"
        }
        return nil
    }

    /// The tenant served on `host` (the request's `Host`, any port removed, lowercase), or nil when
    /// `host` is the public host or names no tenant.
    public func tenant(onHost host: String, store: any InstanceStorage) async throws -> ResolvedTenant? {
        guard host != publicHost else { return nil }
        if let tenant = try await store.find(hostname: host) { return tenant }
        if let baseDomain, host.hasSuffix("." + baseDomain) {
            let slug = String(host.dropLast(baseDomain.count + 1))
            if let tenant = try await store.find(slug: slug), tenant.tenant.settings.hostname == nil, !tenant.tenant.isOperatorsDirectory {
                return tenant
            }
        }
        return nil
    }

    /// The tenant whose issuer is exactly `issuer`, for tokens that name it in `iss`.
    public func tenant(issuer: String, store: any InstanceStorage) async throws -> ResolvedTenant? {
        let prefix = publicURL + "/t/"
        let candidate: ResolvedTenant?
        if issuer.hasPrefix(prefix) {
            candidate = try await store.find(slug: String(issuer.dropFirst(prefix.count)))
        } else if let host = URLComponents(string: issuer)?.host?.lowercased() {
            candidate = try await tenant(onHost: host, store: store)
        } else {
            candidate = nil
        }
        guard let candidate, self.issuer(of: candidate.tenant) == issuer else { return nil }
        return candidate
    }
}
