#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address as 4 or 16 bytes in network order.
///
/// Used by the SSRF guard to classify the address a connection is about to be made to, and
/// by ``IPNetwork`` for allow-lists.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 bytes (IPv6), network byte order.
    public let bytes: [UInt8]

    /// Wraps raw bytes. - Returns: `nil` unless `bytes` has 4 or 16 elements.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted-quad IPv4 (`"10.0.0.1"`) or RFC 4291 IPv6 text (`"::1"`, `"[::1]"`,
    /// `"::ffff:127.0.0.1"`). A zone suffix (`"fe80::1%eth0"`) is ignored.
    /// - Returns: `nil` for anything else, including host names and non-canonical IPv4 such as `"127.1"`.
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        guard !text.isEmpty, text.utf8.count < 64 else { return nil }
        let isV6 = text.contains(":")
        var storage = [UInt8](repeating: 0, count: 16)
        let ok = String(text).withCString { cString in
            storage.withUnsafeMutableBytes { inet_pton(isV6 ? AF_INET6 : AF_INET, cString, $0.baseAddress) }
        }
        guard ok == 1 else { return nil }
        self.bytes = isV6 ? storage : Array(storage.prefix(4))
    }

    /// `true` for a 4-byte address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// Conventional text form (`"10.0.0.1"`, `"::ffff:127.0.0.1"`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = isIPv4 ? AF_INET : AF_INET6
        let result = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { inet_ntop(family, raw.baseAddress, $0.baseAddress, socklen_t($0.count)) }
        }
        guard result != nil else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else `nil`.
    var unmappedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return nil }
        return IPAddress(bytes: Array(bytes[12..<16]))
    }

    /// The special-purpose range this address belongs to, or `nil` for an ordinary global unicast address.
    ///
    /// IPv4 ranges follow the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and
    /// successors) plus multicast and the reserved 240/4 block (which holds the limited
    /// broadcast address); IPv6 ranges follow the IANA IPv6 registry plus unique-local,
    /// link-local, site-local and multicast. IPv6 forms that embed an IPv4 address
    /// (IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the
    /// embedded IPv4 address, so `::ffff:127.0.0.1` is loopback.
    /// - Returns: a short range name such as `"loopback"`, `"private-use"` or `"link-local"`.
    public var specialPurposeRange: String? {
        for entry in SpecialPurposeRanges.table where entry.network.contains(self) {
            guard let offset = entry.embeddedIPv4Offset else { return entry.name }
            let embedded = IPAddress(bytes: Array(bytes[offset..<offset + 4]))!
            return embedded.specialPurposeRange.map { "\(entry.name) \($0)" }
        }
        return nil
    }
}

/// The ranges behind ``IPAddress/specialPurposeRange``, most specific first.
enum SpecialPurposeRanges {
    struct Entry: Sendable {
        let network: IPNetwork
        let name: String
        /// For IPv6 forms that embed an IPv4 address: where its 4 bytes start.
        let embeddedIPv4Offset: Int?
    }

    private static func entry(_ cidr: String, _ name: String, embeddedIPv4At offset: Int? = nil) -> Entry {
        Entry(network: IPNetwork(cidr)!, name: name, embeddedIPv4Offset: offset)
    }

    static let table: [Entry] = [
        // IPv4
        entry("0.0.0.0/8", "this-network"),  // includes 0.0.0.0 (unspecified)
        entry("10.0.0.0/8", "private-use"),  // RFC 1918
        entry("100.64.0.0/10", "shared-address-space"),  // RFC 6598 CGNAT
        entry("127.0.0.0/8", "loopback"),
        entry("169.254.0.0/16", "link-local"),  // includes 169.254.169.254 cloud metadata
        entry("172.16.0.0/12", "private-use"),
        entry("192.0.0.0/24", "ietf-protocol-assignments"),
        entry("192.0.2.0/24", "documentation"),
        entry("192.88.99.0/24", "6to4-relay-anycast"),
        entry("192.168.0.0/16", "private-use"),
        entry("198.18.0.0/15", "benchmarking"),
        entry("198.51.100.0/24", "documentation"),
        entry("203.0.113.0/24", "documentation"),
        entry("224.0.0.0/4", "multicast"),
        entry("240.0.0.0/4", "reserved"),  // includes 255.255.255.255 broadcast
        // IPv6
        entry("::/128", "unspecified"),
        entry("::1/128", "loopback"),
        entry("::ffff:0:0/96", "IPv4-mapped", embeddedIPv4At: 12),
        entry("::/96", "IPv4-compatible"),  // deprecated (RFC 4291 §2.5.5.1)
        entry("64:ff9b::/96", "NAT64", embeddedIPv4At: 12),
        entry("64:ff9b:1::/48", "local-use-NAT64"),
        entry("100::/64", "discard-only"),
        entry("2001:db8::/32", "documentation"),
        entry("2001::/23", "ietf-protocol-assignments"),  // includes Teredo 2001::/32
        entry("2002::/16", "6to4", embeddedIPv4At: 2),
        entry("3fff::/20", "documentation"),
        entry("fc00::/7", "unique-local"),
        entry("fe80::/10", "link-local"),
        entry("fec0::/10", "site-local"),
        entry("ff00::/8", "multicast"),
    ]
}
