import Foundation

/// Redirect URI rules (RFC 6749 §3.1.2, RFC 9700 §4.1, RFC 8252 §7).
public enum RedirectURI {
    /// Whether the `requested` redirect URI matches one of `registered`.
    ///
    /// RFC 9700 §4.1.1: "authorization servers MUST utilize exact string matching". The one exception
    /// is RFC 8252 §7.3: for native (public) clients registered with a loopback IP literal
    /// (`http://127.0.0.1/…` or `http://[::1]/…`), "the authorization server MUST allow any port
    /// to be specified at the time of the request". Everything but the port must still match exactly.
    public static func matches(_ requested: String, registered: [String], allowLoopbackPortVariation: Bool) -> Bool {
        if registered.contains(requested) { return true }
        guard allowLoopbackPortVariation, let requestedWithoutPort = loopbackWithoutPort(requested) else { return false }
        return registered.contains { loopbackWithoutPort($0) == requestedWithoutPort }
    }

    /// For `http://127.0.0.1[:port]/rest` or `http://[::1][:port]/rest`, the URI with the port removed;
    /// nil for anything else.
    static func loopbackWithoutPort(_ uri: String) -> String? {
        for host in ["http://127.0.0.1", "http://[::1]"] where uri.hasPrefix(host) {
            var rest = uri.dropFirst(host.count)
            if rest.first == ":" {
                rest = rest.dropFirst()
                let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
                guard !digits.isEmpty, digits.count <= 5 else { return nil }
                rest = rest.dropFirst(digits.count)
            }
            guard rest.isEmpty || rest.first == "/" || rest.first == "?" else { return nil }
            return host + rest
        }
        return nil
    }

    /// Problems with a redirect URI offered for registration; empty when acceptable.
    ///
    /// - An absolute URI without a fragment (RFC 6749 §3.1.2).
    /// - `https`, or `http` only for loopback hosts (RFC 8252 §7.3, RFC 9700 §2.6) unless
    ///   `allowInsecureHTTP` (tenants of environment `dev`).
    /// - Private-use schemes must be reverse-domain names (contain a dot, RFC 8252 §7.1).
    public static func registrationProblems(_ uri: String, allowInsecureHTTP: Bool) -> [String] {
        guard uri.count <= 2000, let c = URLComponents(string: uri), let scheme = c.scheme?.lowercased() else {
            return ["'\(uri)' is not an absolute URI"]
        }
        var problems: [String] = []
        if c.fragment != nil { problems.append("'\(uri)' must not contain a fragment") }
        if uri.contains("*") { problems.append("'\(uri)' must not contain wildcards") }
        switch scheme {
        case "https":
            if (c.host ?? "").isEmpty { problems.append("'\(uri)' has no host") }
            if c.user != nil || c.password != nil { problems.append("'\(uri)' must not contain user information") }
        case "http":
            let host = c.host ?? ""
            if host.isEmpty { problems.append("'\(uri)' has no host") }
            if c.user != nil || c.password != nil { problems.append("'\(uri)' must not contain user information") }
            if !allowInsecureHTTP, !["127.0.0.1", "::1", "[::1]", "localhost"].contains(host) {
                problems.append("'\(uri)' uses http for a non-loopback host; use https")
            }
        default:
            if !scheme.contains(".") {
                problems.append("'\(uri)' uses a private-use scheme that is not a reverse domain name")
            }
            if ["javascript", "data", "file", "vbscript"].contains(scheme) {
                problems.append("'\(uri)' uses a forbidden scheme")
            }
        }
        return problems
    }
}
