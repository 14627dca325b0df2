import GatehouseCrypto
import Testing

@Suite("HMAC-SHA-1 (RFC 2104, vectors RFC 2202 §3)")
struct HMACSHA1Tests {
    @Test("HMAC-SHA-1 matches the RFC 2202 vectors, including keys longer than the block", arguments: try Vectors.rfc2202().hmacSHA1)
    func vector(_ vector: DigestVectors.HMAC) {
        let mac = Digest.hmacSHA1(key: [UInt8](hex: vector.keyHex), message: [UInt8](hex: vector.messageHex))
        #expect(mac == [UInt8](hex: vector.macHex))
        #expect(mac.count == Digest.sha1ByteCount)
    }

    @Test("an empty key and an empty message are valid inputs")
    func emptyInputs() {
        #expect(Digest.hmacSHA1(key: [], message: []) == [UInt8](hex: "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"))
    }
}
