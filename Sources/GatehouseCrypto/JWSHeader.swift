/// The JOSE header of a JWS (RFC 7515 §4.1) with the parameters Gatehouse uses.
///
/// When signing, it is serialised deterministically as `{"alg":…,"kid":…,"typ":…}` in that order,
/// without whitespace and omitting `nil` members.
public struct JWSHeader: Codable, Sendable, Equatable {
    /// Algorithm (RFC 7515 §4.1.1), e.g. `"EdDSA"`, `"ES256"`, `"RS256"`.
    public var alg: String
    /// Key ID (RFC 7515 §4.1.4), matched against `kid` in the signer's JWKS.
    public var kid: String?
    /// Media type of the complete JWS (RFC 7515 §4.1.9), e.g. `"JWT"` or `"at+jwt"` (RFC 9068 §2.1).
    public var typ: String?

    /// Creates a header; see the properties for the members.
    public init(alg: String, kid: String? = nil, typ: String? = nil) {
        self.alg = alg
        self.kid = kid
        self.typ = typ
    }

    /// The deterministic UTF-8 JSON used as the JWS Protected Header when signing.
    var compactJSON: [UInt8] {
        JSONText.object([("alg", alg), ("kid", kid), ("typ", typ)])
    }
}
