import GatehouseCrypto
import Testing

@Suite("SignatureVerifier: JWK import rules")
struct SignatureVerifierTests {
    static let ed25519X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    static let p256X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
    static let p256Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    static let rsaN =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

    struct Row: Sendable, CustomStringConvertible {
        let description: String
        let jwk: JWK
    }

    static let accepted: [(Row, JWSAlgorithm)] = [
        (Row(description: "OKP Ed25519 → EdDSA", jwk: JWK(kty: "OKP", crv: "Ed25519", x: ed25519X)), .eddsa),
        (Row(description: "EC P-256 → ES256", jwk: JWK(kty: "EC", crv: "P-256", x: p256X, y: p256Y)), .es256),
        (Row(description: "RSA 2048 → RS256", jwk: JWK(kty: "RSA", n: rsaN, e: "AQAB")), .rs256),
        (
            Row(description: "matching alg and use sig are accepted", jwk: JWK(kty: "OKP", crv: "Ed25519", x: ed25519X, kid: "k", alg: "EdDSA", use: "sig")),
            .eddsa
        ),
    ]

    @Test("supported public JWKs are accepted and imply their algorithm", arguments: accepted)
    func accepts(_ row: Row, _ algorithm: JWSAlgorithm) throws {
        let verifier = try SignatureVerifier(jwk: row.jwk)
        #expect(verifier.algorithm == algorithm)
        #expect(verifier.jwk == row.jwk)
    }

    /// An x coordinate off by one makes (x, y) a point that is not on P-256.
    static let offCurveX = Base64URL.encode(
        {
            var x = [UInt8](base64url: p256X); x[31] ^= 0x01; return x
        }())
    /// A 1024-bit odd modulus: too small for RS256 (RFC 7518 §3.3).
    static let rsa1024N = Base64URL.encode([0xC5] + Array(repeating: 0x5A, count: 126) + [0x01])

    static let rejected: [Row] = [
        Row(description: "kty oct is unsupported", jwk: JWK(kty: "oct")),
        Row(description: "OKP Ed448 is unsupported", jwk: JWK(kty: "OKP", crv: "Ed448", x: ed25519X)),
        Row(description: "OKP X25519 is not a signature key", jwk: JWK(kty: "OKP", crv: "X25519", x: ed25519X)),
        Row(description: "OKP without x", jwk: JWK(kty: "OKP", crv: "Ed25519")),
        Row(description: "OKP x of 31 bytes", jwk: JWK(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(Array(repeating: 1, count: 31)))),
        Row(
            description: "OKP x of small order (all-zero encoding, order 4)",
            jwk: JWK(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(Array(repeating: 0, count: 32)))),
        Row(description: "OKP x is the identity point", jwk: JWK(kty: "OKP", crv: "Ed25519", x: Base64URL.encode([1] + Array(repeating: 0, count: 31)))),
        Row(description: "OKP x with base64 padding", jwk: JWK(kty: "OKP", crv: "Ed25519", x: ed25519X + "=")),
        Row(description: "EC P-384 is unsupported", jwk: JWK(kty: "EC", crv: "P-384", x: p256X, y: p256Y)),
        Row(description: "EC without crv", jwk: JWK(kty: "EC", x: p256X, y: p256Y)),
        Row(description: "EC without y", jwk: JWK(kty: "EC", crv: "P-256", x: p256X)),
        Row(description: "EC point not on the curve", jwk: JWK(kty: "EC", crv: "P-256", x: offCurveX, y: p256Y)),
        Row(description: "EC x with a standard-alphabet character", jwk: JWK(kty: "EC", crv: "P-256", x: "+" + p256X.dropFirst(), y: p256Y)),
        Row(description: "RSA modulus of 1024 bits", jwk: JWK(kty: "RSA", n: rsa1024N, e: "AQAB")),
        Row(description: "RSA even exponent", jwk: JWK(kty: "RSA", n: rsaN, e: "AQAA")),
        Row(description: "RSA exponent 1", jwk: JWK(kty: "RSA", n: rsaN, e: "AQ")),
        Row(description: "RSA without e", jwk: JWK(kty: "RSA", n: rsaN)),
        Row(description: "alg that contradicts the key type", jwk: JWK(kty: "EC", crv: "P-256", x: p256X, y: p256Y, alg: "RS256")),
        Row(description: "alg none", jwk: JWK(kty: "OKP", crv: "Ed25519", x: ed25519X, alg: "none")),
        Row(description: "use enc", jwk: JWK(kty: "RSA", n: rsaN, e: "AQAB", use: "enc")),
    ]

    @Test("unsupported, malformed or contradictory JWKs throw invalidKey", arguments: rejected)
    func rejects(_ row: Row) {
        let error = #expect(throws: CryptoError.self) { try SignatureVerifier(jwk: row.jwk) }
        guard case .invalidKey = error else {
            Issue.record("expected invalidKey, got \(String(describing: error))")
            return
        }
    }

    @Test("ES256 accepts only 64-byte R||S, not the DER form OpenSSL produces")
    func es256RejectsDER() throws {
        let vector = try Vectors.rfc7515().es256
        let verifier = try SignatureVerifier(jwk: vector.publicJWK)
        let raw = [UInt8](base64url: vector.signature)
        let message = Array(vector.signingInput.utf8)
        #expect(verifier.verify(signature: raw, message: message))
        // SEQUENCE { INTEGER r, INTEGER s } with a leading 0x00 where the high bit is set.
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            let body = bytes.first! >= 0x80 ? [0] + Array(bytes) : Array(bytes)
            return [0x02, UInt8(body.count)] + body
        }
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        let der = [0x30, UInt8(body.count)] + body
        #expect(!verifier.verify(signature: der, message: message))
        #expect(!verifier.verify(signature: Array(repeating: 0, count: 64), message: message))
    }
}
