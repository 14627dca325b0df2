internal import COpenSSLCrypto

/// Conversion between OpenSSL's DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3) and the fixed-width
/// `R || S` form JWS uses for ES256 (RFC 7518 §3.4: each integer as 32 unsigned big-endian bytes).
enum ECDSASignature {
    /// Width in bytes of R and of S for P-256.
    static let p256ComponentByteCount = 32

    /// DER `SEQUENCE { r INTEGER, s INTEGER }` → `R || S`, each left-padded to `width` bytes.
    static func raw(fromDER der: [UInt8], width: Int = p256ComponentByteCount) throws -> [UInt8] {
        let signature: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let signature else { throw OpenSSLError.failed("d2i_ECDSA_SIG") }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer?
        var s: OpaquePointer?
        ECDSA_SIG_get0(signature, &r, &s)
        var output = [UInt8](repeating: 0, count: 2 * width)
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            BN_bn2binpad(r, buffer.baseAddress, Int32(width)) == width
                && BN_bn2binpad(s, buffer.baseAddress! + width, Int32(width)) == width
        }
        guard ok else { throw OpenSSLError.failed("ECDSA signature component wider than \(width) bytes") }
        return output
    }

    /// `R || S` (2 × `width` bytes) → DER `ECDSA-Sig-Value`, or nil if the length is wrong.
    static func der(fromRaw raw: [UInt8], width: Int = p256ComponentByteCount) -> [UInt8]? {
        guard raw.count == 2 * width, let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(width), nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + width, Int32(width), nil) }
        guard let r, let s, ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            ERR_clear_error()
            return nil
        }
        let length = i2d_ECDSA_SIG(signature, nil)
        guard length > 0 else { ERR_clear_error(); return nil }
        return [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            initialized = Int(max(i2d_ECDSA_SIG(signature, &cursor), 0))
        }
    }
}
