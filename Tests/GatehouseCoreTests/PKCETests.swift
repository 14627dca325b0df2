import GatehouseCore
import GatehouseCrypto
import Testing

/// An S256 example: the verifier's octets, the verifier, the challenge's octets and the challenge.
struct PKCEVector: Sendable, CustomTestStringConvertible {
    let source: String
    let verifierOctets: [UInt8]
    let verifier: String
    let challengeOctets: [UInt8]
    let challenge: String

    var testDescription: String { source }

    /// RFC 7636 Appendix B, "Example for the S256 code_challenge_method", verbatim.
    static let all: [PKCEVector] = [
        PKCEVector(
            source: "RFC 7636 Appendix B",
            verifierOctets: [
                116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
                105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
            ],
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            challengeOctets: [
                19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120, 173,
                109, 241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195,
            ],
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    ]
}

@Suite("PKCE (RFC 7636)")
struct PKCETests {
    @Test("S256 challenge is BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2)", arguments: PKCEVector.all)
    func s256Vector(_ vector: PKCEVector) {
        #expect(Base64URL.encode(vector.verifierOctets) == vector.verifier)
        #expect(Digest.sha256(vector.verifier) == vector.challengeOctets)
        #expect(PKCE.s256Challenge(for: vector.verifier) == vector.challenge)
    }

    @Test("the server accepts the verifier of the challenge it recorded (RFC 7636 §4.6)", arguments: PKCEVector.all)
    func verifyAccepts(_ vector: PKCEVector) {
        #expect(PKCE.verify(verifier: vector.verifier, challenge: vector.challenge))
    }

    struct Mismatch: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let verifier: String
        let challenge: String
    }

    @Test(
        "the server refuses a verifier that does not hash to the challenge (RFC 7636 §4.6)",
        arguments: [
            Mismatch(
                testDescription: "another well-formed verifier", verifier: String(repeating: "a", count: 43),
                challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            Mismatch(
                testDescription: "the plain method: verifier equal to the challenge",
                verifier: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            Mismatch(
                testDescription: "the verifier with one character changed",
                verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
                challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            Mismatch(
                testDescription: "a malformed (too short) verifier whose hash would match",
                verifier: "short", challenge: PKCE.s256Challenge(for: "short")),
            Mismatch(testDescription: "an empty verifier", verifier: "", challenge: PKCE.s256Challenge(for: "")),
            Mismatch(
                testDescription: "the challenge with padding appended",
                verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="),
        ])
    func verifyRefuses(_ row: Mismatch) {
        #expect(!PKCE.verify(verifier: row.verifier, challenge: row.challenge))
    }

    struct Shape: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let value: String
        let wellFormed: Bool
    }

    @Test(
        "code_verifier and code_challenge are 43–128 unreserved characters (RFC 7636 §4.1)",
        arguments: [
            Shape(testDescription: "42 characters is too short", value: String(repeating: "A", count: 42), wellFormed: false),
            Shape(testDescription: "43 characters is the minimum", value: String(repeating: "A", count: 43), wellFormed: true),
            Shape(testDescription: "128 characters is the maximum", value: String(repeating: "z", count: 128), wellFormed: true),
            Shape(testDescription: "129 characters is too long", value: String(repeating: "z", count: 129), wellFormed: false),
            Shape(
                testDescription: "every unreserved character: A-Z a-z 0-9 - . _ ~",
                value: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", wellFormed: true),
            Shape(
                testDescription: "'+' (base64, not base64url) is not unreserved",
                value: String(repeating: "A", count: 42) + "+", wellFormed: false),
            Shape(testDescription: "'/' is not unreserved", value: String(repeating: "A", count: 42) + "/", wellFormed: false),
            Shape(testDescription: "'=' padding is not unreserved", value: String(repeating: "A", count: 42) + "=", wellFormed: false),
            Shape(testDescription: "a space is not unreserved", value: String(repeating: "A", count: 42) + " ", wellFormed: false),
            Shape(testDescription: "'%' is not unreserved", value: String(repeating: "A", count: 42) + "%", wellFormed: false),
            Shape(
                testDescription: "non-ASCII letters are not unreserved",
                value: String(repeating: "A", count: 42) + "é", wellFormed: false),
            Shape(testDescription: "the empty string", value: "", wellFormed: false),
        ])
    func wellFormedness(_ row: Shape) {
        #expect(PKCE.isWellFormed(row.value) == row.wellFormed)
    }
}
