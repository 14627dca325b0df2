internal import CSodium

/// Argon2id password hashing (RFC 9106) via libsodium `crypto_pwhash`, producing and verifying
/// encoded PHC strings: `$argon2id$v=19$m=<KiB>,t=<iterations>,p=1$<salt b64>$<hash b64>`.
///
/// The defaults, 19 MiB and 2 iterations with one lane, are the OWASP Password Storage minimum
/// for Argon2id (about 19 ms per hash on this project's target machine). Hashing and verifying are
/// deliberately slow and memory-hard: call them off latency-sensitive threads.
///
/// Parameter policy: ``init(memoryKiB:iterations:)`` never fails; it clamps to libsodium's limits
/// (at least 8 KiB and 1 iteration). Use ``validated(memoryKiB:iterations:)`` when a configuration
/// value should be rejected instead of silently adjusted. ``memoryKiB`` and ``iterations`` report
/// the effective values.
public struct PasswordHasher: Sendable {
    /// Smallest memory cost libsodium accepts for Argon2id, in KiB (8).
    public static let minimumMemoryKiB = Int(crypto_pwhash_argon2id_memlimit_min()) / 1024
    /// Largest memory cost libsodium accepts for Argon2id on this platform, in KiB.
    public static let maximumMemoryKiB = Int(crypto_pwhash_argon2id_memlimit_max()) / 1024
    /// Smallest iteration count (Argon2 `t`) libsodium accepts for Argon2id (1).
    public static let minimumIterations = Int(crypto_pwhash_argon2id_opslimit_min())
    /// Largest iteration count libsodium accepts for Argon2id (2³² − 1).
    public static let maximumIterations = Int(crypto_pwhash_argon2id_opslimit_max())

    /// Effective Argon2 memory cost `m`, in KiB (1 KiB = 1024 bytes).
    public let memoryKiB: Int
    /// Effective Argon2 iteration count `t`.
    public let iterations: Int

    /// Creates a hasher, clamping the parameters into libsodium's accepted ranges.
    ///
    /// - Parameters:
    ///   - memoryKiB: memory cost in KiB; default 19 × 1024 (19 MiB). Clamped to
    ///     ``minimumMemoryKiB``…``maximumMemoryKiB``.
    ///   - iterations: time cost; default 2. Clamped to ``minimumIterations``…``maximumIterations``.
    public init(memoryKiB: Int = 19 * 1024, iterations: Int = 2) {
        self.memoryKiB = min(max(memoryKiB, Self.minimumMemoryKiB), Self.maximumMemoryKiB)
        self.iterations = min(max(iterations, Self.minimumIterations), Self.maximumIterations)
    }

    /// Creates a hasher only if both parameters are within libsodium's accepted ranges.
    ///
    /// - Throws: ``CryptoError/invalidInput(_:)`` naming the out-of-range parameter.
    public static func validated(memoryKiB: Int, iterations: Int) throws -> PasswordHasher {
        guard (minimumMemoryKiB...maximumMemoryKiB).contains(memoryKiB) else {
            throw CryptoError.invalidInput("Argon2id memoryKiB must be in \(minimumMemoryKiB)...\(maximumMemoryKiB), got \(memoryKiB)")
        }
        guard (minimumIterations...maximumIterations).contains(iterations) else {
            throw CryptoError.invalidInput("Argon2id iterations must be in \(minimumIterations)...\(maximumIterations), got \(iterations)")
        }
        return PasswordHasher(memoryKiB: memoryKiB, iterations: iterations)
    }

    /// Hashes `password` (its UTF-8 bytes, no normalisation) with a fresh random 16-byte salt.
    ///
    /// - Returns: the encoded PHC string (ASCII, < 128 characters), e.g.
    ///   `$argon2id$v=19$m=19456,t=2,p=1$…$…`.
    /// - Throws: ``CryptoError/operationFailed(_:)`` if libsodium cannot allocate the memory cost.
    public func hash(_ password: String) throws -> String {
        LibSodium.ensureReady()
        var output = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        // withCString exposes the full UTF-8 contents (embedded NULs included); the length is explicit.
        let status = password.withCString { pw in
            crypto_pwhash_str_alg(
                &output, pw, UInt64(password.utf8.count),
                UInt64(iterations), memoryKiB * 1024, crypto_pwhash_alg_argon2id13())
        }
        guard status == 0 else {
            throw CryptoError.operationFailed("crypto_pwhash_str_alg failed (out of memory?)")
        }
        return output.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Checks `password` against an encoded Argon2id string (`crypto_pwhash_str_verify`).
    ///
    /// The cost parameters are read from `encoded`, so hashes made with other parameters still
    /// verify (see ``needsRehash(_:)``). Runs in time independent of where the hashes differ.
    /// - Returns: `true` only if `encoded` is a well-formed `$argon2id$` string and the password
    ///   matches; `false` for a wrong password or a malformed, truncated or non-Argon2id string.
    public func verify(_ password: String, encoded: String) -> Bool {
        guard Self.isPlausibleEncoding(encoded) else { return false }
        LibSodium.ensureReady()
        return encoded.withCString { encodedPointer in
            password.withCString { pw in
                crypto_pwhash_str_verify(encodedPointer, pw, UInt64(password.utf8.count)) == 0
            }
        }
    }

    /// Whether `encoded` should be replaced by a fresh ``hash(_:)`` after the next successful
    /// ``verify(_:encoded:)`` (`crypto_pwhash_argon2id_str_needs_rehash`).
    ///
    /// - Returns: `true` if `encoded` was made with a different memory cost or iteration count than
    ///   this hasher, or is not a well-formed Argon2id string; `false` if it matches exactly.
    public func needsRehash(_ encoded: String) -> Bool {
        guard Self.isPlausibleEncoding(encoded) else { return true }
        LibSodium.ensureReady()
        return encoded.withCString { encodedPointer in
            crypto_pwhash_argon2id_str_needs_rehash(encodedPointer, UInt64(iterations), memoryKiB * 1024) != 0
        }
    }

    /// Salt length for ``deriveKey(from:salt:byteCount:)``: 16 bytes.
    public static let saltByteCount = Int(crypto_pwhash_SALTBYTES)

    /// Derives `byteCount` key bytes from a passphrase with raw Argon2id (`crypto_pwhash`,
    /// RFC 9106) under this hasher's memory cost and iterations, e.g. to encrypt a file under a
    /// passphrase.
    ///
    /// - Parameters:
    ///   - passphrase: its UTF-8 bytes, no normalisation.
    ///   - salt: exactly ``saltByteCount`` (16) random bytes, stored beside what the key protects.
    ///   - byteCount: 16…1024 bytes of output.
    /// - Throws: ``CryptoError/invalidInput(_:)`` for a wrong salt length or output size;
    ///   ``CryptoError/operationFailed(_:)`` if libsodium cannot allocate the memory cost.
    public func deriveKey(from passphrase: String, salt: [UInt8], byteCount: Int) throws -> [UInt8] {
        guard salt.count == Self.saltByteCount else { throw CryptoError.invalidInput("salt must be \(Self.saltByteCount) bytes") }
        guard (16...1024).contains(byteCount) else { throw CryptoError.invalidInput("key length must be 16…1024 bytes") }
        LibSodium.ensureReady()
        var key = [UInt8](repeating: 0, count: byteCount)
        let status = passphrase.withCString { pw in
            crypto_pwhash(
                &key, UInt64(byteCount), pw, UInt64(passphrase.utf8.count), salt,
                UInt64(iterations), memoryKiB * 1024, crypto_pwhash_alg_argon2id13())
        }
        guard status == 0 else { throw CryptoError.operationFailed("crypto_pwhash failed (out of memory?)") }
        return key
    }

    /// Cheap pre-checks before handing a C string to libsodium: the `$argon2id$` prefix, no NUL
    /// bytes, and shorter than `crypto_pwhash_STRBYTES` (libsodium's own output bound).
    private static func isPlausibleEncoding(_ encoded: String) -> Bool {
        let utf8 = encoded.utf8
        return utf8.count < Int(crypto_pwhash_STRBYTES)
            && encoded.hasPrefix("$argon2id$")
            && !utf8.contains(0)
    }
}
