/// A public JSON Web Key (RFC 7517 §4; key types RFC 7518 §6.2.1 EC, §6.3.1 RSA, RFC 8037 §2 OKP).
///
/// Only public members exist on this type, so a private key can never be serialised through it:
/// decoding a private JWK silently drops `d`, `p`, `q`, `dp`, `dq`, `qi` and `k`. Members that are
/// `nil` are omitted when encoding. Key coordinates and RSA numbers are base64url without padding.
public struct JWK: Codable, Sendable, Equatable {
    /// Key type (RFC 7517 §4.1): `"OKP"`, `"EC"` or `"RSA"` for the keys this module supports.
    public var kty: String
    /// Curve (RFC 7518 §6.2.1.1, RFC 8037 §2): `"Ed25519"` for OKP, `"P-256"` for EC.
    public var crv: String?
    /// OKP public key (32 bytes for Ed25519) or EC x coordinate (32 bytes for P-256), base64url.
    public var x: String?
    /// EC y coordinate (32 bytes for P-256), base64url.
    public var y: String?
    /// RSA modulus, unsigned big-endian without leading zero bytes, base64url (RFC 7518 §6.3.1.1).
    public var n: String?
    /// RSA public exponent, unsigned big-endian, base64url (`"AQAB"` = 65537) (RFC 7518 §6.3.1.2).
    public var e: String?
    /// Key ID (RFC 7517 §4.5).
    public var kid: String?
    /// Intended algorithm (RFC 7517 §4.4), e.g. `"EdDSA"`, `"ES256"`, `"RS256"`.
    public var alg: String?
    /// Public key use (RFC 7517 §4.2): `"sig"` or `"enc"`.
    public var use: String?

    /// Creates a JWK from its members; see the properties for their formats.
    public init(
        kty: String, crv: String? = nil, x: String? = nil, y: String? = nil,
        n: String? = nil, e: String? = nil, kid: String? = nil, alg: String? = nil, use: String? = nil
    ) {
        self.kty = kty
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
        self.kid = kid
        self.alg = alg
        self.use = use
    }
}
