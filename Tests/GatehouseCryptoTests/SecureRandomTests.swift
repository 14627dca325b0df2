import GatehouseCrypto
import Testing

@Suite("SecureRandom")
struct SecureRandomTests {
    @Test("bytes returns exactly the requested count", arguments: [0, 1, 16, 32, 1000])
    func byteCount(_ count: Int) {
        #expect(SecureRandom.bytes(count).count == count)
    }

    @Test("two 32-byte draws differ")
    func drawsDiffer() {
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    @Test("token is unpadded base64url of byteCount random bytes", arguments: [(32, 43), (16, 22), (1, 2)])
    func token(_ byteCount: Int, _ length: Int) {
        let token = byteCount == 32 ? SecureRandom.token() : SecureRandom.token(byteCount: byteCount)
        #expect(token.count == length)
        #expect(Base64URL.decode(token)?.count == byteCount)
    }

    @Test("uniform stays below its bound", arguments: [UInt32(1), 2, 10, 1000, .max])
    func uniformBound(_ bound: UInt32) {
        for _ in 0..<1000 {
            #expect(SecureRandom.uniform(bound) < bound)
        }
    }
}
