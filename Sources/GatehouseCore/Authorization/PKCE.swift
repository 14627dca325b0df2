import GatehouseCrypto

/// Proof Key for Code Exchange (RFC 7636).
public enum PKCE {
    /// RFC 7636 §4.1/§4.2: `code_verifier` and S256 `code_challenge` use the unreserved characters
    /// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"` with a length of 43 to 128.
    public static func isWellFormed(_ value: String) -> Bool {
        (43...128).contains(value.utf8.count)
            && value.utf8.allSatisfy {
                ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39)
                    || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || $0 == 0x7E
            }
    }

    /// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
    public static func s256Challenge(for verifier: String) -> String {
        Base64URL.encode(Digest.sha256(verifier))
    }

    /// RFC 7636 §4.6: the server recomputes the challenge from the verifier and compares (in constant time).
    public static func verify(verifier: String, challenge: String) -> Bool {
        guard isWellFormed(verifier) else { return false }
        return ConstantTime.equals(s256Challenge(for: verifier), challenge)
    }
}
