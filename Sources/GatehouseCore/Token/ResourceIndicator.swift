import Foundation

/// Resource indicators (RFC 8707): the APIs a tenant lists (`TenantSettings.resources`) and the
/// rules of the `resource` parameter at the authorization and token endpoints.
public enum ResourceIndicator {
    /// RFC 8707 §2: an absolute URI (here with a host), without a fragment; at most 2048 bytes.
    public static func isValid(_ value: String) -> Bool {
        guard value.utf8.count <= 2048, let url = URLComponents(string: value), let scheme = url.scheme, !scheme.isEmpty,
            url.host?.isEmpty == false, url.fragment == nil, !value.contains("#")
        else { return false }
        return true
    }

    /// The distinct `values`, each one of `tenant`'s resource indicators.
    /// - Throws: `invalid_target` (RFC 8707 §2) naming the first unknown or malformed one.
    public static func known(_ values: [String], tenant: Tenant) throws(OAuthError) -> [String] {
        var seen: [String] = []
        for value in values where !seen.contains(value) {
            guard isValid(value) else { throw OAuthError(.invalidTarget, "resource must be an absolute URI without a fragment") }
            guard tenant.settings.resources.contains(value) else {
                throw OAuthError(.invalidTarget, "resource is not a resource indicator of this tenant")
            }
            seen.append(value)
        }
        return seen
    }

    /// The audience of an access token requested at the token endpoint (RFC 8707 §2.2): the one
    /// `resource` of the request, which must be the tenant's and, for a grant that recorded
    /// resources, one of them; without `resource`, a grant's only recorded resource; else nil
    /// (the client, as before).
    /// - Throws: `invalid_target` for more than one, an unknown or a not-granted resource.
    public static func audience(_ parameters: FormParameters, grant: Grant?, tenant: Tenant) throws(OAuthError) -> String? {
        let named = try known(parameters.values("resource"), tenant: tenant)
        guard named.count <= 1 else { throw OAuthError(.invalidTarget, "one resource per token request") }
        guard let resource = named.first else { return grant?.resources?.count == 1 ? grant?.resources?.first : nil }
        if let granted = grant?.resources, !granted.contains(resource) {
            throw OAuthError(.invalidTarget, "resource was not part of the authorization (RFC 8707 §2.2)")
        }
        return resource
    }
}
