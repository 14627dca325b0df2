/// A CIDR block such as `10.1.0.0/16` or `fd00::/8`.
///
/// Used for ``OutboundPolicy/allowedPrivateNetworks`` and the SSRF guard's range table.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits cleared).
    public let address: IPAddress
    /// Prefix length in bits: 0…32 for IPv4, 0…128 for IPv6.
    public let prefixLength: Int

    /// Creates a network from an address and prefix length; host bits are cleared.
    /// - Returns: `nil` when the prefix length is out of range for the address family.
    public init?(address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.bytes.count * 8 else { return nil }
        self.address = IPAddress(bytes: Self.masked(address.bytes, prefixLength))!
        self.prefixLength = prefixLength
    }

    /// Parses `"a.b.c.d/n"`, `"ipv6/n"`, or a bare address (a /32 or /128 network).
    /// - Returns: `nil` for malformed text.
    public init?(_ cidr: String) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        var length = address.bytes.count * 8
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parts[1].allSatisfy(\.isASCII) else { return nil }
            length = parsed
        }
        self.init(address: address, prefixLength: length)
    }

    /// `"10.0.0.0/8"`.
    public var description: String { "\(address)/\(prefixLength)" }

    /// Whether `candidate` lies inside this network (addresses of the other family never do).
    public func contains(_ candidate: IPAddress) -> Bool {
        candidate.bytes.count == address.bytes.count && Self.masked(candidate.bytes, prefixLength) == address.bytes
    }

    private static func masked(_ bytes: [UInt8], _ prefixLength: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let bitsHere = min(max(prefixLength - index * 8, 0), 8)
            result[index] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
        }
        return result
    }
}
