/// A JWS split and decoded by ``JWS/parse(_:)``, not yet verified.
public struct ParsedJWS: Sendable {
    /// The decoded JOSE header.
    public let header: JWSHeader
    /// The decoded payload bytes. Untrusted until ``verify(with:)`` returns `true`.
    public let payload: [UInt8]
    /// The JWS Signing Input: the ASCII bytes `b64(header).b64(payload)` exactly as received
    /// (RFC 7515 §5.2 step 8).
    public let signingInput: [UInt8]
    /// The decoded signature bytes (empty for an unsecured `alg: none` JWS).
    public let signature: [UInt8]

    /// Verifies the signature with `verifier`.
    ///
    /// The header's `alg` must be exactly the verifier's algorithm, so a token can never choose a
    /// weaker algorithm or reinterpret a key (RFC 8725 §3.1); `"none"` is never accepted
    /// (RFC 7518 §3.6 is unsupported by design).
    /// - Returns: `true` if `header.alg == verifier.algorithm.rawValue` and the signature is valid
    ///   over ``signingInput``.
    public func verify(with verifier: SignatureVerifier) -> Bool {
        guard header.alg != "none", header.alg == verifier.algorithm.rawValue else { return false }
        return verifier.verify(signature: signature, message: signingInput)
    }
}
