/// Verifies JWS signatures with one public key, parsed once from a JWK.
///
/// The native public key is built in ``init(jwk:)`` and cached, so ``verify(signature:message:)``
/// does no parsing. Immutable and safe to share between tasks and threads.
public final class SignatureVerifier: @unchecked Sendable {
    /// The single algorithm this verifier accepts, implied by the key type (RFC 7518 §3.1).
    public let algorithm: JWSAlgorithm
    /// The JWK this verifier was made from, as given (including `kid`, if any).
    public let jwk: JWK

    private enum Material {
        case ed25519(publicKey: [UInt8])
        case evp(EVPKey, signatureByteCount: Int)
    }

    private let material: Material

    /// Largest RSA modulus accepted, in bits (OpenSSL's own limit; bounds verification cost).
    public static let maximumRSAModulusBits = 16384

    /// Builds a verifier from a public JWK.
    ///
    /// Accepted keys and the algorithm each implies:
    /// - `kty` `"OKP"`, `crv` `"Ed25519"`, `x` of 32 bytes, a canonical point not of small order
    ///   → EdDSA (RFC 8037 §2).
    /// - `kty` `"EC"`, `crv` `"P-256"`, `x` and `y` of 32 bytes each, a point on the curve → ES256
    ///   (RFC 7518 §6.2.1).
    /// - `kty` `"RSA"`, `n` of 2048…16384 bits, odd `e` > 1 → RS256 (RFC 7518 §6.3.1, §3.3).
    ///
    /// All members are strict base64url without padding. Private members are never needed.
    /// - Throws: ``CryptoError/invalidKey(_:)`` if the key type or curve is unsupported, a member is
    ///   missing or malformed, the Ed25519 or EC point is invalid, the RSA modulus is too small or large, `alg`
    ///   is present and differs from the implied algorithm, or `use` is present and not `"sig"`
    ///   (RFC 7517 §4.2).
    public init(jwk: JWK) throws {
        if let use = jwk.use, use != "sig" {
            throw CryptoError.invalidKey("JWK use \"\(use)\" is not \"sig\"")
        }
        switch (jwk.kty, jwk.crv) {
        case ("OKP", "Ed25519"):
            let x = try Self.member("x", jwk.x, byteCount: Ed25519KeyPair.publicKeyByteCount)
            guard Ed25519KeyPair.isValidPublicKey(x) else {
                throw CryptoError.invalidKey("OKP x is not a valid Ed25519 public key (non-canonical or small order)")
            }
            algorithm = .eddsa
            material = .ed25519(publicKey: x)
        case ("EC", "P-256"):
            let x = try Self.member("x", jwk.x, byteCount: 32)
            let y = try Self.member("y", jwk.y, byteCount: 32)
            algorithm = .es256
            material = .evp(try EVPKey.p256PublicKey(x: x, y: y), signatureByteCount: 64)
        case ("RSA", _):
            let n = Self.strippingLeadingZeros(try Self.member("n", jwk.n))
            let e = Self.strippingLeadingZeros(try Self.member("e", jwk.e))
            guard let lastByte = e.last, lastByte & 1 == 1, e != [1] else {
                throw CryptoError.invalidKey("RSA public exponent must be odd and greater than 1")
            }
            let bits = n.isEmpty ? 0 : n.count * 8 - n[0].leadingZeroBitCount
            guard bits >= SigningKey.minimumRSAModulusBits, bits <= Self.maximumRSAModulusBits else {
                throw CryptoError.invalidKey("RSA modulus must be \(SigningKey.minimumRSAModulusBits)...\(Self.maximumRSAModulusBits) bits, got \(bits)")
            }
            let key = try EVPKey.rsaPublicKey(n: n, e: e)
            algorithm = .rs256
            material = .evp(key, signatureByteCount: key.maximumSignatureSize)
        case (let kty, let crv):
            throw CryptoError.invalidKey("unsupported JWK kty \"\(kty)\" crv \"\(crv ?? "")\"")
        }
        if let alg = jwk.alg, alg != algorithm.rawValue {
            throw CryptoError.invalidKey("JWK alg \"\(alg)\" does not match its key type (\(algorithm.rawValue))")
        }
        self.jwk = jwk
    }

    /// Verifies `signature` over `message` (normally the JWS Signing Input, RFC 7515 §5.2 step 8).
    ///
    /// - Parameters:
    ///   - signature: EdDSA: 64 bytes. ES256: exactly 64 bytes `R || S` (RFC 7518 §3.4); DER
    ///     signatures are rejected. RS256: exactly the modulus length.
    ///   - message: the signed bytes.
    /// - Returns: `true` only if the signature is valid for this key; `false` for any malformed or
    ///   wrong-length signature. Never throws.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        switch material {
        case .ed25519(let publicKey):
            return Ed25519KeyPair.verify(signature: signature, message: message, publicKey: publicKey)
        case .evp(let key, let signatureByteCount):
            guard signature.count == signatureByteCount else { return false }
            if algorithm == .es256 {
                guard let der = ECDSASignature.der(fromRaw: signature) else { return false }
                return key.digestVerifySHA256(signature: der, message: message)
            }
            return key.digestVerifySHA256(signature: signature, message: message)
        }
    }

    /// Decodes a required base64url member, optionally of an exact length.
    private static func member(_ name: String, _ value: String?, byteCount: Int? = nil) throws -> [UInt8] {
        guard let value else { throw CryptoError.invalidKey("JWK lacks required member \"\(name)\"") }
        guard let bytes = Base64URL.decode(value) else {
            throw CryptoError.invalidKey("JWK member \"\(name)\" is not base64url without padding")
        }
        if let byteCount, bytes.count != byteCount {
            throw CryptoError.invalidKey("JWK member \"\(name)\" must be \(byteCount) bytes, got \(bytes.count)")
        }
        return bytes
    }

    private static func strippingLeadingZeros(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.drop { $0 == 0 })
    }
}
