internal import COpenSSLCrypto

extension Digest {
    /// Byte length of a SHA-1 digest and of an HMAC-SHA-1 tag: 20.
    public static let sha1ByteCount = 20

    /// HMAC-SHA-1 of `message` under `key` (RFC 2104; test vectors RFC 2202 §3) via OpenSSL's
    /// one-shot `HMAC(EVP_sha1(), …)`.
    ///
    /// Only for HOTP/TOTP (RFC 4226 §5.2, RFC 6238 §1.2), whose deployed authenticator apps all
    /// default to SHA-1; HMAC-SHA-1 remains a secure PRF even though SHA-1 collisions are practical.
    /// Use ``hmacSHA256(key:message:)`` for anything new.
    ///
    /// Keys of any length are accepted; keys longer than the 64-byte block are hashed first
    /// (RFC 2104 §2). An empty key or message is valid.
    /// - Returns: the 20-byte tag. Compare tags with `ConstantTime.equals(_:_:)`.
    public static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        precondition(key.count <= Int(Int32.max), "Digest.hmacSHA1: key longer than 2^31 - 1 bytes")
        // OpenSSL wants non-NULL pointers even for zero lengths; an empty array may have none.
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        var length: UInt32 = 0
        let tag = [UInt8](unsafeUninitializedCapacity: sha1ByteCount) { output, initialized in
            let result = keyBytes.withUnsafeBufferPointer { keyBuffer in
                messageBytes.withUnsafeBufferPointer { messageBuffer in
                    HMAC(
                        EVP_sha1(), keyBuffer.baseAddress, Int32(key.count),
                        messageBuffer.baseAddress, message.count, output.baseAddress, &length)
                }
            }
            initialized = result == nil ? 0 : Int(length)
        }
        guard tag.count == sha1ByteCount else {
            // Only memory exhaustion or a provider without SHA-1 can make the one-shot HMAC fail.
            preconditionFailure("HMAC-SHA-1 failed: \(OpenSSLError.drain())")
        }
        return tag
    }
}
