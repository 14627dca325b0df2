internal import CSodium

/// An Ed25519 key pair (RFC 8032 §5.1) held by libsodium.
///
/// The 64-byte libsodium secret key (`seed || public key`) lives in memory this class owns and
/// wipes with `sodium_memzero` on deinit. `@unchecked Sendable`: immutable after init.
final class Ed25519KeyPair: @unchecked Sendable {
    static let seedByteCount = Int(crypto_sign_ed25519_SEEDBYTES)
    static let publicKeyByteCount = Int(crypto_sign_ed25519_PUBLICKEYBYTES)
    static let secretKeyByteCount = Int(crypto_sign_ed25519_SECRETKEYBYTES)
    static let signatureByteCount = Int(crypto_sign_ed25519_BYTES)

    /// The 32-byte public key (the JWK `x`, RFC 8037 §2).
    let publicKey: [UInt8]
    private let secretKey: UnsafeMutablePointer<UInt8>

    private init(publicKey: [UInt8], secretKey: UnsafeMutablePointer<UInt8>) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    deinit {
        sodium_memzero(secretKey, Self.secretKeyByteCount)
        secretKey.deallocate()
    }

    /// A fresh random key pair (`crypto_sign_ed25519_keypair`).
    static func generate() -> Ed25519KeyPair {
        LibSodium.ensureReady()
        let secretKey = UnsafeMutablePointer<UInt8>.allocate(capacity: secretKeyByteCount)
        let publicKey = [UInt8](unsafeUninitializedCapacity: publicKeyByteCount) { buffer, initialized in
            _ = crypto_sign_ed25519_keypair(buffer.baseAddress!, secretKey)
            initialized = publicKeyByteCount
        }
        return Ed25519KeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The key pair for a 32-byte seed, the RFC 8032 private key and the JWK `d` (RFC 8037 §2).
    ///
    /// - Throws: ``CryptoError/invalidKey(_:)`` if `seed` is not 32 bytes.
    static func fromSeed(_ seed: [UInt8]) throws -> Ed25519KeyPair {
        guard seed.count == seedByteCount else {
            throw CryptoError.invalidKey("Ed25519 private key must be a \(seedByteCount)-byte seed, got \(seed.count) bytes")
        }
        LibSodium.ensureReady()
        let secretKey = UnsafeMutablePointer<UInt8>.allocate(capacity: secretKeyByteCount)
        let publicKey = [UInt8](unsafeUninitializedCapacity: publicKeyByteCount) { buffer, initialized in
            _ = crypto_sign_ed25519_seed_keypair(buffer.baseAddress!, secretKey, seed)
            initialized = publicKeyByteCount
        }
        return Ed25519KeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The 32-byte seed (`crypto_sign_ed25519_sk_to_seed`).
    var seed: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.seedByteCount) { buffer, initialized in
            _ = crypto_sign_ed25519_sk_to_seed(buffer.baseAddress!, secretKey)
            initialized = Self.seedByteCount
        }
    }

    /// A deterministic 64-byte signature of `message` (`crypto_sign_ed25519_detached`).
    func sign(_ message: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.signatureByteCount) { buffer, initialized in
            _ = crypto_sign_ed25519_detached(buffer.baseAddress!, nil, message, UInt64(message.count), secretKey)
            initialized = Self.signatureByteCount
        }
    }

    /// Whether `publicKey` is a canonical encoding of a point in the main subgroup that is not of
    /// small order (`crypto_core_ed25519_is_valid_point`).
    static func isValidPublicKey(_ publicKey: [UInt8]) -> Bool {
        guard publicKey.count == publicKeyByteCount else { return false }
        LibSodium.ensureReady()
        return crypto_core_ed25519_is_valid_point(publicKey) == 1
    }

    /// Verifies a 64-byte signature under a 32-byte public key (`crypto_sign_ed25519_verify_detached`).
    static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureByteCount, publicKey.count == publicKeyByteCount else { return false }
        LibSodium.ensureReady()
        return crypto_sign_ed25519_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }
}
