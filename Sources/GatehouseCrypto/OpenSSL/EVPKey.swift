internal import COpenSSLCrypto

/// Owns one OpenSSL `EVP_PKEY` (public or private) and frees it on deinit.
///
/// `@unchecked Sendable`: the pointer is never mutated after init, and OpenSSL 3 allows one
/// `EVP_PKEY` to be used for signing and verifying from many threads at once (each operation
/// makes its own `EVP_MD_CTX`).
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (one reference).
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Maximum signature size in bytes: the modulus length for RSA, the DER bound for ECDSA.
    var maximumSignatureSize: Int {
        Int(EVP_PKEY_get_size(pointer))
    }

    /// Key size in bits (modulus bits for RSA, 256 for P-256).
    var bits: Int {
        Int(EVP_PKEY_get_bits(pointer))
    }

    /// Whether the key is of OpenSSL key type `name` ("RSA", "EC").
    func isA(_ name: String) -> Bool {
        EVP_PKEY_is_a(pointer, name) == 1
    }

    /// The EC group name, e.g. "prime256v1", or nil for non-EC keys.
    var groupName: String? {
        var buffer = [CChar](repeating: 0, count: 64)
        var length = 0
        let ok = buffer.withUnsafeMutableBufferPointer { buffer in
            EVP_PKEY_get_group_name(pointer, buffer.baseAddress, buffer.count, &length) == 1
        }
        guard ok else { ERR_clear_error(); return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    // MARK: Generation

    /// Generates a P-256 key pair (`EVP_PKEY_CTX_set_group_name(ctx, "P-256")`).
    static func generateP256() throws -> EVPKey {
        try generate(type: "EC") { EVP_PKEY_CTX_set_group_name($0, "P-256") == 1 }
    }

    /// Generates an RSA key pair with public exponent 65537 and a `bits`-bit modulus.
    static func generateRSA(bits: Int32) throws -> EVPKey {
        try generate(type: "RSA") { EVP_PKEY_CTX_set_rsa_keygen_bits($0, bits) == 1 }
    }

    private static func generate(type: String, configure: (OpaquePointer) -> Bool) throws -> EVPKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else {
            throw OpenSSLError.failed("EVP_PKEY_CTX_new_from_name(\(type))")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1, configure(context) else {
            throw OpenSSLError.failed("\(type) key generation setup")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw OpenSSLError.failed("\(type) key generation")
        }
        return EVPKey(taking: key)
    }

    // MARK: PKCS#8

    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo` (RFC 5208 §5) DER encoding.
    ///
    /// - Throws: ``CryptoError/invalidKey(_:)`` if `der` is not exactly one PKCS#8 structure.
    static func fromPKCS8(_ der: [UInt8]) throws -> EVPKey {
        try der.withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress, !buffer.isEmpty else {
                throw CryptoError.invalidKey("empty PKCS#8 private key")
            }
            var cursor: UnsafePointer<UInt8>? = start
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count) else {
                throw OpenSSLError.invalidKey("not a PKCS#8 private key")
            }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard cursor == start + buffer.count else {
                throw CryptoError.invalidKey("trailing bytes after the PKCS#8 private key")
            }
            guard let key = EVP_PKCS82PKEY(info) else {
                throw OpenSSLError.invalidKey("unusable PKCS#8 private key")
            }
            return EVPKey(taking: key)
        }
    }

    /// Serialises the private key as unencrypted PKCS#8 DER (`EVP_PKEY2PKCS8`).
    func pkcs8() throws -> [UInt8] {
        guard let info = EVP_PKEY2PKCS8(pointer) else {
            throw OpenSSLError.failed("EVP_PKEY2PKCS8")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, nil)
        guard length > 0 else { throw OpenSSLError.failed("i2d_PKCS8_PRIV_KEY_INFO") }
        return [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            initialized = Int(max(i2d_PKCS8_PRIV_KEY_INFO(info, &cursor), 0))
        }
    }

    // MARK: Public key import and export

    /// A P-256 public key from its 32-byte x and y coordinates, validated on the curve.
    static func p256PublicKey(x: [UInt8], y: [UInt8]) throws -> EVPKey {
        let point = [0x04] + x + y
        guard let key = copenssl_p256_public_key(point, point.count) else {
            throw OpenSSLError.invalidKey("EC public key is not a valid P-256 point")
        }
        return EVPKey(taking: key)
    }

    /// An RSA public key from big-endian modulus and exponent bytes.
    static func rsaPublicKey(n: [UInt8], e: [UInt8]) throws -> EVPKey {
        guard let key = copenssl_rsa_public_key(n, n.count, e, e.count) else {
            throw OpenSSLError.invalidKey("RSA public key rejected")
        }
        return EVPKey(taking: key)
    }

    /// A big-number parameter ("n", "e", "qx", "qy") as unsigned big-endian bytes, left-padded
    /// with zeros to `paddedTo` bytes when given, minimal otherwise.
    func bigNumberParameter(_ name: String, paddedTo width: Int? = nil) throws -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, name, &number) == 1, let number else {
            throw OpenSSLError.failed("EVP_PKEY_get_bn_param(\(name))")
        }
        defer { BN_free(number) }
        let minimal = (Int(BN_num_bits(number)) + 7) / 8
        let count = width ?? minimal
        guard minimal <= count else { throw CryptoError.operationFailed("\(name) is wider than \(count) bytes") }
        return [UInt8](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
            initialized = Int(max(BN_bn2binpad(number, buffer.baseAddress, Int32(count)), 0))
        }
    }

    // MARK: Signing

    /// Signs `message` with SHA-256 (`EVP_DigestSign`): PKCS#1 v1.5 for RSA (OpenSSL's default
    /// RSA padding), a DER `ECDSA-Sig-Value` for EC.
    func digestSignSHA256(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw OpenSSLError.failed("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, pointer) == 1 else {
            throw OpenSSLError.failed("EVP_DigestSignInit")
        }
        var length = maximumSignatureSize
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw OpenSSLError.failed("EVP_DigestSign")
        }
        signature.removeLast(signature.count - length)
        return signature
    }

    /// Verifies a SHA-256 signature made by ``digestSignSHA256(_:)`` (`EVP_DigestVerify`).
    func digestVerifySHA256(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { ERR_clear_error(); return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, pointer) == 1 else {
            ERR_clear_error()
            return false
        }
        let status = EVP_DigestVerify(context, signature, signature.count, message, message.count)
        if status != 1 { ERR_clear_error() }
        return status == 1
    }
}
