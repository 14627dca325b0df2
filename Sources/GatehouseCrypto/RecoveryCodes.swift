/// One-time recovery codes that stand in for a second factor when the authenticator is lost.
///
/// A code is 12 characters in three dash-separated groups of four, e.g. `ab3d-9kx2-q7m4`, drawn
/// uniformly (`SecureRandom.uniform`, no modulo bias) from a 31-character lowercase alphabet
/// without the look-alikes `0 1 i l o`: 12 × log2(31) ≈ 59.4 bits per code.
///
/// Show codes once, then store only their hashes (e.g. ``Digest/sha256(_:)`` of the
/// ``normalize(_:)``d code, compared with ``ConstantTime``) and consume each on first use.
public enum RecoveryCodes {
    /// The characters codes are drawn from: `2–9` and `a–z` except `i l o` (31 characters).
    public static let alphabet: [UInt8] = Array("23456789abcdefghjkmnpqrstuvwxyz".utf8)
    /// Characters per group: 4.
    public static let groupLength = 4
    /// Groups per code: 3, so 12 random characters.
    public static let groupCount = 3

    /// Generates `count` fresh random codes formatted as `xxxx-xxxx-xxxx`.
    ///
    /// - Parameter count: how many codes, ≥ 0; default 10.
    /// - Returns: `count` codes of 14 ASCII characters each. Duplicates are possible only with
    ///   probability about count² / 2^60.
    public static func generate(count: Int = 10) -> [String] {
        precondition(count >= 0, "RecoveryCodes.generate: negative count")
        return (0..<count).map { _ in
            var code = [UInt8]()
            code.reserveCapacity(groupCount * (groupLength + 1) - 1)
            for group in 0..<groupCount {
                if group > 0 { code.append(UInt8(ascii: "-")) }
                for _ in 0..<groupLength {
                    code.append(alphabet[Int(SecureRandom.uniform(UInt32(alphabet.count)))])
                }
            }
            return String(decoding: code, as: UTF8.self)
        }
    }

    /// The canonical form of a code as a user might type it: spaces, tabs and dashes removed, ASCII
    /// letters lowercased (`"AB3D 9KX2-Q7M4"` → `"ab3d9kx2q7m4"`). Hash and compare this form.
    ///
    /// Does not validate: a string with characters outside ``alphabet`` simply never matches.
    public static func normalize(_ code: String) -> String {
        let bytes = code.utf8.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "-"): nil
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte | 0x20
            default: byte
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
