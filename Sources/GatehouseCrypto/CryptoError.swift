/// An error thrown by GatehouseCrypto.
///
/// The associated reasons are for logs and tests; they never contain key material, passwords or
/// plaintext. Compare by case (`if case .invalidKey = error`) rather than by reason text.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Key material is malformed, has the wrong size or type, or is unsupported
    /// (for example a JWK whose `kty`/`crv` is not one of OKP/Ed25519, EC/P-256 or RSA).
    case invalidKey(String)
    /// An input other than a key is malformed (for example a JWS that is not three base64url parts).
    case invalidInput(String)
    /// The underlying C library reported a failure that is not the caller's fault (for example
    /// memory exhaustion while hashing a password). The reason carries the library's message.
    case operationFailed(String)
    /// Authenticated decryption failed: the sealed box was tampered with or the key is wrong
    /// (``SecretBox/open(_:)``).
    case authenticationFailed

    /// A one-line description for logs, e.g. `invalid key: JWK lacks required member "x"`.
    public var description: String {
        switch self {
        case .invalidKey(let reason): "invalid key: \(reason)"
        case .invalidInput(let reason): "invalid input: \(reason)"
        case .operationFailed(let reason): "operation failed: \(reason)"
        case .authenticationFailed: "authentication failed"
        }
    }
}
