/// A private JWS signing key.
///
/// - EdDSA: Ed25519 via libsodium (RFC 8037 §3.1). Deterministic 64-byte signatures.
/// - ES256: ECDSA P-256 with SHA-256 via OpenSSL EVP (RFC 7518 §3.4). 64-byte `R || S` signatures.
/// - RS256: RSASSA-PKCS1-v1_5 with SHA-256 via OpenSSL EVP (RFC 7518 §3.3). Deterministic
///   signatures as long as the modulus (256 bytes for RSA-2048).
///
/// Owns its native key handle and frees (and, for Ed25519, wipes) it on deinit. Immutable and safe
/// to share between tasks and threads: each ``sign(_:)`` uses its own OpenSSL context.
public final class SigningKey: @unchecked Sendable {
    /// The JWS `alg` this key signs with.
    public let algorithm: JWSAlgorithm
    /// The public half as a JWK: `kty`, `crv`, `x` (and `y` for EC) or `n`, `e` for RSA, with `alg`
    /// set to ``algorithm`` and `kid`/`use` nil. Set `kid` on a copy before publishing it in a JWKS.
    public let publicJWK: JWK
    /// A verifier for this key's signatures, built from ``publicJWK`` when the key is created.
    public let verifier: SignatureVerifier

    private enum Material {
        case ed25519(Ed25519KeyPair)
        case evp(EVPKey)
    }

    private let material: Material

    /// Modulus size of keys made by ``generate(_:)`` for RS256 (RFC 7518 §3.3: ≥ 2048 bits).
    public static let rsaModulusBits = 2048
    /// Smallest RSA modulus accepted on import (RFC 7518 §3.3).
    public static let minimumRSAModulusBits = 2048

    private init(algorithm: JWSAlgorithm, material: Material) throws {
        self.algorithm = algorithm
        self.material = material
        switch material {
        case .ed25519(let pair):
            publicJWK = JWK(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(pair.publicKey), alg: algorithm.rawValue)
        case .evp(let key) where algorithm == .es256:
            publicJWK = JWK(
                kty: "EC", crv: "P-256",
                x: Base64URL.encode(try key.bigNumberParameter("qx", paddedTo: 32)),
                y: Base64URL.encode(try key.bigNumberParameter("qy", paddedTo: 32)),
                alg: algorithm.rawValue)
        case .evp(let key):
            publicJWK = JWK(
                kty: "RSA",
                n: Base64URL.encode(try key.bigNumberParameter("n")),
                e: Base64URL.encode(try key.bigNumberParameter("e")),
                alg: algorithm.rawValue)
        }
        verifier = try SignatureVerifier(jwk: publicJWK)
    }

    /// Generates a new random key: Ed25519, P-256, or RSA with a 2048-bit modulus and e = 65537.
    ///
    /// RSA generation takes tens to hundreds of milliseconds; do it off latency-sensitive threads.
    /// - Throws: ``CryptoError/operationFailed(_:)`` if OpenSSL cannot generate the key.
    public static func generate(_ algorithm: JWSAlgorithm) throws -> SigningKey {
        switch algorithm {
        case .eddsa: try SigningKey(algorithm: .eddsa, material: .ed25519(.generate()))
        case .es256: try SigningKey(algorithm: .es256, material: .evp(.generateP256()))
        case .rs256: try SigningKey(algorithm: .rs256, material: .evp(.generateRSA(bits: Int32(rsaModulusBits))))
        }
    }

    /// Restores a key from ``privateKeyBytes()``.
    ///
    /// - Parameters:
    ///   - algorithm: the algorithm the bytes were created for.
    ///   - privateKeyBytes: EdDSA: the 32-byte Ed25519 seed (RFC 8032 §5.1.5; the JWK `d`).
    ///     ES256: unencrypted PKCS#8 DER of a P-256 key. RS256: unencrypted PKCS#8 DER of an RSA
    ///     key (`rsaEncryption`, not RSA-PSS) with a modulus of at least 2048 bits.
    /// - Throws: ``CryptoError/invalidKey(_:)`` if the bytes are malformed or hold a different key
    ///   type, curve or a too-small RSA modulus.
    public convenience init(algorithm: JWSAlgorithm, privateKeyBytes: [UInt8]) throws {
        switch algorithm {
        case .eddsa:
            try self.init(algorithm: .eddsa, material: .ed25519(.fromSeed(privateKeyBytes)))
        case .es256:
            let key = try EVPKey.fromPKCS8(privateKeyBytes)
            guard key.isA("EC"), key.groupName == "prime256v1" else {
                throw CryptoError.invalidKey("ES256 needs a P-256 (prime256v1) EC private key")
            }
            try self.init(algorithm: .es256, material: .evp(key))
        case .rs256:
            let key = try EVPKey.fromPKCS8(privateKeyBytes)
            guard key.isA("RSA") else {
                throw CryptoError.invalidKey("RS256 needs an RSA private key")
            }
            guard key.bits >= Self.minimumRSAModulusBits else {
                throw CryptoError.invalidKey("RS256 needs a modulus of at least \(Self.minimumRSAModulusBits) bits, got \(key.bits)")
            }
            try self.init(algorithm: .rs256, material: .evp(key))
        }
    }

    /// The private key serialised for storage; encrypt it (e.g. with ``SecretBox``) before storing.
    ///
    /// - Returns: EdDSA: the 32-byte seed. ES256 and RS256: unencrypted PKCS#8 DER
    ///   (RFC 5208 `PrivateKeyInfo`). Accepted by ``init(algorithm:privateKeyBytes:)``.
    public func privateKeyBytes() -> [UInt8] {
        switch material {
        case .ed25519(let pair):
            return pair.seed
        case .evp(let key):
            do {
                return try key.pkcs8()
            } catch {
                // Only memory exhaustion can make DER encoding of a valid in-memory key fail.
                preconditionFailure("PKCS#8 encoding of a valid key failed: \(error)")
            }
        }
    }

    /// Signs `message`, normally the JWS Signing Input `ASCII(b64(header) '.' b64(payload))`
    /// (RFC 7515 §5.1).
    ///
    /// - Returns: the JWS Signature: EdDSA 64 bytes; ES256 64 bytes `R || S` (RFC 7518 §3.4,
    ///   converted from OpenSSL's DER); RS256 the modulus length (256 bytes for RSA-2048).
    /// - Throws: ``CryptoError/operationFailed(_:)`` if OpenSSL fails (EdDSA never throws).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch material {
        case .ed25519(let pair):
            return pair.sign(message)
        case .evp(let key):
            let signature = try key.digestSignSHA256(message)
            return algorithm == .es256 ? try ECDSASignature.raw(fromDER: signature) : signature
        }
    }
}
