import Foundation

/// A JSON value, decoded without losing the difference between booleans, numbers and strings:
/// admin API bodies (read field by field), upstream providers' documents and claims (with
/// dotted-path lookup for claim mappings).
public enum JSONValue: Codable, Sendable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    /// Whether a string or key anywhere in the value contains U+0000.
    public var containsNUL: Bool {
        switch self {
        case .null, .bool, .number: false
        case .string(let text): text.utf8.contains(0)
        case .array(let items): items.contains { $0.containsNUL }
        case .object(let fields): fields.contains { $0.key.utf8.contains(0) || $0.value.containsNUL }
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses `bytes` as JSON. - Returns: nil when it is not JSON.
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    public subscript(_ key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value at a member name or a dotted path (`data.user.id`); a member whose name itself
    /// contains dots is found first.
    public func value(atPath path: String) -> JSONValue? {
        if let direct = self[path] { return direct }
        var current: JSONValue? = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            current = current?[String(part)]
            if current == nil { return nil }
        }
        return current
    }

    /// A string, or a whole number as its decimal text (GitHub's numeric user ids).
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .number(let n) where n.rounded() == n && abs(n) < 1e15: return String(Int64(n))
        default: return nil
        }
    }

    /// The value as JSON text with sorted object keys and no spaces (what the audit log stores).
    public var sortedText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
    }

    /// A string only.
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }

    /// `true`, or the string `"true"` (some providers send booleans as strings).
    public var isTrue: Bool {
        switch self {
        case .bool(let b): return b
        case .string(let s): return s.lowercased() == "true"
        default: return false
        }
    }

    public var number: Double? { if case .number(let n) = self { return n } else { return nil } }

    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }

    /// A string, or an array of strings.
    public var strings: [String]? {
        switch self {
        case .string(let s): return [s]
        case .array(let items): return items.compactMap(\.string).count == items.count ? items.compactMap(\.string) : nil
        default: return nil
        }
    }
}

/// An optional field that JSON shows as `null` when absent, where synthesized `Encodable` would
/// leave the key out: for answers whose documented shape has the key always present.
@propertyWrapper
public struct NullWhenAbsent<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension NullWhenAbsent: Equatable where Value: Equatable {}
