/// What a relying party requires of a new credential's attestation (W3C WebAuthn §7.1 steps
/// 19–21, §13.4.10): `packed` full attestation (§8.2) by an attestation certificate that chains
/// to one of `roots`, from an authenticator model whose AAGUID is one of `aaguids`.
///
/// Self attestation and attestation `none` are refused under a requirement: neither names the
/// authenticator model, so the AAGUID they carry is the authenticator's own say-so.
public struct AttestationRequirement: Sendable {
    /// The trust anchors (the authenticator vendors' attestation roots, or any certificate of a
    /// path, which is then trusted as given).
    public let roots: [X509Certificate]
    /// The accepted AAGUIDs, 16 bytes each.
    public let aaguids: Set<[UInt8]>

    /// Creates a requirement.
    public init(roots: [X509Certificate], aaguids: Set<[UInt8]>) {
        self.roots = roots
        self.aaguids = aaguids
    }
}

/// The `packed` attestation statement format (W3C WebAuthn §8.2), full attestation (`x5c`) only.
enum PackedAttestation {
    /// `id-fido-gen-ce-aaguid`: the certificate extension naming the authenticator model (§8.2.1).
    static let aaguidExtensionOID = "1.3.6.1.4.1.45724.1.1.4"
    /// Most certificates accepted in `x5c`.
    static let maximumCertificates = 5

    /// §8.2 "Verification procedure" for a statement with `x5c`, then the requirement's trust
    /// (§7.1 steps 20–21): the signature over `authData || clientDataHash` verifies with the
    /// attestation certificate's key under `alg`; the certificate meets §8.2.1 (version 3; subject
    /// C, O, OU "Authenticator Attestation" and CN; not a CA; an AAGUID extension, if any, not
    /// critical and equal to the credential's AAGUID); its path ends at one of the roots; the
    /// AAGUID is accepted.
    /// - Throws: ``WebAuthnError/attestationInvalid(_:)`` when the statement is malformed or does
    ///   not verify, ``WebAuthnError/attestationNotTrusted(_:)`` when it verifies but is not trusted.
    static func verify(
        statement: CBORValue, authenticatorData: [UInt8], clientDataHash: [UInt8], aaguid: [UInt8],
        requirement: AttestationRequirement
    ) throws(WebAuthnError) {
        guard case .map(let pairs) = statement else { throw .attestationInvalid("attStmt is not a map") }
        for pair in pairs {
            guard case .text(let key) = pair.key, ["alg", "sig", "x5c"].contains(key) else {
                throw .attestationInvalid("attStmt has a member other than alg, sig and x5c (ECDAA is not supported)")
            }
        }
        guard let label = statement["alg"]?.intValue, let algorithm = COSEAlgorithm(rawValue: label) else {
            throw .attestationInvalid("attStmt alg is not a supported COSE algorithm")
        }
        guard case .bytes(let signature) = statement["sig"], !signature.isEmpty else { throw .attestationInvalid("attStmt sig is not a byte string") }
        guard case .array(let chain) = statement["x5c"] else {
            throw .attestationNotTrusted("self attestation does not name the authenticator model")
        }
        guard !chain.isEmpty, chain.count <= maximumCertificates else { throw .attestationInvalid("x5c must hold 1…\(maximumCertificates) certificates") }
        var certificates: [X509Certificate] = []
        for element in chain {
            guard case .bytes(let der) = element, let certificate = try? X509Certificate(der: der) else {
                throw .attestationInvalid("x5c holds something other than a DER certificate")
            }
            certificates.append(certificate)
        }
        let leaf = certificates[0]
        guard leaf.verifies(signature: signature, message: authenticatorData + clientDataHash, algorithm: algorithm) else {
            throw .attestationInvalid("the attestation signature does not verify with the attestation certificate")
        }
        guard leaf.version == 3 else { throw .attestationInvalid("the attestation certificate is not X.509 version 3") }
        guard leaf.subjectCountry.count == 1, leaf.subjectCountry[0].utf8.count == 2, leaf.subjectOrganization.count == 1,
            leaf.subjectOrganizationalUnit == ["Authenticator Attestation"], leaf.subjectCommonName.count == 1
        else { throw .attestationInvalid("the attestation certificate's subject lacks C, O, OU \"Authenticator Attestation\" or CN") }
        guard !leaf.isCertificateAuthority else { throw .attestationInvalid("the attestation certificate is a CA") }
        if let ext = leaf.extensionValue(oid: aaguidExtensionOID) {
            guard !ext.critical, ext.value == [0x04, 0x10] + aaguid else {
                throw .attestationInvalid("the certificate's AAGUID extension does not match the credential's AAGUID")
            }
        }
        if let failure = leaf.chainFailure(intermediates: Array(certificates.dropFirst()), roots: requirement.roots) {
            throw .attestationNotTrusted("the attestation certificate does not chain to an accepted root: \(failure)")
        }
        guard requirement.aaguids.contains(aaguid) else { throw .attestationNotTrusted("AAGUID \(AAGUID.text(aaguid)) is not accepted") }
    }
}

/// AAGUIDs (W3C WebAuthn §6.5.1) in their usual text form, a UUID (RFC 9562 §4).
public enum AAGUID {
    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase hex.
    public static func text(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        guard hex.count == 32 else { return hex }
        let c = Array(hex)
        return [c[0..<8], c[8..<12], c[12..<16], c[16..<20], c[20..<32]].map { String($0) }.joined(separator: "-")
    }

    /// The 16 bytes of a UUID in text form (hex digits of either case, with the four hyphens), or
    /// nil when `text` is not one.
    public static func bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return nil }
        let hex = Array(parts.joined().utf8)
        guard hex.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: hex.count, by: 2) {
            guard let byte = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
