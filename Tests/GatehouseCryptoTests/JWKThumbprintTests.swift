import Foundation
import GatehouseCrypto
import Testing

@Suite("JWK thumbprints (RFC 7638) and serialisation")
struct JWKThumbprintTests {
    struct Row: Sendable, CustomStringConvertible {
        let description: String
        let jwk: JWK
        let thumbprint: String
    }

    static func specRows() throws -> [Row] {
        let rfc8037 = try Vectors.rfc8037()
        let rfc7638 = try Vectors.rfc7638()
        return [
            Row(description: "RFC 8037 A.3: Ed25519 OKP key", jwk: rfc8037.publicJWK, thumbprint: rfc8037.thumbprint),
            Row(description: "RFC 7638 §3.1: RSA key", jwk: rfc7638.jwk, thumbprint: rfc7638.thumbprint),
        ]
    }

    @Test("thumbprint matches the RFC examples", arguments: try specRows())
    func specExamples(_ row: Row) throws {
        #expect(try row.jwk.thumbprint() == row.thumbprint)
    }

    @Test("optional members (kid, alg, use) do not change the thumbprint", arguments: try specRows())
    func optionalMembersIgnored(_ row: Row) throws {
        var decorated = row.jwk
        decorated.kid = "some-key-id"
        decorated.alg = "anything"
        decorated.use = "sig"
        #expect(try decorated.thumbprint() == row.thumbprint)
    }

    @Test("the thumbprint input is the RFC 8037 A.3 canonical JSON")
    func canonicalJSON() throws {
        let vector = try Vectors.rfc8037()
        #expect(Base64URL.encode(Digest.sha256(vector.thumbprintCanonicalJSON)) == vector.thumbprint)
    }

    @Test(
        "thumbprint throws for unsupported key types and missing required members",
        arguments: [
            JWK(kty: "oct"),
            JWK(kty: "OKP", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            JWK(kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
            JWK(kty: "RSA", e: "AQAB"),
        ])
    func thumbprintRejects(_ jwk: JWK) {
        #expect(throws: CryptoError.self) { try jwk.thumbprint() }
    }

    @Test("decoding a private JWK drops private members, and encoding omits nil members")
    func privateMembersDropped() throws {
        let vector = try Vectors.rfc8037()
        let json = """
            {"kty":"OKP","crv":"Ed25519","d":"\(vector.privateJWK.d)","x":"\(vector.privateJWK.x)"}
            """
        let jwk = try JSONDecoder().decode(JWK.self, from: Data(json.utf8))
        #expect(jwk == vector.publicJWK)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(jwk)) as? [String: String]
        #expect(object == ["kty": "OKP", "crv": "Ed25519", "x": vector.privateJWK.x])
    }
}
