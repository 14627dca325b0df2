import Foundation
import GatehouseCrypto
import Testing

@Suite("SigningKey and SignatureVerifier round trips")
struct SigningKeyTests {
    static let message = Array("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9".utf8)

    @Test("a signature verifies with the key's own verifier and has the JWA length", arguments: JWSAlgorithm.allCases)
    func signAndVerify(_ algorithm: JWSAlgorithm) throws {
        let key = try TestKeys.a(algorithm)
        let signature = try key.sign(Self.message)
        let expectedLength =
            switch algorithm {
            case .eddsa, .es256: 64
            case .rs256: 256
            }
        #expect(signature.count == expectedLength)
        #expect(key.verifier.algorithm == algorithm)
        #expect(key.verifier.verify(signature: signature, message: Self.message))
    }

    @Test("a signature from key A does not verify with key B", arguments: JWSAlgorithm.allCases)
    func otherKeyRejects(_ algorithm: JWSAlgorithm) throws {
        let signature = try TestKeys.a(algorithm).sign(Self.message)
        #expect(!(try TestKeys.b(algorithm).verifier.verify(signature: signature, message: Self.message)))
    }

    @Test("a changed message or signature does not verify", arguments: JWSAlgorithm.allCases)
    func tamperRejects(_ algorithm: JWSAlgorithm) throws {
        let key = try TestKeys.a(algorithm)
        let signature = try key.sign(Self.message)
        var message = Self.message
        message[5] ^= 0x20
        #expect(!key.verifier.verify(signature: signature, message: message))
        for index in [0, signature.count / 2, signature.count - 1] {
            var changed = signature
            changed[index] ^= 0x01
            #expect(!key.verifier.verify(signature: changed, message: Self.message))
        }
        #expect(!key.verifier.verify(signature: [], message: Self.message))
        #expect(!key.verifier.verify(signature: signature + [0], message: Self.message))
        #expect(!key.verifier.verify(signature: Array(signature.dropLast()), message: Self.message))
    }

    @Test("publicJWK survives JSON and rebuilds a verifier for the key's signatures", arguments: JWSAlgorithm.allCases)
    func publicJWKRoundTrip(_ algorithm: JWSAlgorithm) throws {
        let key = try TestKeys.a(algorithm)
        let json = try JSONEncoder().encode(key.publicJWK)
        let decoded = try JSONDecoder().decode(JWK.self, from: json)
        #expect(decoded == key.publicJWK)
        let verifier = try SignatureVerifier(jwk: decoded)
        #expect(verifier.algorithm == algorithm)
        #expect(verifier.verify(signature: try key.sign(Self.message), message: Self.message))
    }

    @Test("publicJWK carries only public members, alg set and kid nil", arguments: JWSAlgorithm.allCases)
    func publicJWKShape(_ algorithm: JWSAlgorithm) throws {
        let jwk = try TestKeys.a(algorithm).publicJWK
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(jwk)) as? [String: String] ?? [:]
        let expectedMembers: Set<String> =
            switch algorithm {
            case .eddsa: ["kty", "crv", "x", "alg"]
            case .es256: ["kty", "crv", "x", "y", "alg"]
            case .rs256: ["kty", "n", "e", "alg"]
            }
        #expect(Set(object.keys) == expectedMembers)
        #expect(jwk.alg == algorithm.rawValue)
        #expect(jwk.kid == nil)
        switch algorithm {
        case .eddsa: #expect(jwk.kty == "OKP" && jwk.crv == "Ed25519" && Base64URL.decode(jwk.x ?? "")?.count == 32)
        case .es256: #expect(jwk.kty == "EC" && jwk.crv == "P-256" && Base64URL.decode(jwk.y ?? "")?.count == 32)
        case .rs256: #expect(jwk.kty == "RSA" && jwk.e == "AQAB" && Base64URL.decode(jwk.n ?? "")?.count == 256)
        }
    }

    @Test("privateKeyBytes restores the same key", arguments: JWSAlgorithm.allCases)
    func privateKeyBytesRoundTrip(_ algorithm: JWSAlgorithm) throws {
        let key = try TestKeys.a(algorithm)
        let restored = try SigningKey(algorithm: algorithm, privateKeyBytes: key.privateKeyBytes())
        #expect(restored.algorithm == algorithm)
        #expect(restored.publicJWK == key.publicJWK)
        #expect(key.verifier.verify(signature: try restored.sign(Self.message), message: Self.message))
        if algorithm == .eddsa {
            #expect(key.privateKeyBytes().count == 32)
        }
    }

    @Test("EdDSA and RS256 signatures are deterministic; ES256 signatures are randomised", arguments: JWSAlgorithm.allCases)
    func determinism(_ algorithm: JWSAlgorithm) throws {
        let key = try TestKeys.a(algorithm)
        let first = try key.sign(Self.message)
        let second = try key.sign(Self.message)
        #expect((first == second) == (algorithm != .es256))
    }

    struct ImportRow: Sendable, CustomStringConvertible {
        let description: String
        let algorithm: JWSAlgorithm
        let bytes: @Sendable () throws -> [UInt8]
    }

    static let importRows: [ImportRow] = [
        ImportRow(description: "EdDSA seed of 31 bytes", algorithm: .eddsa) { Array(repeating: 1, count: 31) },
        ImportRow(description: "EdDSA 64-byte libsodium secret key instead of the seed", algorithm: .eddsa) { Array(repeating: 1, count: 64) },
        ImportRow(description: "ES256 with an RSA PKCS#8 key", algorithm: .es256) { [UInt8](base64url: try Vectors.rfc7515().rs256.pkcs8) },
        ImportRow(description: "RS256 with a P-256 PKCS#8 key", algorithm: .rs256) { [UInt8](base64url: try Vectors.rfc7515().es256.pkcs8) },
        ImportRow(description: "ES256 with an Ed25519 seed", algorithm: .es256) { Array(repeating: 1, count: 32) },
        ImportRow(description: "RS256 with empty bytes", algorithm: .rs256) { [] },
        ImportRow(description: "RS256 with PKCS#8 plus a trailing byte", algorithm: .rs256) { [UInt8](base64url: try Vectors.rfc7515().rs256.pkcs8) + [0] },
        ImportRow(description: "ES256 with truncated PKCS#8", algorithm: .es256) { Array([UInt8](base64url: try Vectors.rfc7515().es256.pkcs8).dropLast(3)) },
    ]

    @Test("importing the wrong or malformed key material throws invalidKey", arguments: importRows)
    func importRejects(_ row: ImportRow) throws {
        let bytes = try row.bytes()
        let error = #expect(throws: CryptoError.self) { try SigningKey(algorithm: row.algorithm, privateKeyBytes: bytes) }
        guard case .invalidKey = error else {
            Issue.record("expected invalidKey, got \(String(describing: error))")
            return
        }
    }

    @Test("generated keys are distinct", arguments: JWSAlgorithm.allCases)
    func generatedKeysDiffer(_ algorithm: JWSAlgorithm) throws {
        #expect(try TestKeys.a(algorithm).publicJWK != TestKeys.b(algorithm).publicJWK)
    }
}
