import Foundation

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

    /// Decodes `a=1&b=x+y` (WHATWG URL-encoded parsing).
    /// - Throws: `OAuthError.invalidRequest` when a name or value is not valid percent-encoded UTF-8.
    public init(encoded: String) throws {
        var result: [(name: String, value: String)] = []
        for part in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let (rawName, rawValue): (Substring, Substring)
            if let eq = part.firstIndex(of: "=") {
                rawName = part[..<eq]
                rawValue = part[part.index(after: eq)...]
            } else {
                rawName = part
                rawValue = ""
            }
            guard let name = Self.decodeComponent(rawName), let value = Self.decodeComponent(rawValue) else {
                throw OAuthError.invalidRequest("malformed form encoding")
            }
            result.append((name, value))
        }
        self.pairs = result
    }

    static func decodeComponent(_ s: Substring) -> String? {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding
    }

    /// Names that occur more than once (with a non-empty value), sorted.
    public var duplicatedNames: [String] {
        var seen = Set<String>()
        var dupes = Set<String>()
        for pair in pairs where !pair.value.isEmpty {
            if !seen.insert(pair.name).inserted { dupes.insert(pair.name) }
        }
        return dupes.sorted()
    }

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

    static let unreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// Percent-encodes everything except RFC 3986 unreserved characters.
    public static func formEscape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
