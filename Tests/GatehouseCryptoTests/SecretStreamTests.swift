import GatehouseCrypto
import Testing

@Suite("SecretStream: chunked XChaCha20-Poly1305")
struct SecretStreamTests {
    static let chunk = SecretStream.chunkByteCount

    @Test("open(seal(m)) == m, 17 bytes per chunk", arguments: [0, 1, 65535, 65536, 65537, 3 * 65536 + 5])
    func roundTrip(_ length: Int) throws {
        let key = SecretBox.generateKey()
        let plaintext = SecureRandom.bytes(length)
        let (header, ciphertext) = try SecretStream.seal(plaintext, key: key, additionalData: [1, 2])
        #expect(header.count == SecretStream.headerByteCount)
        #expect(ciphertext.count == length + (length / Self.chunk + 1) * SecretStream.chunkOverheadByteCount)
        #expect(try SecretStream.open(header: header, ciphertext: ciphertext, key: key, additionalData: [1, 2]) == plaintext)
    }

    @Test("a wrong key, header or additional data, an altered byte, a dropped last chunk or appended bytes fail")
    func refusals() throws {
        let key = SecretBox.generateKey()
        let plaintext = SecureRandom.bytes(2 * Self.chunk + 10)
        let (header, ciphertext) = try SecretStream.seal(plaintext, key: key, additionalData: [9])
        func fails(_ header: [UInt8], _ ciphertext: [UInt8], key: [UInt8] = key, ad: [UInt8] = [9]) {
            #expect(throws: CryptoError.authenticationFailed) {
                try SecretStream.open(header: header, ciphertext: ciphertext, key: key, additionalData: ad)
            }
        }
        fails(header, ciphertext, key: SecretBox.generateKey())
        fails(header, ciphertext, ad: [8])
        var otherHeader = header
        otherHeader[0] ^= 1
        fails(otherHeader, ciphertext)
        for offset in [0, Self.chunk, ciphertext.count - 1] {
            var altered = ciphertext
            altered[offset] ^= 1
            fails(header, altered)
        }
        let sealedChunk = Self.chunk + SecretStream.chunkOverheadByteCount
        fails(header, Array(ciphertext.prefix(2 * sealedChunk)))
        fails(header, Array(ciphertext.prefix(sealedChunk)))
        fails(header, ciphertext + [0])
        fails(header, [])
    }
}
