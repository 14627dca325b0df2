import GatehouseCrypto
import Testing

@Suite("Base32 (RFC 4648 §6)")
struct Base32Tests {
    @Test("encodes the RFC 4648 §10 vectors in uppercase without padding", arguments: try Vectors.base32().valid)
    func encodesVector(_ vector: Base32Vectors.Valid) {
        #expect(Base32.encode([UInt8](hex: vector.hex)) == vector.unpadded)
    }

    @Test("decodes the RFC 4648 §10 vectors with and without padding and in lowercase", arguments: try Vectors.base32().valid)
    func decodesVector(_ vector: Base32Vectors.Valid) {
        let bytes = [UInt8](hex: vector.hex)
        #expect(Base32.decode(vector.padded) == bytes)
        #expect(Base32.decode(vector.unpadded) == bytes)
        #expect(Base32.decode(vector.padded.lowercased()) == bytes)
    }

    struct Tolerated: Sendable, CustomStringConvertible {
        let description: String
        let input: String
        let hex: String
    }

    static let tolerated: [Tolerated] = [
        .init(description: "groups of four separated by spaces, as apps display secrets", input: "JBSW Y3DP EHPK 3PXP", hex: "48656c6c6f21deadbeef"),
        .init(description: "lowercase with spaces", input: "jbsw y3dp ehpk 3pxp", hex: "48656c6c6f21deadbeef"),
        .init(description: "mixed case, tabs and a trailing newline", input: "JbSw\tY3dP EHPK3PXP\n", hex: "48656c6c6f21deadbeef"),
        .init(description: "padding followed by whitespace", input: "MY====== ", hex: "66"),
        .init(description: "padding of the wrong length", input: "MY=", hex: "66"),
        .init(description: "non-zero unused trailing bits are ignored", input: "MZ", hex: "66"),
        .init(description: "only whitespace is the empty string", input: "   ", hex: ""),
    ]

    @Test("tolerates what people copy from authenticator apps", arguments: tolerated)
    func tolerates(_ row: Tolerated) {
        #expect(Base32.decode(row.input) == [UInt8](hex: row.hex))
    }

    struct Rejected: Sendable, CustomStringConvertible {
        let description: String
        let input: String
    }

    static let rejected: [Rejected] = [
        .init(description: "digit 0 is not in the alphabet", input: "MZXW0YTB"),
        .init(description: "digit 1 is not in the alphabet", input: "MZXW1YTB"),
        .init(description: "digit 8 is not in the alphabet", input: "MZXW8YTB"),
        .init(description: "a dash is not whitespace", input: "MZXW-6YTB"),
        .init(description: "base64 characters", input: "MZXW6+/B"),
        .init(description: "non-ASCII letters", input: "MZXWÉYTB"),
        .init(description: "data after padding", input: "MY==MY"),
        .init(description: "one character (length ≡ 1 mod 8)", input: "M"),
        .init(description: "three characters (length ≡ 3 mod 8)", input: "MZX"),
        .init(description: "six characters (length ≡ 6 mod 8)", input: "MZXW6Y"),
        .init(description: "nine characters (length ≡ 1 mod 8)", input: "MZXW6YTBO"),
    ]

    @Test("rejects anything that is not base32", arguments: rejected)
    func rejects(_ row: Rejected) {
        #expect(Base32.decode(row.input) == nil)
    }

    @Test("every byte string of length 0 to 64 round-trips", arguments: 0...64)
    func roundTrips(_ length: Int) {
        let bytes = SecureRandom.bytes(length)
        let encoded = Base32.encode(bytes)
        #expect(encoded.utf8.count == (length * 8 + 4) / 5)
        #expect(encoded.utf8.allSatisfy { ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) || ($0 >= UInt8(ascii: "2") && $0 <= UInt8(ascii: "7")) })
        #expect(Base32.decode(encoded) == bytes)
        #expect(Base32.decode(encoded.lowercased()) == bytes)
    }

    @Test("all 256 byte values survive a round trip")
    func allByteValues() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base32.decode(Base32.encode(bytes)) == bytes)
    }
}
