internal import CSodium

/// Authenticated symmetric encryption with XSalsa20-Poly1305 (libsodium `crypto_secretbox`), for
/// secrets and private keys at rest.
///
/// Sealed format: `nonce (24 bytes) || ciphertext (plaintext count) || Poly1305 tag (16 bytes)`,
/// i.e. `count + 40` bytes. The nonce is random per seal; at 192 bits, random nonces are safe for
/// any realistic number of messages under one key. There is no associated data: bind context by
/// using a key per purpose.
public struct SecretBox: Sendable {
    /// Key length in bytes: 32.
    public static let keyByteCount = Int(crypto_secretbox_KEYBYTES)
    /// Nonce length in bytes: 24 (prefixed to every sealed box).
    public static let nonceByteCount = Int(crypto_secretbox_NONCEBYTES)
    /// Authentication tag length in bytes: 16.
    public static let tagByteCount = Int(crypto_secretbox_MACBYTES)
    /// Bytes added by ``seal(_:)``: nonce + tag = 40.
    public static let overheadByteCount = nonceByteCount + tagByteCount

    private let key: [UInt8]

    /// Creates a box for a 32-byte key.
    ///
    /// - Parameter key: exactly ``keyByteCount`` (32) uniformly random bytes, e.g. from
    ///   ``generateKey()``. Not a password: derive keys from passwords with a KDF first.
    /// - Throws: ``CryptoError/invalidKey(_:)`` if `key` is not 32 bytes.
    public init(key: [UInt8]) throws {
        guard key.count == Self.keyByteCount else {
            throw CryptoError.invalidKey("SecretBox key must be \(Self.keyByteCount) bytes, got \(key.count)")
        }
        self.key = key
    }

    /// Returns a fresh random 32-byte key (`crypto_secretbox_keygen`).
    public static func generateKey() -> [UInt8] {
        LibSodium.ensureReady()
        return [UInt8](unsafeUninitializedCapacity: keyByteCount) { buffer, initialized in
            crypto_secretbox_keygen(buffer.baseAddress!)
            initialized = keyByteCount
        }
    }

    /// Encrypts and authenticates `plaintext` under a random nonce (`crypto_secretbox_easy`).
    ///
    /// - Returns: `nonce (24) || ciphertext || tag (16)`, `plaintext.count + 40` bytes.
    public func seal(_ plaintext: [UInt8]) -> [UInt8] {
        LibSodium.ensureReady()
        let total = plaintext.count + Self.overheadByteCount
        return [UInt8](unsafeUninitializedCapacity: total) { output, initialized in
            let base = output.baseAddress!
            randombytes_buf(base, Self.nonceByteCount)
            _ = crypto_secretbox_easy(
                base + Self.nonceByteCount, plaintext, UInt64(plaintext.count), base, key)
            initialized = total
        }
    }

    /// Verifies and decrypts a box made by ``seal(_:)`` (`crypto_secretbox_open_easy`).
    ///
    /// - Parameter sealed: `nonce (24) || ciphertext || tag (16)`, at least 40 bytes.
    /// - Returns: the plaintext, `sealed.count − 40` bytes.
    /// - Throws: ``CryptoError/invalidInput(_:)`` if `sealed` is shorter than 40 bytes;
    ///   ``CryptoError/authenticationFailed`` if any byte was altered or the key is wrong.
    public func open(_ sealed: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= Self.overheadByteCount else {
            throw CryptoError.invalidInput("sealed box must be at least \(Self.overheadByteCount) bytes, got \(sealed.count)")
        }
        LibSodium.ensureReady()
        let plaintextCount = sealed.count - Self.overheadByteCount
        var authentic = false
        let plaintext = [UInt8](unsafeUninitializedCapacity: max(plaintextCount, 1)) { output, initialized in
            sealed.withUnsafeBufferPointer { input in
                let base = input.baseAddress!
                authentic =
                    crypto_secretbox_open_easy(
                        output.baseAddress!, base + Self.nonceByteCount,
                        UInt64(sealed.count - Self.nonceByteCount), base, key) == 0
            }
            initialized = authentic ? plaintextCount : 0
        }
        guard authentic else { throw CryptoError.authenticationFailed }
        return plaintext
    }
}
