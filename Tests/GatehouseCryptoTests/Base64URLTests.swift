import GatehouseCrypto
import Testing

@Suite("Base64URL (RFC 4648 §5, unpadded as in RFC 7515 §2)")
struct Base64URLTests {
    @Test("encodes RFC 4648 vectors with the URL-safe alphabet and no padding", arguments: try Vectors.base64url().valid)
    func encodesVector(_ vector: Base64URLVectors.Valid) {
        #expect(Base64URL.encode([UInt8](hex: vector.hex)) == vector.encoded)
    }

    @Test("decodes RFC 4648 vectors back to the original bytes", arguments: try Vectors.base64url().valid)
    func decodesVector(_ vector: Base64URLVectors.Valid) {
        #expect(Base64URL.decode(vector.encoded) == [UInt8](hex: vector.hex))
    }

    @Test("rejects anything but canonical unpadded base64url", arguments: try Vectors.base64url().invalid)
    func rejectsInvalid(_ vector: Base64URLVectors.Invalid) {
        #expect(Base64URL.decode(vector.encoded) == nil)
    }

    @Test("encoding a String encodes its UTF-8 bytes")
    func encodesStringAsUTF8() {
        #expect(Base64URL.encode("Example of Ed25519 signing") == "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
        #expect(Base64URL.encode("é") == Base64URL.encode([0xC3, 0xA9]))
    }

    @Test("every byte string of length 0 to 64 round-trips", arguments: 0...64)
    func roundTrips(_ length: Int) {
        let bytes = SecureRandom.bytes(length)
        let encoded = Base64URL.encode(bytes)
        #expect(encoded.utf8.count == (length * 4 + 2) / 3)
        #expect(!encoded.contains("="))
        #expect(Base64URL.decode(encoded) == bytes)
    }

    @Test("all 256 byte values survive a round trip")
    func allByteValues() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
    }
}
