internal import CSodium

/// SHA-256, SHA-512 and HMAC-SHA-256 (FIPS 180-4, RFC 2104 / RFC 4231) via libsodium; HMAC-SHA-1
/// for HOTP/TOTP (RFC 2202) via OpenSSL in `Digest+HMACSHA1.swift`.
public enum Digest {
    /// Byte length of a SHA-256 digest and of an HMAC-SHA-256 tag: 32.
    public static let sha256ByteCount = 32

    /// SHA-256 of `bytes` (`crypto_hash_sha256`).
    ///
    /// Used for PKCE S256 (RFC 7636 §4.2), JWK thumbprints (RFC 7638), `at_hash`/`c_hash`
    /// (OIDC Core §3.1.3.6) and lookup hashes of bearer secrets.
    /// - Returns: 32 bytes.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        LibSodium.ensureReady()
        return [UInt8](unsafeUninitializedCapacity: sha256ByteCount) { output, initialized in
            _ = crypto_hash_sha256(output.baseAddress!, bytes, UInt64(bytes.count))
            initialized = sha256ByteCount
        }
    }

    /// SHA-256 of the UTF-8 bytes of `string`. - Returns: 32 bytes.
    public static func sha256(_ string: String) -> [UInt8] {
        sha256(Array(string.utf8))
    }

    /// Byte length of a SHA-512 digest: 64.
    public static let sha512ByteCount = 64

    /// SHA-512 of `bytes` (`crypto_hash_sha512`).
    ///
    /// Used for `at_hash` of ID tokens signed with EdDSA over Ed25519, whose hash is SHA-512
    /// (OIDC Core §3.1.3.6: "the hash algorithm used for the alg Header Parameter").
    /// - Returns: 64 bytes.
    public static func sha512(_ bytes: [UInt8]) -> [UInt8] {
        LibSodium.ensureReady()
        return [UInt8](unsafeUninitializedCapacity: sha512ByteCount) { output, initialized in
            _ = crypto_hash_sha512(output.baseAddress!, bytes, UInt64(bytes.count))
            initialized = sha512ByteCount
        }
    }

    /// HMAC-SHA-256 of `message` under `key` (RFC 2104; test vectors RFC 4231).
    ///
    /// Keys of any length are accepted; keys longer than the 64-byte block are hashed first, as
    /// RFC 2104 §2 specifies (`crypto_auth_hmacsha256_init` with an explicit key length).
    /// - Returns: the 32-byte tag. Compare tags with `ConstantTime.equals(_:_:)`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        LibSodium.ensureReady()
        var state = crypto_auth_hmacsha256_state()
        defer { sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size) }
        return [UInt8](unsafeUninitializedCapacity: sha256ByteCount) { output, initialized in
            _ = crypto_auth_hmacsha256_init(&state, key, key.count)
            _ = crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
            _ = crypto_auth_hmacsha256_final(&state, output.baseAddress!)
            initialized = sha256ByteCount
        }
    }
}
