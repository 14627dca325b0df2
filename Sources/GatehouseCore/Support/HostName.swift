/// Rules on DNS host names that several parts of the server share.
public enum HostName {
    /// Whether `host` "ends in a number" (WHATWG URL Standard, host parsing): its last label —
    /// after one trailing empty label is dropped — is all ASCII digits or `0x` followed by hex
    /// digits. Browsers and resolvers read such a host as an IPv4 address (`127.1`, `2130706433`,
    /// `0x7f000001`, `0177.0.0.1`), so a name that ends in a number is never a DNS name: tenant
    /// host names may not, and webhook destinations must write addresses as dotted quads.
    public static func endsInANumber<S: StringProtocol>(_ host: S) -> Bool {
        var bytes = Substring(host).utf8[...]
        if bytes.last == UInt8(ascii: "."), bytes.count > 1 { bytes = bytes.dropLast() }
        let last = bytes.lastIndex(of: UInt8(ascii: ".")).map { bytes[bytes.index(after: $0)...] } ?? bytes
        guard !last.isEmpty else { return false }
        if last.allSatisfy(isDigit) { return true }
        guard last.count >= 2, last.first == UInt8(ascii: "0"), last.dropFirst().first.map({ $0 | 0x20 }) == UInt8(ascii: "x") else {
            return false
        }
        return last.dropFirst(2).allSatisfy { isDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0 | 0x20) }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
