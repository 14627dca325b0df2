import GatehouseCrypto
import Testing

@Suite("Digest: SHA-256 (FIPS 180-2) and HMAC-SHA-256 (RFC 4231)")
struct DigestTests {
    @Test("SHA-256 matches the FIPS 180-2 vectors", arguments: try Vectors.digests().sha256)
    func sha256(_ vector: DigestVectors.SHA256) {
        let digest = Digest.sha256([UInt8](hex: vector.messageHex))
        #expect(digest == [UInt8](hex: vector.digestHex))
        #expect(digest.count == Digest.sha256ByteCount)
    }

    @Test("HMAC-SHA-256 matches the RFC 4231 vectors, including keys longer than the block", arguments: try Vectors.digests().hmacSHA256)
    func hmac(_ vector: DigestVectors.HMAC) {
        let mac = Digest.hmacSHA256(key: [UInt8](hex: vector.keyHex), message: [UInt8](hex: vector.messageHex))
        #expect(mac == [UInt8](hex: vector.macHex))
    }

    @Test("SHA-256 of a String hashes its UTF-8 bytes")
    func sha256OfString() {
        #expect(Digest.sha256("abc") == Digest.sha256([0x61, 0x62, 0x63]))
        #expect(Digest.sha256("é") == Digest.sha256([0xC3, 0xA9]))
    }
}

@Suite("SHA-512")
struct SHA512Tests {
    /// FIPS 180-2 Appendix C.1 ("abc") and the empty message.
    static let vectors: [(message: String, digestHex: String)] = [
        ("abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        ("", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
    ]

    @Test("SHA-512 matches the FIPS 180-2 vectors", arguments: vectors)
    func sha512(_ vector: (message: String, digestHex: String)) {
        let digest = Digest.sha512(Array(vector.message.utf8))
        #expect(digest == [UInt8](hex: vector.digestHex))
        #expect(digest.count == Digest.sha512ByteCount)
    }
}
