/// A decoded CBOR data item (RFC 8949), limited to the subset WebAuthn uses: unsigned and negative
/// integers, byte and text strings, arrays, maps and booleans (W3C WebAuthn §5.2, CTAP2 canonical
/// CBOR). Tags, floats, `null`, `undefined` and indefinite lengths are not representable.
public indirect enum CBORValue: Sendable, Equatable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the integer `-1 - n` (RFC 8949 §3.1).
    case negative(UInt64)
    /// Major type 2: a byte string.
    case bytes([UInt8])
    /// Major type 3: a UTF-8 text string.
    case text(String)
    /// Major type 4: an array.
    case array([CBORValue])
    /// Major type 5: a map, in encoded order; keys are unique.
    case map([CBORPair])
    /// Major type 7, simple values 20 and 21.
    case bool(Bool)

    /// The integer value, if this is an integer that fits in `Int`.
    public var intValue: Int? {
        switch self {
        case .unsigned(let n): n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): n <= UInt64(Int.max) ? -1 - Int(n) : nil
        default: nil
        }
    }

    /// The member of a map whose key equals `key`, or nil (also nil if this is not a map).
    public subscript(key: CBORValue) -> CBORValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    /// The member of a map under an integer key (COSE labels, RFC 9052 §7).
    public subscript(label: Int) -> CBORValue? {
        self[label >= 0 ? .unsigned(UInt64(label)) : .negative(UInt64(-1 - label))]
    }

    /// The member of a map under a text key (attestation object members, WebAuthn §6.5).
    public subscript(name: String) -> CBORValue? {
        self[.text(name)]
    }
}

/// One key/value member of a CBOR map.
public struct CBORPair: Sendable, Equatable {
    /// The member's key.
    public let key: CBORValue
    /// The member's value.
    public let value: CBORValue

    /// Creates a map member.
    public init(key: CBORValue, value: CBORValue) {
        self.key = key
        self.value = value
    }
}

/// A small, strict CBOR decoder (RFC 8949) for WebAuthn structures.
///
/// Strictness (RFC 8949 §4.2.1 core deterministic encoding, which CTAP2 canonical CBOR requires):
/// definite lengths only; arguments in their shortest form; no duplicate map keys; text strings
/// must be valid UTF-8; only the major types of ``CBORValue`` and the simple values `true` and
/// `false`. Nesting depth and input size are bounded, and declared lengths are checked against the
/// bytes remaining before anything is allocated. Every failure is ``CryptoError/invalidInput(_:)``.
public enum CBOR {
    /// Deepest nesting of arrays and maps accepted (WebAuthn structures nest at most 4 deep).
    public static let maximumDepth = 16
    /// Largest input accepted, in bytes.
    public static let maximumInputSize = 64 * 1024

    /// Decodes exactly one data item that must span all of `bytes`.
    public static func decode(_ bytes: [UInt8]) throws -> CBORValue {
        let (value, end) = try decodePrefix(bytes, from: 0)
        guard end == bytes.count else { throw fail("\(bytes.count - end) trailing bytes after the data item") }
        return value
    }

    /// Decodes one data item starting at `offset` and returns it with the offset just past it; the
    /// bytes after it are left alone (authenticator data puts extensions after the credential key,
    /// WebAuthn §6.1).
    public static func decodePrefix(_ bytes: [UInt8], from offset: Int) throws -> (CBORValue, Int) {
        guard bytes.count <= maximumInputSize else { throw fail("input larger than \(maximumInputSize) bytes") }
        guard offset >= 0, offset <= bytes.count else { throw fail("offset out of range") }
        var reader = Reader(bytes: bytes, position: offset)
        let value = try reader.item(depth: 0)
        return (value, reader.position)
    }

    static func fail(_ reason: String) -> CryptoError {
        .invalidInput("CBOR: \(reason)")
    }

    private struct Reader {
        let bytes: [UInt8]
        var position: Int

        var remaining: Int { bytes.count - position }

        mutating func byte() throws -> UInt8 {
            guard position < bytes.count else { throw CBOR.fail("unexpected end of input") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: Int) throws -> [UInt8] {
            guard count <= remaining else { throw CBOR.fail("declared length \(count) exceeds the \(remaining) bytes left") }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }

        /// The argument of an initial byte (RFC 8949 §3), requiring the shortest form (§4.2.1).
        mutating func argument(_ info: UInt8) throws -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24:
                let value = UInt64(try byte())
                guard value >= 24 else { throw CBOR.fail("non-shortest integer encoding") }
                return value
            case 25, 26, 27:
                let width = 1 << Int(info - 24)
                var value: UInt64 = 0
                for byte in try take(width) { value = value << 8 | UInt64(byte) }
                let floor: UInt64 = width == 2 ? 0xFF : width == 4 ? 0xFFFF : 0xFFFF_FFFF
                guard value > floor else { throw CBOR.fail("non-shortest integer encoding") }
                return value
            case 31: throw CBOR.fail("indefinite lengths are not accepted")
            default: throw CBOR.fail("reserved additional information \(info)")
            }
        }

        mutating func length(_ info: UInt8) throws -> Int {
            let value = try argument(info)
            guard value <= UInt64(remaining) else { throw CBOR.fail("declared length \(value) exceeds the \(remaining) bytes left") }
            return Int(value)
        }

        mutating func item(depth: Int) throws -> CBORValue {
            guard depth <= CBOR.maximumDepth else { throw CBOR.fail("nesting deeper than \(CBOR.maximumDepth)") }
            let initial = try byte()
            let major = initial >> 5
            let info = initial & 0x1F
            switch major {
            case 0: return .unsigned(try argument(info))
            case 1: return .negative(try argument(info))
            case 2: return .bytes(try take(try length(info)))
            case 3:
                let raw = try take(try length(info))
                guard let text = String(validating: raw, as: UTF8.self) else { throw CBOR.fail("text string is not valid UTF-8") }
                return .text(text)
            case 4:
                let count = try length(info)  // each item takes at least one byte
                var items: [CBORValue] = []
                items.reserveCapacity(count)
                for _ in 0..<count { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let count = try length(info)
                guard count <= remaining / 2 else { throw CBOR.fail("map of \(count) pairs exceeds the bytes left") }
                var pairs: [CBORPair] = []
                pairs.reserveCapacity(count)
                for _ in 0..<count {
                    let key = try item(depth: depth + 1)
                    if pairs.contains(where: { $0.key == key }) { throw CBOR.fail("duplicate map key") }
                    pairs.append(CBORPair(key: key, value: try item(depth: depth + 1)))
                }
                return .map(pairs)
            case 6: throw CBOR.fail("tags are not accepted")
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                default: throw CBOR.fail("simple value or float \(info) is not accepted")
                }
            }
        }
    }
}
