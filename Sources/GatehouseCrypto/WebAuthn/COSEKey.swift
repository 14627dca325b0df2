/// COSE algorithm identifiers accepted for passkeys (IANA COSE Algorithms registry; RFC 9053 §2.1,
/// RFC 8812 §2).
public enum COSEAlgorithm: Int, Sendable, CaseIterable {
    /// ECDSA w/ SHA-256 on P-256 (RFC 9053 §2.1).
    case es256 = -7
    /// EdDSA on Ed25519 (RFC 9053 §2.2).
    case eddsa = -8
    /// RSASSA-PKCS1-v1_5 w/ SHA-256 (RFC 8812 §2).
    case rs256 = -257
}

/// A credential public key in COSE_Key form (RFC 9052 §7, WebAuthn §6.5.1.1), converted to a
/// ``JWK`` and a ``SignatureVerifier``.
///
/// Accepted: `kty` 2 (EC2) `crv` 1 (P-256) `alg` -7; `kty` 1 (OKP) `crv` 6 (Ed25519) `alg` -8;
/// `kty` 3 (RSA) `alg` -257 (RFC 8230 §4). `alg` is required (WebAuthn §6.5.1.1). A key carrying
/// private material (`d`) is refused.
public struct COSEKey: Sendable {
    /// The key's algorithm.
    public let algorithm: COSEAlgorithm
    /// The same key as a public JWK, with `alg` set.
    public let jwk: JWK
    /// A verifier for the key's WebAuthn assertion signatures (``verifyAssertion(signature:message:)``).
    public let verifier: SignatureVerifier

    /// Parses the CBOR encoding of a COSE_Key.
    public init(bytes: [UInt8]) throws {
        try self.init(value: try CBOR.decode(bytes))
    }

    /// Converts a decoded COSE_Key map.
    /// - Throws: ``CryptoError/invalidKey(_:)`` for any unsupported or malformed key.
    public init(value: CBORValue) throws {
        guard case .map = value else { throw CryptoError.invalidKey("COSE_Key is not a map") }
        func bytes(_ label: Int, _ name: String, count: Int? = nil) throws -> [UInt8] {
            guard case .bytes(let b) = value[label] else { throw CryptoError.invalidKey("COSE_Key lacks byte string \(name)") }
            if let count, b.count != count { throw CryptoError.invalidKey("COSE_Key \(name) must be \(count) bytes, got \(b.count)") }
            return b
        }
        guard let kty = value[1]?.intValue else { throw CryptoError.invalidKey("COSE_Key lacks an integer kty") }
        guard let algLabel = value[3]?.intValue else { throw CryptoError.invalidKey("COSE_Key lacks an integer alg") }
        guard let alg = COSEAlgorithm(rawValue: algLabel) else { throw CryptoError.invalidKey("COSE alg \(algLabel) is not supported") }
        let jwk: JWK
        switch (kty, alg) {
        case (2, .es256):
            guard value[-1]?.intValue == 1 else { throw CryptoError.invalidKey("EC2 key curve is not P-256 (crv 1)") }
            guard value[-4] == nil else { throw CryptoError.invalidKey("COSE_Key carries a private key") }
            jwk = JWK(
                kty: "EC", crv: "P-256", x: Base64URL.encode(try bytes(-2, "x", count: 32)),
                y: Base64URL.encode(try bytes(-3, "y", count: 32)), alg: "ES256")
        case (1, .eddsa):
            guard value[-1]?.intValue == 6 else { throw CryptoError.invalidKey("OKP key curve is not Ed25519 (crv 6)") }
            guard value[-4] == nil else { throw CryptoError.invalidKey("COSE_Key carries a private key") }
            jwk = JWK(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(try bytes(-2, "x", count: 32)), alg: "EdDSA")
        case (3, .rs256):
            guard value[-3] == nil else { throw CryptoError.invalidKey("COSE_Key carries a private key") }
            let n = Array(try bytes(-1, "n").drop { $0 == 0 })
            let e = Array(try bytes(-2, "e").drop { $0 == 0 })
            jwk = JWK(kty: "RSA", n: Base64URL.encode(n), e: Base64URL.encode(e), alg: "RS256")
        default:
            throw CryptoError.invalidKey("COSE kty \(kty) does not match alg \(alg.rawValue)")
        }
        self.algorithm = alg
        self.jwk = jwk
        self.verifier = try SignatureVerifier(jwk: jwk)
    }
}

extension SignatureVerifier {
    /// Verifies a WebAuthn assertion or attestation signature (WebAuthn §6.5.6).
    ///
    /// ES256 signatures are DER `ECDSA-Sig-Value` (WebAuthn §6.5.6, RFC 3279 §2.2.3), accepted
    /// only in their canonical DER form (re-encoding must give back the same bytes); EdDSA and
    /// RS256 signatures are as in JWS. Never throws: malformed signatures give `false`.
    public func verifyAssertion(signature: [UInt8], message: [UInt8]) -> Bool {
        guard algorithm == .es256 else { return verify(signature: signature, message: message) }
        guard signature.count <= 72, let raw = try? ECDSASignature.raw(fromDER: signature),
            ECDSASignature.der(fromRaw: raw) == signature
        else { return false }
        return verify(signature: raw, message: message)
    }
}
