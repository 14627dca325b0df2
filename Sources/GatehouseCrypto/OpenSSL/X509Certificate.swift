internal import COpenSSLCrypto
internal import Foundation

/// One X.509 certificate (RFC 5280) parsed by OpenSSL: what WebAuthn `packed` attestation needs
/// of an attestation certificate (W3C WebAuthn §8.2.1) and of the trust anchors it chains to.
///
/// `@unchecked Sendable`: the `X509` is never mutated after parsing; OpenSSL 3 allows concurrent
/// reads and chain verification of one certificate from many threads.
public final class X509Certificate: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The DER encoding, exactly as given.
    public let der: [UInt8]

    /// Largest certificate accepted, in bytes.
    public static let maximumSize = 16 * 1024

    /// Parses one DER certificate; the whole input must be that certificate.
    /// - Throws: ``CryptoError/invalidInput(_:)`` when it is not exactly one certificate of at most
    ///   ``maximumSize`` bytes.
    public init(der: [UInt8]) throws {
        guard !der.isEmpty, der.count <= Self.maximumSize else { throw CryptoError.invalidInput("certificate size \(der.count) bytes") }
        var consumed = 0
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let certificate = d2i_X509(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
            return certificate
        }
        guard let parsed else { throw CryptoError.invalidInput("not a DER certificate: \(OpenSSLError.drain())") }
        guard consumed == der.count else {
            X509_free(parsed)
            throw CryptoError.invalidInput("trailing bytes after the certificate")
        }
        self.pointer = parsed
        self.der = der
    }

    deinit { X509_free(pointer) }

    /// Parses text holding exactly one PEM `CERTIFICATE` block (RFC 7468 §5), optionally
    /// surrounded by whitespace.
    /// - Throws: ``CryptoError/invalidInput(_:)`` for anything else.
    public convenience init(pem: String) throws {
        let text = pem.trimmingCharacters(in: .whitespacesAndNewlines)
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        guard text.hasPrefix(begin), text.hasSuffix(end), text.utf8.count <= Self.maximumSize * 2 else {
            throw CryptoError.invalidInput("not one PEM CERTIFICATE block")
        }
        let body = text.dropFirst(begin.count).dropLast(end.count).filter { !$0.isWhitespace }
        guard !body.contains("-"), let der = Data(base64Encoded: String(body)).map(Array.init) else {
            throw CryptoError.invalidInput("the PEM block is not one base64 certificate")
        }
        try self.init(der: der)
    }

    /// The X.509 version, 1-based (3 for v3).
    public var version: Int { Int(X509_get_version(pointer)) + 1 }

    /// Whether the basic constraints extension says `cA: TRUE` (RFC 5280 §4.2.1.9).
    public var isCertificateAuthority: Bool { X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0 }

    /// The values of a subject attribute as UTF-8 text, in order.
    func subjectValues(_ nid: Int32) -> [String] {
        guard let name = X509_get_subject_name(pointer) else { return [] }
        var values: [String] = []
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, nid, index)
            guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { break }
            var out: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&out, data)
            if length >= 0, let out {
                values.append(String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self))
                copenssl_free(out)
            } else {
                // Kept as a value that matches nothing, so that an undecodable entry still counts.
                values.append("\u{FFFD}")
                ERR_clear_error()
            }
        }
        return values
    }

    /// Subject country (C), organization (O), organizational unit (OU) and common name (CN).
    public var subjectCountry: [String] { subjectValues(NID_countryName) }
    public var subjectOrganization: [String] { subjectValues(NID_organizationName) }
    public var subjectOrganizationalUnit: [String] { subjectValues(NID_organizationalUnitName) }
    public var subjectCommonName: [String] { subjectValues(NID_commonName) }

    /// The extension with object identifier `oid` (dotted decimal): whether it is critical and its
    /// `extnValue` contents (the DER of the extension's own value); nil when absent.
    public func extensionValue(oid: String) -> (critical: Bool, value: [UInt8])? {
        guard let object = OBJ_txt2obj(oid, 1) else {
            ERR_clear_error()
            return nil
        }
        defer { ASN1_OBJECT_free(object) }
        let index = X509_get_ext_by_OBJ(pointer, object, -1)
        guard index >= 0, let ext = X509_get_ext(pointer, index), let data = X509_EXTENSION_get_data(ext) else { return nil }
        let length = Int(ASN1_STRING_length(data))
        guard length >= 0, let bytes = ASN1_STRING_get0_data(data) else { return nil }
        return (X509_EXTENSION_get_critical(ext) != 0, Array(UnsafeBufferPointer(start: bytes, count: length)))
    }

    /// The subject public key.
    func publicKey() throws -> EVPKey {
        guard let key = X509_get_pubkey(pointer) else { throw OpenSSLError.invalidKey("certificate public key") }
        return EVPKey(taking: key)
    }

    /// Checks that this certificate chains to one of `roots` through some of `intermediates`, at
    /// the current time (RFC 5280 §6; not OpenSSL's strict mode, which real attestation certificates
    /// without key identifiers fail). A root need not be self-signed: it
    /// is the trust anchor as given.
    /// - Returns: nil when the chain verifies, else OpenSSL's reason.
    public func chainFailure(intermediates: [X509Certificate], roots: [X509Certificate]) -> String? {
        guard !roots.isEmpty else { return "no trust anchor configured" }
        let untrusted: [OpaquePointer?] = intermediates.map(\.pointer)
        let anchors: [OpaquePointer?] = roots.map(\.pointer)
        let code = withExtendedLifetime((intermediates, roots)) {
            untrusted.withUnsafeBufferPointer { u in
                anchors.withUnsafeBufferPointer { r in
                    copenssl_verify_chain(pointer, u.baseAddress, Int32(u.count), r.baseAddress, Int32(r.count))
                }
            }
        }
        ERR_clear_error()
        if code == 0 { return nil }
        if code < 0 { return "the chain could not be checked" }
        return String(cString: copenssl_verify_error_string(code))
    }
}

extension X509Certificate {
    /// Whether `signature` over `message` verifies with this certificate's public key under the
    /// COSE `algorithm` (W3C WebAuthn §6.5.6): ES256 needs a P-256 key and a DER `ECDSA-Sig-Value`,
    /// RS256 an RSA key of at least 2048 bits, EdDSA an Ed25519 key. Never throws.
    func verifies(signature: [UInt8], message: [UInt8], algorithm: COSEAlgorithm) -> Bool {
        guard let key = try? publicKey() else { return false }
        switch algorithm {
        case .es256:
            guard key.isA("EC"), key.groupName == "prime256v1" else { return false }
            return key.digestVerifySHA256(signature: signature, message: message)
        case .rs256:
            guard key.isA("RSA"), key.bits >= 2048 else { return false }
            return key.digestVerifySHA256(signature: signature, message: message)
        case .eddsa:
            guard key.isA("ED25519"), let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            let ok =
                EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1
                && EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
            ERR_clear_error()
            return ok
        }
    }
}
