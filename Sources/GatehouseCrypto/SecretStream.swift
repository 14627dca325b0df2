internal import CSodium

/// Authenticated encryption of a long message in chunks with XChaCha20-Poly1305 (libsodium
/// `crypto_secretstream_xchacha20poly1305`), for files such as a tenant archive: reordering,
/// dropping or truncating chunks is detected, and the last chunk carries the `FINAL` tag.
///
/// Sealed format: a 24-byte stream header (``seal(_:key:additionalData:)`` returns it apart, the
/// caller stores it) and the ciphertext: one `chunkByteCount`-byte plaintext chunk after another,
/// each grown by 17 bytes (``chunkOverheadByteCount``); the last chunk may be shorter (or empty).
/// `additionalData` is authenticated with the first chunk.
public enum SecretStream {
    /// Key length in bytes: 32.
    public static let keyByteCount = Int(crypto_secretstream_xchacha20poly1305_KEYBYTES)
    /// Stream header length in bytes: 24.
    public static let headerByteCount = Int(crypto_secretstream_xchacha20poly1305_HEADERBYTES)
    /// Bytes added to every chunk: 17 (one tag byte and a 16-byte MAC).
    public static let chunkOverheadByteCount = Int(crypto_secretstream_xchacha20poly1305_ABYTES)
    /// Plaintext bytes per chunk: 65,536.
    public static let chunkByteCount = 65536

    /// Encrypts `plaintext` under `key` (32 bytes).
    /// - Returns: the stream header (24 bytes) and the ciphertext
    ///   (`plaintext.count + 17 × (plaintext.count / 65536 + 1)` bytes).
    /// - Throws: ``CryptoError/invalidKey(_:)`` if `key` is not 32 bytes.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], additionalData: [UInt8]) throws -> (header: [UInt8], ciphertext: [UInt8]) {
        guard key.count == keyByteCount else { throw CryptoError.invalidKey("SecretStream key must be \(keyByteCount) bytes") }
        LibSodium.ensureReady()
        var state = crypto_secretstream_xchacha20poly1305_state()
        var header = [UInt8](repeating: 0, count: headerByteCount)
        guard crypto_secretstream_xchacha20poly1305_init_push(&state, &header, key) == 0 else {
            throw CryptoError.operationFailed("crypto_secretstream_xchacha20poly1305_init_push failed")
        }
        let chunks = plaintext.count / chunkByteCount + 1
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + chunks * chunkOverheadByteCount)
        var written = 0
        for index in 0..<chunks {
            let start = index * chunkByteCount
            let end = min(start + chunkByteCount, plaintext.count)
            let final = index == chunks - 1
            let ad = index == 0 ? additionalData : []
            let tag = UInt8(final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
            var produced: UInt64 = 0
            let rc = plaintext.withUnsafeBufferPointer { input in
                ciphertext.withUnsafeMutableBufferPointer { output in
                    crypto_secretstream_xchacha20poly1305_push(
                        &state, output.baseAddress! + written, &produced, input.baseAddress.map { $0 + start },
                        UInt64(end - start), ad.isEmpty ? nil : ad, UInt64(ad.count), tag)
                }
            }
            guard rc == 0 else { throw CryptoError.operationFailed("crypto_secretstream_xchacha20poly1305_push failed") }
            written += Int(produced)
        }
        return (header, ciphertext)
    }

    /// Verifies and decrypts a stream made by ``seal(_:key:additionalData:)``.
    /// - Throws: ``CryptoError/invalidKey(_:)`` for a key that is not 32 bytes;
    ///   ``CryptoError/authenticationFailed`` if the key, header or additional data is wrong, any
    ///   byte was altered, or the stream is truncated or extended past its `FINAL` chunk.
    public static func open(header: [UInt8], ciphertext: [UInt8], key: [UInt8], additionalData: [UInt8]) throws -> [UInt8] {
        guard key.count == keyByteCount else { throw CryptoError.invalidKey("SecretStream key must be \(keyByteCount) bytes") }
        guard header.count == headerByteCount else { throw CryptoError.authenticationFailed }
        LibSodium.ensureReady()
        var state = crypto_secretstream_xchacha20poly1305_state()
        guard crypto_secretstream_xchacha20poly1305_init_pull(&state, header, key) == 0 else { throw CryptoError.authenticationFailed }
        let sealedChunk = chunkByteCount + chunkOverheadByteCount
        var plaintext = [UInt8](repeating: 0, count: max(ciphertext.count, 1))
        var read = 0
        var written = 0
        var sawFinal = false
        var index = 0
        while read < ciphertext.count {
            guard !sawFinal else { throw CryptoError.authenticationFailed }
            let length = min(sealedChunk, ciphertext.count - read)
            guard length >= chunkOverheadByteCount else { throw CryptoError.authenticationFailed }
            let ad = index == 0 ? additionalData : []
            var produced: UInt64 = 0
            var tag: UInt8 = 0
            let rc = ciphertext.withUnsafeBufferPointer { input in
                plaintext.withUnsafeMutableBufferPointer { output in
                    crypto_secretstream_xchacha20poly1305_pull(
                        &state, output.baseAddress! + written, &produced, &tag, input.baseAddress! + read, UInt64(length),
                        ad.isEmpty ? nil : ad, UInt64(ad.count))
                }
            }
            guard rc == 0 else { throw CryptoError.authenticationFailed }
            sawFinal = tag == UInt8(crypto_secretstream_xchacha20poly1305_TAG_FINAL)
            read += length
            written += Int(produced)
            index += 1
        }
        guard sawFinal else { throw CryptoError.authenticationFailed }
        plaintext.removeSubrange(written...)
        return plaintext
    }
}
