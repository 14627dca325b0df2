/// Percent-encoding (RFC 3986 §2.1) for URI components, form bodies (`application/x-www-form-urlencoded`
/// with `%20`, never `+`) and `otpauth://` labels: the one encoder of the code base.
public enum PercentEncoding {
    /// Percent-encodes every UTF-8 byte that is not unreserved (RFC 3986 §2.3) or in `keeping`,
    /// with uppercase hex digits (RFC 3986 §2.1).
    public static func encode(_ string: String, keeping: Set<UInt8> = []) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output = [UInt8]()
        output.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            case _ where keeping.contains(byte):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
