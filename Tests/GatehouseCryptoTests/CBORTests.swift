import GatehouseCrypto
import Testing

@Suite("CBOR: strict decoder for the WebAuthn subset (RFC 8949)")
struct CBORTests {
    @Test("decodes integers, strings, arrays, maps and booleans")
    func decodesSubset() throws {
        #expect(try CBOR.decode([UInt8](hex: "17")) == .unsigned(23))
        #expect(try CBOR.decode([UInt8](hex: "1818")) == .unsigned(24))
        #expect(try CBOR.decode([UInt8](hex: "390100")) == .negative(256))
        #expect(try CBOR.decode([UInt8](hex: "390100")).intValue == -257)
        #expect(try CBOR.decode([UInt8](hex: "43010203")) == .bytes([1, 2, 3]))
        #expect(try CBOR.decode([UInt8](hex: "6461626364")) == .text("abcd"))
        #expect(try CBOR.decode([UInt8](hex: "8201f5")) == .array([.unsigned(1), .bool(true)]))
        let map = try CBOR.decode([UInt8](hex: "a2012620f4"))
        #expect(map[1] == .negative(6))
        #expect(map[-1] == .bool(false))
    }

    struct Bad: Sendable, CustomStringConvertible {
        let description: String
        let hex: String
    }

    static let refused: [Bad] = [
        Bad(description: "indefinite-length array", hex: "9f01ff"),
        Bad(description: "indefinite-length byte string", hex: "5f4101ff"),
        Bad(description: "non-shortest one-byte argument", hex: "1805"),
        Bad(description: "non-shortest two-byte argument", hex: "190017"),
        Bad(description: "non-shortest four-byte argument", hex: "1a0000ffff"),
        Bad(description: "duplicate map key", hex: "a201010102"),
        Bad(description: "tag", hex: "c04100"),
        Bad(description: "half float", hex: "f93c00"),
        Bad(description: "null", hex: "f6"),
        Bad(description: "undefined", hex: "f7"),
        Bad(description: "reserved additional information", hex: "1c"),
        Bad(description: "length beyond the input", hex: "5affffffff00"),
        Bad(description: "array count beyond the input", hex: "9bffffffffffffffff"),
        Bad(description: "map count beyond the input", hex: "bb00000000ffffffff01"),
        Bad(description: "invalid UTF-8 text", hex: "62fffe"),
        Bad(description: "trailing bytes", hex: "0101"),
        Bad(description: "empty input", hex: ""),
        Bad(description: "truncated map", hex: "a201"),
    ]

    @Test("refuses everything outside the strict subset", arguments: refused)
    func refuses(_ bad: Bad) {
        #expect(throws: CryptoError.self) { try CBOR.decode([UInt8](hex: bad.hex)) }
    }

    @Test("nesting is bounded")
    func depthLimit() throws {
        let ok = [UInt8](repeating: 0x81, count: CBOR.maximumDepth) + [0x00]
        #expect(throws: Never.self) { try CBOR.decode(ok) }
        let deep = [UInt8](repeating: 0x81, count: CBOR.maximumDepth + 1) + [0x00]
        #expect(throws: CryptoError.self) { try CBOR.decode(deep) }
    }

    @Test("input size is bounded")
    func sizeLimit() {
        let big = [0x5A, 0x00, 0x01, 0x00, 0x00] + [UInt8](repeating: 0, count: 65536)
        #expect(throws: CryptoError.self) { try CBOR.decode(big) }
    }

    @Test("every truncation of a real attestation object is refused, never a crash")
    func truncations() throws {
        let full = Base64URL.decode(WebAuthnVectors.noneAttestationObject)!
        #expect(throws: Never.self) { try CBOR.decode(full) }
        for length in 0..<full.count {
            #expect(throws: CryptoError.self) { try CBOR.decode(Array(full[0..<length])) }
        }
    }

    @Test("random and bit-flipped inputs only ever decode or throw")
    func fuzz() throws {
        var generator = SystemRandomNumberGenerator()
        let seed = Base64URL.decode(WebAuthnVectors.noneAttestationObject)!
        for round in 0..<5000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                input = seed
                for _ in 0..<3 { input[Int.random(in: 0..<input.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator) }
            }
            _ = try? CBOR.decode(input)
            _ = try? AuthenticatorData(bytes: input)
            _ = try? AttestationObject(bytes: input)
        }
    }
}
