/// Base32 with the RFC 4648 §6 alphabet `A–Z 2–7`, as TOTP secrets are exchanged (Key Uri Format,
/// `secret=` parameter).
///
/// Encoding is canonical: uppercase, no `=` padding. Decoding is tolerant of what people copy
/// from or type into authenticator apps: lowercase letters, spaces (and other ASCII whitespace)
/// anywhere, and trailing `=` padding. It is otherwise strict: any other character, `=` before
/// the end, or a length that no byte string encodes to is rejected.
public enum Base32 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Maps an ASCII byte to its 5-bit value (either case), or 0xFF for bytes outside the alphabet.
    static let decodingTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
            if character >= UInt8(ascii: "A"), character <= UInt8(ascii: "Z") {
                table[Int(character | 0x20)] = UInt8(value)
            }
        }
        return table
    }()

    /// Number of characters for `byteCount` bytes without padding: ⌈8n/5⌉.
    static func encodedCount(_ byteCount: Int) -> Int {
        (byteCount * 8 + 4) / 5
    }

    /// Encodes bytes as uppercase base32 without padding (RFC 4648 §6).
    ///
    /// - Returns: ⌈8n/5⌉ characters from `A–Z 2–7`, e.g. 32 characters for a 20-byte TOTP
    ///   secret; the empty string for no bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity(encodedCount(bytes.count))
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                output.append(alphabet[Int(buffer >> UInt32(bitCount) & 31)])
            }
        }
        if bitCount > 0 {
            // The last character carries the remaining bits followed by zero bits (RFC 4648 §6).
            output.append(alphabet[Int(buffer << UInt32(5 - bitCount) & 31)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base32 (RFC 4648 §6), tolerating lowercase, ASCII whitespace and trailing `=`.
    ///
    /// After removing whitespace and trailing `=`, the remaining characters must all be in the
    /// alphabet (either case) and their count must be ≢ 1, 3, 6 (mod 8): those lengths are not the
    /// encoding of any byte string. Unused trailing bits of the last character are ignored, since
    /// some secret generators emit random characters rather than encoded bytes.
    /// - Returns: the decoded bytes (⌊5n/8⌋ for n data characters), or `nil` if `string` is not
    ///   base32.
    public static func decode(_ string: String) -> [UInt8]? {
        var characters = [UInt8]()
        characters.reserveCapacity(string.utf8.count)
        var padding = false
        for character in string.utf8 {
            switch character {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "="):
                padding = true
            default:
                // Data after padding: `=` may only end the string.
                guard !padding else { return nil }
                let value = decodingTable[Int(character)]
                guard value != 0xFF else { return nil }
                characters.append(value)
            }
        }
        switch characters.count % 8 {
        case 1, 3, 6: return nil
        default: break
        }
        var output = [UInt8]()
        output.reserveCapacity(characters.count * 5 / 8)
        var buffer: UInt32 = 0
        var bitCount = 0
        for value in characters {
            buffer = buffer << 5 | UInt32(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bitCount)))
            }
        }
        return output
    }
}
