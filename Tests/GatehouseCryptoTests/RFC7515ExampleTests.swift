import GatehouseCrypto
import Testing

/// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256), run as data from Vectors/rfc7515-jws.json.
@Suite("RFC 7515 Appendix A: RS256 and ES256 examples")
struct RFC7515ExampleTests {
    let vector: RFC7515

    init() throws {
        vector = try Vectors.rfc7515()
    }

    @Test("A.2: the RSA key imported from PKCS#8 has the RFC's modulus and exponent")
    func rsaKeyImport() throws {
        let key = try SigningKey(algorithm: .rs256, privateKeyBytes: [UInt8](base64url: vector.rs256.pkcs8))
        #expect(key.publicJWK == JWK(kty: "RSA", n: vector.rs256.privateJWK.n, e: vector.rs256.privateJWK.e, alg: "RS256"))
    }

    @Test("A.2: RS256 signing reproduces the RFC's JWS exactly (PKCS#1 v1.5 is deterministic)")
    func rs256Signing() throws {
        let key = try SigningKey(algorithm: .rs256, privateKeyBytes: [UInt8](base64url: vector.rs256.pkcs8))
        let signature = try key.sign(Array(vector.rs256.signingInput.utf8))
        #expect(Base64URL.encode(signature) == vector.rs256.signature)

        let payloadPart = vector.rs256.signingInput.split(separator: ".")[1]
        let jws = try JWS.sign(payload: [UInt8](base64url: String(payloadPart)), header: JWSHeader(alg: "RS256"), key: key)
        #expect(jws == vector.rs256.signingInput + "." + vector.rs256.signature)
    }

    @Test("A.2: the RFC's RS256 JWS verifies with the public n/e")
    func rs256Verification() throws {
        let jwk = vector.rs256.privateJWK
        let verifier = try SignatureVerifier(jwk: JWK(kty: "RSA", n: jwk.n, e: jwk.e))
        let parsed = try JWS.parse(vector.rs256.signingInput + "." + vector.rs256.signature)
        #expect(parsed.verify(with: verifier))
        #expect(Base64URL.encode(parsed.payload).hasPrefix("eyJpc3MiOiJqb2Ui"))
    }

    @Test("A.3: the RFC's ES256 JWS verifies with the public JWK")
    func es256Verification() throws {
        let verifier = try SignatureVerifier(jwk: vector.es256.publicJWK)
        #expect(verifier.algorithm == .es256)
        let parsed = try JWS.parse(vector.es256.signingInput + "." + vector.es256.signature)
        #expect(parsed.header == JWSHeader(alg: "ES256"))
        #expect(parsed.signature.count == 64)
        #expect(parsed.verify(with: verifier))
    }

    @Test("A.3: the RFC's ES256 signature fails over a changed signing input")
    func es256VerificationFailsOnChange() throws {
        let verifier = try SignatureVerifier(jwk: vector.es256.publicJWK)
        var message = Array(vector.es256.signingInput.utf8)
        message[0] ^= 0x01
        #expect(!verifier.verify(signature: [UInt8](base64url: vector.es256.signature), message: message))
    }

    @Test("A.3: the P-256 key imported from PKCS#8 has the RFC's x/y and its signatures verify with the RFC JWK")
    func es256KeyImportAndSigning() throws {
        let key = try SigningKey(algorithm: .es256, privateKeyBytes: [UInt8](base64url: vector.es256.pkcs8))
        var expected = vector.es256.publicJWK
        expected.alg = "ES256"
        #expect(key.publicJWK == expected)
        let verifier = try SignatureVerifier(jwk: vector.es256.publicJWK)
        let message = Array(vector.es256.signingInput.utf8)
        #expect(verifier.verify(signature: try key.sign(message), message: message))
    }
}
