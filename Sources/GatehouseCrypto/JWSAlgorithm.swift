/// The JWS signature algorithms Gatehouse signs and verifies with (RFC 7518 §3.1, RFC 8037 §3.1).
///
/// The raw values are the registered `alg` header parameter values. There is deliberately no
/// `none` and no HMAC algorithm.
public enum JWSAlgorithm: String, Sendable, Codable, CaseIterable {
    /// EdDSA with Ed25519 (RFC 8037 §3.1): 32-byte keys, 64-byte signatures.
    case eddsa = "EdDSA"
    /// ECDSA using P-256 and SHA-256 (RFC 7518 §3.4): 64-byte `R || S` signatures.
    case es256 = "ES256"
    /// RSASSA-PKCS1-v1_5 using SHA-256 (RFC 7518 §3.3): signatures as long as the modulus.
    case rs256 = "RS256"
}
