import GatehouseOutbound

/// Finds the address of the client behind trusted reverse proxies.
///
/// From a peer inside `trustedProxies` the client is the rightmost hop of `Forwarded`
/// (RFC 7239 §5.2 `for=`) or, when that header is absent, of `X-Forwarded-For` that is not itself a
/// trusted proxy; hops left of it were written by the client and prove nothing. From any other
/// peer, or when the header is malformed, the peer address is the client. Only IP literals count:
/// RFC 7239 §6 obfuscated identifiers and `unknown` make the chain malformed.
public struct ClientAddressResolver: Sendable {
    /// CIDRs whose forwarding headers are believed. Empty: headers are never believed.
    public let trustedProxies: [IPNetwork]

    public init(trustedProxies: [IPNetwork]) { self.trustedProxies = trustedProxies }

    /// `true` when `address` is inside one of ``trustedProxies``.
    public func isTrusted(_ address: IPAddress) -> Bool {
        let candidate = address.unmappedIPv4Public ?? address
        return trustedProxies.contains { $0.contains(candidate) || $0.contains(address) }
    }

    /// The client address.
    /// - Parameters:
    ///   - peer: the TCP peer's address text (`"127.0.0.1"`, `"::1"`), `nil` for a Unix socket.
    ///   - forwarded: the `Forwarded` header values in order, possibly empty.
    ///   - xForwardedFor: the `X-Forwarded-For` header values in order, possibly empty.
    /// - Returns: the client's address in text form, or `peer` unchanged.
    public func clientAddress(peer: String?, forwarded: [String], xForwardedFor: [String]) -> String? {
        guard let peer, let peerAddress = IPAddress(peer), isTrusted(peerAddress) else { return peer }
        let chain: [IPAddress]?
        if !forwarded.isEmpty {
            chain = Self.forwardedChain(forwarded)
        } else if !xForwardedFor.isEmpty {
            chain = Self.xForwardedForChain(xForwardedFor)
        } else {
            return peer
        }
        guard let chain, !chain.isEmpty else { return peer }
        for hop in chain.reversed() where !isTrusted(hop) { return hop.description }
        // Every hop is a trusted proxy: the leftmost is the closest thing to a client.
        return chain[0].description
    }

    /// The `for=` addresses of RFC 7239 `Forwarded` elements, left to right; `nil` when any element
    /// lacks one or it is not an IP literal.
    static func forwardedChain(_ values: [String]) -> [IPAddress]? {
        var chain: [IPAddress] = []
        for element in values.joined(separator: ",").split(separator: ",", omittingEmptySubsequences: false) {
            var found: IPAddress?
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { return nil }
                guard parts[0].trimmingSpaces.lowercased() == "for" else { continue }
                var value = parts[1].trimmingSpaces
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
                // RFC 7239 §6: IPv6 in brackets, an optional port after the address.
                if value.hasPrefix("[") {
                    guard let close = value.firstIndex(of: "]") else { return nil }
                    value = value[value.index(after: value.startIndex)..<close]
                } else if let colon = value.firstIndex(of: ":") {
                    value = value[..<colon]
                }
                guard let address = IPAddress(String(value)) else { return nil }
                found = address
            }
            guard let found else { return nil }
            chain.append(found)
        }
        return chain
    }

    /// The addresses of `X-Forwarded-For`, left to right; `nil` when any entry is not an IP literal.
    static func xForwardedForChain(_ values: [String]) -> [IPAddress]? {
        var chain: [IPAddress] = []
        for entry in values.joined(separator: ",").split(separator: ",", omittingEmptySubsequences: false) {
            guard let address = IPAddress(String(entry.trimmingSpaces)) else { return nil }
            chain.append(address)
        }
        return chain
    }

    /// The key per-IP limits count under: an IPv4 address itself, the /64 of an IPv6 address
    /// (one subscriber usually holds a whole /64), `"-"` without an address.
    public static func limitKey(_ address: String?) -> String {
        guard let address else { return "-" }
        guard let ip = IPAddress(address) else { return address }
        if let v4 = ip.unmappedIPv4Public { return v4.description }
        guard !ip.isIPv4, let network = IPNetwork(address: ip, prefixLength: 64) else { return ip.description }
        return network.description
    }
}

extension IPAddress {
    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else `nil`.
    var unmappedIPv4Public: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return nil }
        return IPAddress(bytes: Array(bytes[12..<16]))
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
