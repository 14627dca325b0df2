import Foundation
import GatehouseCore
import GatehouseOutbound

/// Which webhook URLs a tenant may register and the server will call (docs/contract.md A9): an
/// `https://` URL, or `http://` only to an address that `[federation] allowed_private_networks`
/// (or `allow_private_destinations`) allows; a special-purpose address (loopback, private,
/// link-local…) only inside those networks. Checked when an endpoint is saved and again before
/// every attempt; at the attempt the connected address of a host name is checked too, by
/// GatehouseOutbound's SSRF guard.
struct WebhookDestinations: Sendable {
    /// The guard's rules: `[federation]`'s networks, both schemes, no redirect followed.
    let policy: OutboundPolicy

    init(federation: FederationConfiguration, timeoutSeconds: Int) {
        policy = OutboundPolicy(
            connectTimeout: Double(min(timeoutSeconds, 5)), totalTimeout: Double(timeoutSeconds), maxResponseBytes: 64 * 1024,
            maxRedirects: 0, allowPrivateDestinations: federation.allowPrivateDestinations, allowedSchemes: ["http", "https"],
            allowedPrivateNetworks: federation.allowedPrivateNetworks.compactMap(IPNetwork.init), userAgent: "Gatehouse-Webhooks")
    }

    /// Longest URL accepted, in bytes.
    static let maxURLBytes = 2048

    /// Why `url` cannot be a webhook destination, or nil when it can.
    func problem(with url: String) -> String? {
        guard url.utf8.count <= Self.maxURLBytes else { return "must be at most \(Self.maxURLBytes) bytes" }
        // Printable ASCII only: an international name in its xn-- form, other characters
        // percent-encoded. What the URL parser would map (full-width letters, spaces) is refused
        // rather than read one way here and another by the HTTP library.
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return "must be printable ASCII (an international host name in its xn-- form, other characters percent-encoded)"
        }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), let host = parts.encodedHost, !host.isEmpty
        else {
            return "must be an absolute https:// URL"
        }
        guard scheme == "https" || scheme == "http" else { return "must be an https:// URL" }
        guard parts.user == nil, parts.password == nil else { return "must not carry a user name or password" }
        guard parts.fragment == nil else { return "must not have a fragment" }
        let authority = Self.authority(of: url)
        if let problem = Self.problem(withPortOf: authority) { return problem }
        // The parser decodes percent-escapes in the host; the HTTP library may not: neither is used.
        if authority.contains("%") { return "must not percent-encode its host (nor give an IPv6 zone)" }
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        let literal = bracketed ? String(host.dropFirst().dropLast()) : host
        let address = literal.contains("%") ? nil : IPAddress(literal)
        if bracketed, address == nil { return "must have an IPv6 address without zone between its brackets" }
        if address == nil, let problem = Self.problem(withHostName: literal) { return problem }
        if let address {
            if let refusal = policy.refusal(for: address) {
                return "points to \(refusal), which [federation] allowed_private_networks does not allow"
            }
            if scheme == "http", address.specialPurposeRange == nil {
                return "must be https:// (http:// only to an address of [federation] allowed_private_networks)"
            }
            return nil
        }
        if scheme == "http" { return "must be https:// (http:// only to an address of [federation] allowed_private_networks)" }
        return nil
    }

    /// The authority of `url` as written (host and port, without any user information).
    static func authority(of url: String) -> Substring {
        guard let start = url.range(of: "://")?.upperBound else { return "" }
        let authority = url[start...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
    }

    /// Why the port of an `authority` (``authority(of:)``) cannot be a destination's, or nil:
    /// absent, or 1…65535 written in at most five digits. Read from the text itself, since the URL
    /// parser drops a port it cannot represent.
    static func problem(withPortOf authority: Substring) -> String? {
        let rest: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            rest = authority[authority.index(after: close)...]
        } else {
            rest = authority.firstIndex(of: ":").map { authority[$0...] } ?? ""
        }
        guard !rest.isEmpty else { return nil }
        let digits = rest.dropFirst()
        guard rest.first == ":", (1...5).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(digits),
            (1...65535).contains(port)
        else {
            return "must have a port between 1 and 65535"
        }
        return nil
    }

    /// Why `host` (not an IP literal) cannot be a destination's host name, or nil: DNS labels of
    /// letters, digits, `-` and `_` (an international name in its `xn--` form), 1…63 bytes each,
    /// 253 in all, and a last label that is not a number. The last rule refuses the other ways of
    /// writing an IPv4 address that resolvers accept (`2130706433`, `0x7f000001`, `0177.0.0.1`,
    /// `127.1`: WHATWG URL's "ends in a number"), so that an address is only ever written as the
    /// dotted quad the rules above check.
    static func problem(withHostName host: String) -> String? {
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
        guard !name.isEmpty, name.utf8.count <= 253,
            labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 && $0.utf8.allSatisfy(allowed.contains) && !$0.hasPrefix("-") && !$0.hasSuffix("-") })
        else { return "must have a host name of DNS labels (letters, digits, '-'; an international name in its xn-- form) or an IP address" }
        if HostName.endsInANumber(name) { return "must write an IPv4 address as four decimal numbers (a.b.c.d), not as \(host)" }
        return nil
    }
}
