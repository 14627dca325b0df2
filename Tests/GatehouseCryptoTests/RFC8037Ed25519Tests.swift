import GatehouseCrypto
import Testing

/// RFC 8037 Appendix A, run as data from Vectors/rfc8037-ed25519.json.
@Suite("RFC 8037 Appendix A: Ed25519 in JOSE")
struct RFC8037Ed25519Tests {
    let vector: RFC8037
    let key: SigningKey

    init() throws {
        vector = try Vectors.rfc8037()
        key = try SigningKey(algorithm: .eddsa, privateKeyBytes: [UInt8](base64url: vector.privateJWK.d))
    }

    @Test("A.1/A.2: the private seed d yields the public key x and the A.2 public JWK")
    func publicKeyFromSeed() {
        var expected = vector.publicJWK
        expected.alg = "EdDSA"
        #expect(key.publicJWK == expected)
        #expect(key.publicJWK.x == vector.privateJWK.x)
    }

    @Test("A.1: privateKeyBytes is the 32-byte seed d")
    func privateKeyBytesIsSeed() {
        #expect(Base64URL.encode(key.privateKeyBytes()) == vector.privateJWK.d)
    }

    @Test("A.3: the public key's thumbprint is kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    func thumbprint() throws {
        #expect(try key.publicJWK.thumbprint() == vector.thumbprint)
    }

    @Test("A.4: signing the example payload under {\"alg\":\"EdDSA\"} gives the RFC's exact JWS")
    func signing() throws {
        let jws = try JWS.sign(payload: Array(vector.payload.utf8), header: JWSHeader(alg: "EdDSA"), key: key)
        #expect(jws == vector.compact)
        #expect(Base64URL.encode(try key.sign(Array(vector.signingInput.utf8))) == vector.signature)
    }

    @Test("A.5: the RFC's JWS verifies with the A.2 public JWK")
    func verification() throws {
        let verifier = try SignatureVerifier(jwk: vector.publicJWK)
        let parsed = try JWS.parse(vector.compact)
        #expect(parsed.header == JWSHeader(alg: "EdDSA"))
        #expect(parsed.payload == Array(vector.payload.utf8))
        #expect(parsed.signingInput == Array(vector.signingInput.utf8))
        #expect(parsed.verify(with: verifier))
    }

    @Test("A.5: the RFC's signature does not verify over a changed payload")
    func verificationFailsOnChangedPayload() throws {
        let verifier = try SignatureVerifier(jwk: vector.publicJWK)
        let signature = [UInt8](base64url: vector.signature)
        var message = Array(vector.signingInput.utf8)
        message[message.count - 1] ^= 0x01
        #expect(!verifier.verify(signature: signature, message: message))
    }
}
