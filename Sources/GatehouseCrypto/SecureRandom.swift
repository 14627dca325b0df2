internal import CSodium

/// Cryptographically secure random values from the operating system CSPRNG (libsodium `randombytes`).
public enum SecureRandom {
    /// Returns `count` random bytes (`randombytes_buf`).
    ///
    /// - Parameter count: number of bytes, ≥ 0.
    /// - Returns: `count` bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes: negative count")
        LibSodium.ensureReady()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress, count > 0 {
                randombytes_buf(base, count)
            }
            initialized = count
        }
    }

    /// Returns a random token: `byteCount` random bytes encoded as base64url without padding
    /// (RFC 4648 §5), e.g. 43 characters for the default 32 bytes (256 bits).
    ///
    /// Suitable for authorization codes, refresh tokens, CSRF and session identifiers.
    /// - Parameter byteCount: entropy in bytes; default 32.
    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(byteCount))
    }

    /// Returns a uniformly distributed random integer in `0..<upperBound` without modulo bias
    /// (`randombytes_uniform`). Returns 0 when `upperBound` < 2.
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        LibSodium.ensureReady()
        return randombytes_uniform(upperBound)
    }
}
