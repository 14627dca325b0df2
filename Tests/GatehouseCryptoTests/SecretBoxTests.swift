import GatehouseCrypto
import Testing

@Suite("SecretBox: XSalsa20-Poly1305")
struct SecretBoxTests {
    @Test("open(seal(m)) == m and the box is 40 bytes longer", arguments: [0, 1, 31, 32, 1000, 65536])
    func roundTrip(_ length: Int) throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        let plaintext = SecureRandom.bytes(length)
        let sealed = box.seal(plaintext)
        #expect(sealed.count == length + SecretBox.overheadByteCount)
        #expect(try box.open(sealed) == plaintext)
    }

    @Test("sealing the same plaintext twice uses fresh nonces")
    func freshNonces() throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        let first = box.seal([1, 2, 3])
        let second = box.seal([1, 2, 3])
        #expect(first != second)
        #expect(first.prefix(SecretBox.nonceByteCount) != second.prefix(SecretBox.nonceByteCount))
    }

    /// Offsets into a box sealing 16 bytes: nonce 0..<24, tag 24..<40, ciphertext 40..<56.
    @Test("changing any byte (nonce, tag or ciphertext) fails authentication", arguments: [0, 23, 24, 39, 40, 55])
    func tamper(_ offset: Int) throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        var sealed = box.seal(Array(repeating: 7, count: 16))
        sealed[offset] ^= 0x01
        #expect(throws: CryptoError.authenticationFailed) { try box.open(sealed) }
    }

    @Test("a box sealed under another key fails authentication")
    func wrongKey() throws {
        let sealed = try SecretBox(key: SecretBox.generateKey()).seal([1, 2, 3])
        let other = try SecretBox(key: SecretBox.generateKey())
        #expect(throws: CryptoError.authenticationFailed) { try other.open(sealed) }
    }

    @Test("input shorter than nonce plus tag (40 bytes) is rejected as invalid input", arguments: [0, 1, 24, 39])
    func shortInput(_ length: Int) throws {
        let box = try SecretBox(key: SecretBox.generateKey())
        let error = #expect(throws: CryptoError.self) { try box.open(Array(repeating: 0, count: length)) }
        guard case .invalidInput = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
    }

    @Test("a key that is not 32 bytes is rejected", arguments: [0, 16, 31, 33, 64])
    func keyLength(_ length: Int) {
        let error = #expect(throws: CryptoError.self) { try SecretBox(key: Array(repeating: 1, count: length)) }
        guard case .invalidKey = error else {
            Issue.record("expected invalidKey, got \(String(describing: error))")
            return
        }
    }

    @Test("generateKey returns 32 fresh random bytes")
    func generateKey() {
        let key = SecretBox.generateKey()
        #expect(key.count == SecretBox.keyByteCount && key.count == 32)
        #expect(key != SecretBox.generateKey())
    }
}
