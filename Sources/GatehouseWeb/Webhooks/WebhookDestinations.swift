import Foundation
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
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), let host = parts.encodedHost, !host.isEmpty else {
            return "must be an absolute https:// URL"
        }
        guard scheme == "https" || scheme == "http" else { return "must be an https:// URL" }
        guard parts.user == nil, parts.password == nil else { return "must not carry a user name or password" }
        guard parts.fragment == nil else { return "must not have a fragment" }
        if let port = parts.port, !(1...65535).contains(port) { return "must have a port between 1 and 65535" }
        let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let address = IPAddress(literal)
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
        let last = labels.last.map { $0.lowercased() } ?? ""
        let isNumber =
            last.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            || (last.hasPrefix("0x") && last.dropFirst(2).allSatisfy(\.isHexDigit))
        if isNumber { return "must write an IPv4 address as four decimal numbers (a.b.c.d), not as \(host)" }
        return nil
    }
}
