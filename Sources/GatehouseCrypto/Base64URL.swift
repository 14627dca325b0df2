/// Base64url encoding without padding (RFC 4648 §5), as JOSE uses it (RFC 7515 §2).
///
/// Decoding is strict: it accepts only the canonical encoding an encoder produces, so every byte
/// string has exactly one accepted text form (no malleable tokens or signatures).
public enum Base64URL {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Maps an ASCII byte to its 6-bit value, or 0xFF for bytes outside the URL-safe alphabet.
    static let decodingTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// Number of characters for `byteCount` bytes without padding: ⌈4n/3⌉.
    @inline(__always)
    static func encodedCount(_ byteCount: Int) -> Int {
        (byteCount * 4 + 2) / 3
    }

    /// Encodes bytes as base64url without padding (RFC 4648 §5; RFC 7515 §2 "Base64url Encoding").
    ///
    /// - Returns: ⌈4n/3⌉ characters from `A–Z a–z 0–9 - _`; the empty string for no bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        let count = encodedCount(bytes.count)
        guard count > 0 else { return "" }
        return bytes.withUnsafeBufferPointer { input in
            String(unsafeUninitializedCapacity: count) { output in
                encode(input, into: output)
            }
        }
    }

    /// Encodes the UTF-8 bytes of `string` as base64url without padding.
    public static func encode(_ string: String) -> String {
        encode(Array(string.utf8))
    }

    /// Decodes base64url without padding (RFC 4648 §5).
    ///
    /// Rejects (returns `nil`): padding `=`, the standard-alphabet characters `+` and `/`, whitespace
    /// or any other character outside the URL-safe alphabet, a length ≡ 1 (mod 4), and non-canonical
    /// input whose unused trailing bits are not zero (RFC 4648 §3.5).
    /// - Returns: the decoded bytes, or `nil` if `string` is not canonical unpadded base64url.
    public static func decode(_ string: String) -> [UInt8]? {
        var string = string
        return string.withUTF8 { decode($0) }
    }

    /// Appends the encoding of `bytes` to `output` (ASCII bytes), without an intermediate `String`.
    static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        let count = encodedCount(bytes.count)
        guard count > 0 else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: count))
        output.withUnsafeMutableBufferPointer { buffer in
            bytes.withUnsafeBufferPointer { input in
                _ = encode(input, into: UnsafeMutableBufferPointer(rebasing: buffer[start...]))
            }
        }
    }

    /// Writes the encoding of `input` into `output`, which has room for `encodedCount(input.count)`
    /// bytes. Returns the number of bytes written.
    @discardableResult
    static func encode(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        alphabet.withUnsafeBufferPointer { table in
            let count = input.count
            var i = 0
            var o = 0
            while i + 3 <= count {
                let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                output[o] = table[Int(v >> 18 & 63)]
                output[o + 1] = table[Int(v >> 12 & 63)]
                output[o + 2] = table[Int(v >> 6 & 63)]
                output[o + 3] = table[Int(v & 63)]
                i += 3
                o += 4
            }
            switch count - i {
            case 1:
                let v = UInt32(input[i]) << 16
                output[o] = table[Int(v >> 18 & 63)]
                output[o + 1] = table[Int(v >> 12 & 63)]
                o += 2
            case 2:
                let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                output[o] = table[Int(v >> 18 & 63)]
                output[o + 1] = table[Int(v >> 12 & 63)]
                output[o + 2] = table[Int(v >> 6 & 63)]
                o += 3
            default:
                break
            }
            return o
        }
    }

    /// Strictly decodes base64url ASCII bytes; see `decode(_:)` (String) for the rules.
    static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        let remainder = count % 4
        if remainder == 1 { return nil }
        let decodedCount = count / 4 * 3 + (remainder == 0 ? 0 : remainder - 1)
        var valid = true
        let decoded = [UInt8](unsafeUninitializedCapacity: decodedCount) { output, initialized in
            decodingTable.withUnsafeBufferPointer { table in
                var i = 0
                var o = 0
                while i + 4 <= count {
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                    // Valid sextets are < 64; 0xFF marks an invalid character.
                    guard (a | b | c | d) & 0xC0 == 0 else { valid = false; return }
                    let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[o] = UInt8(truncatingIfNeeded: v >> 16)
                    output[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    output[o + 2] = UInt8(truncatingIfNeeded: v)
                    i += 4
                    o += 3
                }
                switch remainder {
                case 2:
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    // The last character carries 2 data bits; its low 4 bits must be zero.
                    guard (a | b) & 0xC0 == 0, b & 0x0F == 0 else { valid = false; return }
                    output[o] = a << 2 | b >> 4
                case 3:
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])], c = table[Int(input[i + 2])]
                    // The last character carries 4 data bits; its low 2 bits must be zero.
                    guard (a | b | c) & 0xC0 == 0, c & 0x03 == 0 else { valid = false; return }
                    output[o] = a << 2 | b >> 4
                    output[o + 1] = (b & 0x0F) << 4 | c >> 2
                default:
                    break
                }
            }
            initialized = valid ? decodedCount : 0
        }
        return valid ? decoded : nil
    }
}
