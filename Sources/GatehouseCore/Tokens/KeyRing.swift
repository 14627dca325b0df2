import GatehouseCrypto

/// A tenant's signing keys, decrypted and ready: the keys that sign now, and every published
/// key by `kid` for verification and the JWKS (docs/contract.md A7).
public struct KeyRing: Sendable {
    /// One published key.
    public struct Key: Sendable {
        public let kid: String
        public let algorithm: JWSAlgorithm
        /// Present for keys this instance may sign with (status `active`).
        public let signingKey: SigningKey?
        public let verifier: SignatureVerifier
        /// The public JWK with `kid`, `alg` and `use: sig`.
        public let jwk: JWK

        public init(kid: String, algorithm: JWSAlgorithm, signingKey: SigningKey?, verifier: SignatureVerifier, jwk: JWK) {
            self.kid = kid
            self.algorithm = algorithm
            self.signingKey = signingKey
            self.verifier = verifier
            self.jwk = jwk
        }
    }

    /// The key that signs for each algorithm.
    public let signing: [JWSAlgorithm: Key]
    /// Every published key by `kid`.
    public let published: [String: Key]
    /// The JWKS `keys` array, in a stable order (RFC 7517 §5).
    public let jwks: [JWK]

    public init(keys: [Key]) {
        var signing: [JWSAlgorithm: Key] = [:]
        var published: [String: Key] = [:]
        for key in keys {
            published[key.kid] = key
            if key.signingKey != nil, signing[key.algorithm] == nil { signing[key.algorithm] = key }
        }
        self.signing = signing
        self.published = published
        self.jwks = keys.map(\.jwk)
    }

    /// The signing key for `algorithm`.
    /// - Throws: `server_error` when the tenant has no active key of that algorithm.
    public func signer(for algorithm: JWSAlgorithm) throws(OAuthError) -> Key {
        guard let key = signing[algorithm], key.signingKey != nil else {
            throw .serverError("no active \(algorithm.rawValue) signing key")
        }
        return key
    }
}
