import GatehouseCrypto

/// Random strings for keys and bearer secrets.
public enum RandomText {
    static let base62: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `count` characters drawn uniformly from `[0-9A-Za-z]` (≈5.95 bits each).
    public static func base62(count: Int) -> String {
        String((0..<count).map { _ in base62[Int(SecureRandom.uniform(62))] })
    }

    /// A bearer secret: 32 random bytes (256 bits), base64url without padding (43 characters).
    public static func bearerSecret() -> String { SecureRandom.token(byteCount: 32) }
}

/// Lookup hashes for bearer secrets: codes, refresh tokens, session cookies, secret keys.
///
/// These secrets carry ≥ 256 bits of entropy, so one SHA-256 is a sufficient one-way function:
/// a leaked database yields no usable token (docs/architecture.md H8). Comparisons use `ConstantTime`.
public enum SecretHash {
    /// SHA-256 of the secret's UTF-8 bytes (32 bytes).
    public static func of(_ secret: String) -> [UInt8] { Digest.sha256(secret) }

    /// Whether `secret` hashes to `hash`, compared in constant time.
    public static func matches(_ secret: String, _ hash: [UInt8]) -> Bool {
        ConstantTime.equals(Digest.sha256(secret), hash)
    }
}
