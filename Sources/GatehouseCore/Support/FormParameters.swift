import Foundation
import GatehouseCrypto

/// Parameters of an `application/x-www-form-urlencoded` body or a URL query, decoded once.
///
/// RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be included more than once."
/// Parsing keeps every occurrence so that the endpoint can reject duplicates; parameters sent
/// without a value are treated as omitted (RFC 6749 §3.1).
public struct FormParameters: Sendable, Equatable {
    /// Every `(name, value)` pair in order of appearance, percent-decoded, `+` read as space.
    public let pairs: [(name: String, value: String)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    public init(pairs: [(name: String, value: String)]) { self.pairs = pairs }

    /// Decodes `a=1&b=x+y` (WHATWG URL-encoded parsing, application/x-www-form-urlencoded).
    /// - Throws: `OAuthError.invalidRequest` when a name or value is not valid percent-encoded UTF-8.
    public init(encoded: String) throws {
        var result: [(name: String, value: String)] = []
        var utf8 = encoded
        try utf8.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x26 { end += 1 }  // '&'
                if end > start {
                    var eq = start
                    while eq < end, bytes[eq] != 0x3D { eq += 1 }  // '='
                    guard let name = Self.decode(bytes, start, eq),
                        let value = Self.decode(bytes, min(eq + 1, end), end)
                    else {
                        throw OAuthError.invalidRequest("malformed form encoding")
                    }
                    result.append((name, value))
                }
                start = end + 1
            }
        }
        self.pairs = result
    }

    /// Percent-decodes `bytes[from..<to]`, reading `+` as a space; nil for a bad escape or invalid UTF-8.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String? {
        guard from < to else { return "" }
        var out = [UInt8]()
        out.reserveCapacity(to - from)
        var i = from
        while i < to {
            let byte = bytes[i]
            if byte == 0x2B {  // '+'
                out.append(0x20)
            } else if byte == 0x25 {  // '%'
                guard i + 2 < to, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else { return nil }
                out.append(high << 4 | low)
                i += 2
            } else {
                out.append(byte)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Percent-decodes one component (e.g. half of HTTP Basic credentials, RFC 6749 §2.3.1).
    static func decodeComponent(_ s: Substring) -> String? {
        var copy = String(s)
        return copy.withUTF8 { decode($0, 0, $0.count) }
    }

    /// Names that occur more than once (with a non-empty value), sorted.
    public var duplicatedNames: [String] {
        var seen = Set<String>()
        var dupes = Set<String>()
        for pair in pairs where !pair.value.isEmpty && !Self.repeatable.contains(pair.name) {
            if !seen.insert(pair.name).inserted { dupes.insert(pair.name) }
        }
        return dupes.sorted()
    }

    /// Parameters that may be sent more than once: `resource` (RFC 8707 §2) and `audience`
    /// (RFC 8693 §2.1); every other repeats is refused (RFC 6749 §3.1).
    public static let repeatable: Set<String> = ["resource", "audience"]

    /// Every non-empty value of `name`, in order.
    public func values(_ name: String) -> [String] { pairs.filter { $0.name == name && !$0.value.isEmpty }.map(\.value) }

    /// Throws `invalid_request` naming the first duplicated parameter (RFC 6749 §3.1).
    public func rejectDuplicates() throws {
        if let name = duplicatedNames.first {
            throw OAuthError.invalidRequest("parameter '\(name)' is included more than once")
        }
    }

    /// The value of `name`, or nil when absent or empty (an empty value counts as omitted).
    public subscript(_ name: String) -> String? {
        for pair in pairs where pair.name == name && !pair.value.isEmpty { return pair.value }
        return nil
    }

    /// A dictionary view (last value wins); use after `rejectDuplicates()`.
    public var dictionary: [String: String] {
        var d: [String: String] = [:]
        for pair in pairs where !pair.value.isEmpty { d[pair.name] = pair.value }
        return d
    }

    /// Encodes pairs as `application/x-www-form-urlencoded`.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(formEscape($0.0))=\(formEscape($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters (`PercentEncoding`).
    public static func formEscape(_ s: String) -> String { PercentEncoding.encode(s) }
}
