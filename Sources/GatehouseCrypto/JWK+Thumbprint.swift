extension JWK {
    /// The JWK Thumbprint (RFC 7638 §3) using SHA-256, base64url without padding (43 characters).
    ///
    /// The hash input is the JSON object of only the required members for the key type, in
    /// lexicographic order, with no whitespace (RFC 7638 §3.2–3.3):
    /// - OKP: `{"crv":…,"kty":"OKP","x":…}` (RFC 8037 §2)
    /// - EC: `{"crv":…,"kty":"EC","x":…,"y":…}`
    /// - RSA: `{"e":…,"kty":"RSA","n":…}`
    ///
    /// Optional members (`kid`, `alg`, `use`) never affect the result.
    /// - Throws: ``CryptoError/invalidKey(_:)`` if `kty` is not OKP, EC or RSA, or a required member
    ///   is missing.
    public func thumbprint() throws -> String {
        let members: [(name: String, value: String?)]
        switch kty {
        case "OKP": members = [("crv", crv), ("kty", kty), ("x", x)]
        case "EC": members = [("crv", crv), ("kty", kty), ("x", x), ("y", y)]
        case "RSA": members = [("e", e), ("kty", kty), ("n", n)]
        default: throw CryptoError.invalidKey("JWK thumbprint: unsupported kty \"\(kty)\"")
        }
        for member in members where member.value == nil {
            throw CryptoError.invalidKey("JWK thumbprint: \(kty) key lacks required member \"\(member.name)\"")
        }
        return Base64URL.encode(Digest.sha256(JSONText.object(members)))
    }
}
