/// Authenticator data (W3C WebAuthn §6.1): rpIdHash, flags, signCount, and optionally attested
/// credential data (§6.5.1) and extensions.
public struct AuthenticatorData: Sendable {
    /// The encoded bytes, as signed in assertions (§6.3.3).
    public let bytes: [UInt8]
    /// SHA-256 of the RP ID the credential is scoped to (32 bytes).
    public let rpIdHash: [UInt8]
    /// The flags byte: bit 0 UP, 2 UV, 3 BE, 4 BS, 6 AT, 7 ED (§6.1).
    public let flags: UInt8
    /// The signature counter (§6.1.1), big-endian on the wire.
    public let signCount: UInt32
    /// Attested credential data, present exactly when AT is set.
    public let attestedCredential: AttestedCredentialData?
    /// The extension outputs map, present exactly when ED is set.
    public let extensions: CBORValue?

    /// User Present (bit 0).
    public var userPresent: Bool { flags & 0x01 != 0 }
    /// User Verified (bit 2).
    public var userVerified: Bool { flags & 0x04 != 0 }
    /// Backup Eligibility (bit 3).
    public var backupEligible: Bool { flags & 0x08 != 0 }
    /// Backup State (bit 4).
    public var backupState: Bool { flags & 0x10 != 0 }

    /// Largest credential ID accepted (WebAuthn §6.5.1, §5.1.3: at most 1023 bytes).
    public static let maximumCredentialIDLength = 1023

    /// Parses authenticator data strictly: every byte must belong to a declared part.
    /// - Throws: ``CryptoError/invalidInput(_:)`` if it is truncated, has trailing bytes, a
    ///   credential ID over 1023 bytes, or a malformed key or extensions map.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 37 else { throw CryptoError.invalidInput("authenticator data shorter than 37 bytes") }
        guard bytes.count <= CBOR.maximumInputSize else { throw CryptoError.invalidInput("authenticator data too large") }
        self.bytes = bytes
        rpIdHash = Array(bytes[0..<32])
        flags = bytes[32]
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var position = 37
        if flags & 0x40 != 0 {
            guard bytes.count >= position + 18 else { throw CryptoError.invalidInput("attested credential data truncated") }
            let aaguid = Array(bytes[position..<position + 16])
            let length = Int(bytes[position + 16]) << 8 | Int(bytes[position + 17])
            position += 18
            guard length <= Self.maximumCredentialIDLength else { throw CryptoError.invalidInput("credential ID longer than 1023 bytes") }
            guard length > 0, bytes.count >= position + length else { throw CryptoError.invalidInput("credential ID truncated or empty") }
            let credentialID = Array(bytes[position..<position + length])
            position += length
            let (keyValue, end) = try CBOR.decodePrefix(bytes, from: position)
            let keyBytes = Array(bytes[position..<end])
            position = end
            let key: COSEKey
            do { key = try COSEKey(value: keyValue) } catch let error as CryptoError {
                throw CryptoError.invalidInput("credential public key: \(error)")
            }
            attestedCredential = AttestedCredentialData(aaguid: aaguid, credentialID: credentialID, publicKeyBytes: keyBytes, publicKey: key)
        } else {
            attestedCredential = nil
        }
        if flags & 0x80 != 0 {
            let (value, end) = try CBOR.decodePrefix(bytes, from: position)
            guard case .map = value else { throw CryptoError.invalidInput("extensions are not a map") }
            extensions = value
            position = end
        } else {
            extensions = nil
        }
        guard position == bytes.count else { throw CryptoError.invalidInput("\(bytes.count - position) trailing bytes in authenticator data") }
    }
}

/// Attested credential data (WebAuthn §6.5.1).
public struct AttestedCredentialData: Sendable {
    /// The authenticator's AAGUID (16 bytes; all zero under `none` attestation, §6.5.4).
    public let aaguid: [UInt8]
    /// The credential ID (1…1023 bytes).
    public let credentialID: [UInt8]
    /// The credential public key exactly as encoded (COSE_Key CBOR), for storage.
    public let publicKeyBytes: [UInt8]
    /// The parsed public key.
    public let publicKey: COSEKey
}

/// An attestation object (WebAuthn §6.5.4): `fmt`, `attStmt`, `authData`.
public struct AttestationObject: Sendable {
    /// The attestation statement formats parsed: `none` (§8.7) and `packed` (§8.2).
    public static let formats: Set<String> = ["none", "packed"]
    /// The attestation statement format, one of ``formats``.
    public let format: String
    /// The attestation statement (`attStmt`), an empty map for `none`.
    public let statement: CBORValue
    /// The parsed authenticator data, which carries attested credential data.
    public let authenticatorData: AuthenticatorData

    /// Parses an attestation object of a format in ``formats`` (`none` with an empty statement)
    /// and requires attested credential data (AT flag). The statement itself is verified by
    /// ``WebAuthnCeremony/verifyRegistration(_:expecting:allowedAlgorithms:attestation:)``.
    /// - Throws: ``WebAuthnError/unsupportedAttestationFormat(_:)`` for any other `fmt`;
    ///   ``WebAuthnError/malformed(_:)`` otherwise.
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        let value: CBORValue
        do { value = try CBOR.decode(bytes) } catch { throw .malformed("attestation object: \(error)") }
        guard case .map(let pairs) = value, pairs.count == 3,
            case .text(let format) = value["fmt"], case .map(let statement) = value["attStmt"],
            case .bytes(let authData) = value["authData"]
        else { throw .malformed("attestation object must be a map of fmt, attStmt and authData") }
        guard Self.formats.contains(format) else { throw .unsupportedAttestationFormat(format) }
        if format == "none", !statement.isEmpty { throw .malformed("attStmt of format none must be empty") }
        let parsed: AuthenticatorData
        do { parsed = try AuthenticatorData(bytes: authData) } catch { throw .malformed("\(error)") }
        guard parsed.attestedCredential != nil else { throw .malformed("authenticator data lacks attested credential data") }
        self.format = format
        self.statement = .map(statement)
        self.authenticatorData = parsed
    }
}
