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
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), let host = parts.host, !host.isEmpty else {
            return "must be an absolute https:// URL"
        }
        guard scheme == "https" || scheme == "http" else { return "must be an https:// URL" }
        guard parts.user == nil, parts.password == nil else { return "must not carry a user name or password" }
        guard parts.fragment == nil else { return "must not have a fragment" }
        let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let address = IPAddress(literal) {
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
}
