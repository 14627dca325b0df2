internal import Foundation

/// Why a WebAuthn registration or authentication was refused. The reasons are for logs and tests;
/// none carries a secret.
public enum WebAuthnError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A structure (clientDataJSON, attestation object, authenticator data, key) is malformed.
    case malformed(String)
    /// The attestation statement format is not accepted: neither `none` nor `packed`, or
    /// `packed` where no attestation is required (the options asked for `none`).
    case unsupportedAttestationFormat(String)
    /// The attestation statement is malformed or does not verify (§8.2 verification procedure).
    case attestationInvalid(String)
    /// The attestation verifies but is not trusted under the requirement (§7.1 step 21): `none`
    /// or self attestation, a path to no accepted root, an AAGUID not accepted.
    case attestationNotTrusted(String)
    /// `clientDataJSON.type` is not the expected ceremony type (§7.1 step 7, §7.2 step 11).
    case wrongType
    /// The challenge differs from the one issued (§7.1 step 8, §7.2 step 12).
    case challengeMismatch
    /// The origin differs from the expected origin, or the request was cross-origin (§7.1 step 9).
    case originMismatch
    /// `rpIdHash` is not SHA-256 of the RP ID (§7.1 step 13, §7.2 step 15).
    case rpIdMismatch
    /// The UP flag is not set (§7.1 step 14, §7.2 step 16).
    case userNotPresent
    /// User verification was required and the UV flag is not set (§7.1 step 15, §7.2 step 17).
    case userNotVerified
    /// BS is set while BE is not (§6.1, §7.1 step 16).
    case invalidBackupFlags
    /// The credential's algorithm is not among those allowed (§7.1 step 17).
    case algorithmNotAllowed(Int)
    /// The assertion signature does not verify with the stored key (§7.2 step 21).
    case badSignature
    /// The signature counter did not increase: a possibly cloned authenticator (§7.2 step 22, §6.1.1).
    case signCountNotIncreased(stored: UInt32, received: UInt32)

    /// A one-line description for logs.
    public var description: String {
        switch self {
        case .malformed(let reason): "malformed: \(reason)"
        case .unsupportedAttestationFormat(let format): "attestation format \"\(format)\" is not accepted here"
        case .attestationInvalid(let reason): "attestation invalid: \(reason)"
        case .attestationNotTrusted(let reason): "attestation not trusted: \(reason)"
        case .wrongType: "clientDataJSON type is not the expected ceremony"
        case .challengeMismatch: "challenge mismatch"
        case .originMismatch: "origin mismatch"
        case .rpIdMismatch: "rpIdHash does not match the RP ID"
        case .userNotPresent: "user presence flag not set"
        case .userNotVerified: "user verification required but not performed"
        case .invalidBackupFlags: "backup state set without backup eligibility"
        case .algorithmNotAllowed(let alg): "credential algorithm \(alg) not allowed"
        case .badSignature: "signature does not verify"
        case .signCountNotIncreased(let stored, let received): "signature counter \(received) not above stored \(stored): possibly cloned authenticator"
        }
    }
}

/// The parts of `CollectedClientData` (WebAuthn §5.8.1) the relying party checks.
struct CollectedClientData: Decodable {
    let type: String
    let challenge: String
    let origin: String
    let crossOrigin: Bool?
}

/// A credential accepted by ``WebAuthnCeremony/verifyRegistration(_:)``, ready to store.
public struct RegisteredCredential: Sendable, Equatable {
    /// The credential ID (1…1023 bytes), unique per tenant.
    public let credentialID: [UInt8]
    /// The COSE_Key bytes exactly as the authenticator sent them.
    public let publicKey: [UInt8]
    /// The key's COSE algorithm.
    public let algorithm: COSEAlgorithm
    /// The initial signature counter.
    public let signCount: UInt32
    /// The authenticator's AAGUID (16 bytes).
    public let aaguid: [UInt8]
    /// Whether the user was verified (UV).
    public let userVerified: Bool
    /// Backup eligibility (BE): a multi-device (synced) credential.
    public let backupEligible: Bool
    /// Backup state (BS).
    public let backupState: Bool
}

/// The result of a successful ``WebAuthnCeremony/verifyAuthentication(_:)``.
public struct VerifiedAssertion: Sendable, Equatable {
    /// The counter to store from now on (§7.2 step 22).
    public let signCount: UInt32
    /// Whether the user was verified (UV).
    public let userVerified: Bool
    /// The current backup state (BS), to store (§7.2 step 19).
    public let backupState: Bool
}

/// The relying party checks of the WebAuthn registration (W3C WebAuthn §7.1) and authentication
/// (§7.2) ceremonies. Pure: the caller issues and keeps the challenge, looks up the credential
/// by ID and stores the outcome.
public enum WebAuthnCeremony {
    /// Largest clientDataJSON accepted, in bytes.
    public static let maximumClientDataSize = 8 * 1024

    /// What the relying party expects of a ceremony.
    public struct Expectation: Sendable {
        /// The challenge issued for this ceremony (at least 16 random bytes, §13.4.3).
        public var challenge: [UInt8]
        /// The exact origin of the page, e.g. `https://login.example.com` (§7.1 step 9).
        public var origin: String
        /// The RP ID, a registrable domain suffix of the origin's host (§5.1.2).
        public var rpID: String
        /// Whether the UV flag is required (user verification `required`).
        public var requireUserVerification: Bool

        /// Creates an expectation.
        public init(challenge: [UInt8], origin: String, rpID: String, requireUserVerification: Bool) {
            self.challenge = challenge
            self.origin = origin
            self.rpID = rpID
            self.requireUserVerification = requireUserVerification
        }
    }

    /// A registration response (`AuthenticatorAttestationResponse`, §5.2.1).
    public struct RegistrationResponse: Sendable {
        /// The raw `clientDataJSON`.
        public var clientDataJSON: [UInt8]
        /// The raw `attestationObject`.
        public var attestationObject: [UInt8]

        /// Creates a registration response.
        public init(clientDataJSON: [UInt8], attestationObject: [UInt8]) {
            self.clientDataJSON = clientDataJSON
            self.attestationObject = attestationObject
        }
    }

    /// An authentication response (`AuthenticatorAssertionResponse`, §5.2.2) and the stored
    /// credential it claims.
    public struct AuthenticationResponse: Sendable {
        /// The raw `clientDataJSON`.
        public var clientDataJSON: [UInt8]
        /// The raw `authenticatorData`.
        public var authenticatorData: [UInt8]
        /// The signature.
        public var signature: [UInt8]
        /// The stored COSE_Key of the credential named by the response's ID.
        public var storedPublicKey: [UInt8]
        /// The stored signature counter.
        public var storedSignCount: UInt32

        /// Creates an authentication response.
        public init(clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], storedPublicKey: [UInt8], storedSignCount: UInt32) {
            self.clientDataJSON = clientDataJSON
            self.authenticatorData = authenticatorData
            self.signature = signature
            self.storedPublicKey = storedPublicKey
            self.storedSignCount = storedSignCount
        }
    }

    /// W3C WebAuthn §7.1 "Registering a New Credential", steps 5–21. Without `attestation`
    /// (the options asked for attestation `none`), the format must be `none` (§8.7) and steps
    /// 19–21 have nothing to verify. With it (the options asked for `direct`), the format must be
    /// `packed` full attestation that verifies and is trusted (``AttestationRequirement``,
    /// §8.2). Credential ID uniqueness (step 22) is the store's unique index.
    public static func verifyRegistration(
        _ response: RegistrationResponse, expecting expectation: Expectation,
        allowedAlgorithms: Set<COSEAlgorithm> = Set(COSEAlgorithm.allCases), attestation requirement: AttestationRequirement? = nil
    ) throws(WebAuthnError) -> RegisteredCredential {
        try checkClientData(response.clientDataJSON, type: "webauthn.create", expectation)
        let attestation = try AttestationObject(bytes: response.attestationObject)
        let data = attestation.authenticatorData
        try checkFlags(data, expectation)
        guard let credential = data.attestedCredential else { throw .malformed("no attested credential data") }
        guard allowedAlgorithms.contains(credential.publicKey.algorithm) else {
            throw .algorithmNotAllowed(credential.publicKey.algorithm.rawValue)
        }
        switch (attestation.format, requirement) {
        case ("none", nil): break
        case ("packed", let requirement?):
            try PackedAttestation.verify(
                statement: attestation.statement, authenticatorData: data.bytes, clientDataHash: Digest.sha256(response.clientDataJSON),
                aaguid: credential.aaguid, requirement: requirement)
        case ("none", _?): throw .attestationNotTrusted("attestation none does not name the authenticator model")
        default: throw .unsupportedAttestationFormat(attestation.format)
        }
        return RegisteredCredential(
            credentialID: credential.credentialID, publicKey: credential.publicKeyBytes,
            algorithm: credential.publicKey.algorithm, signCount: data.signCount, aaguid: credential.aaguid,
            userVerified: data.userVerified, backupEligible: data.backupEligible, backupState: data.backupState)
    }

    /// W3C WebAuthn §7.2 "Verifying an Authentication Assertion", steps 8–22. Steps 5–7 (the
    /// credential belongs to the user, user handle) are the caller's: it must look the credential up
    /// by the response's ID within the tenant and pass its stored key and counter.
    public static func verifyAuthentication(
        _ response: AuthenticationResponse, expecting expectation: Expectation
    ) throws(WebAuthnError) -> VerifiedAssertion {
        try checkClientData(response.clientDataJSON, type: "webauthn.get", expectation)
        let data: AuthenticatorData
        do { data = try AuthenticatorData(bytes: response.authenticatorData) } catch { throw .malformed("\(error)") }
        guard data.attestedCredential == nil else { throw .malformed("assertion authenticator data carries attested credential data") }
        try checkFlags(data, expectation)
        let key: COSEKey
        do { key = try COSEKey(bytes: response.storedPublicKey) } catch { throw .malformed("stored public key: \(error)") }
        // §7.2 steps 19–21: the signature covers authData || SHA-256(clientDataJSON).
        let message = response.authenticatorData + Digest.sha256(response.clientDataJSON)
        guard key.verifier.verifyAssertion(signature: response.signature, message: message) else { throw .badSignature }
        // §7.2 step 22, §6.1.1: a counter that does not increase signals a cloned authenticator;
        // both zero means the authenticator does not implement a counter.
        if data.signCount != 0 || response.storedSignCount != 0 {
            guard data.signCount > response.storedSignCount else {
                throw .signCountNotIncreased(stored: response.storedSignCount, received: data.signCount)
            }
        }
        return VerifiedAssertion(signCount: data.signCount, userVerified: data.userVerified, backupState: data.backupState)
    }

    /// §7.1 steps 5–10 / §7.2 steps 9–14: parse clientDataJSON; check type, challenge
    /// (constant-time), origin; refuse cross-origin (iframe) ceremonies.
    static func checkClientData(_ json: [UInt8], type: String, _ expectation: Expectation) throws(WebAuthnError) {
        guard json.count <= maximumClientDataSize else { throw .malformed("clientDataJSON too large") }
        let client: CollectedClientData
        do { client = try JSONDecoder().decode(CollectedClientData.self, from: Data(json)) } catch {
            throw .malformed("clientDataJSON is not the expected JSON object")
        }
        guard client.type == type else { throw .wrongType }
        guard let challenge = Base64URL.decode(client.challenge), ConstantTime.equals(challenge, expectation.challenge) else {
            throw .challengeMismatch
        }
        guard client.origin == expectation.origin, client.crossOrigin != true else { throw .originMismatch }
    }

    /// §7.1 steps 13–16 / §7.2 steps 15–18: rpIdHash, UP, UV when required, backup flags.
    static func checkFlags(_ data: AuthenticatorData, _ expectation: Expectation) throws(WebAuthnError) {
        guard ConstantTime.equals(data.rpIdHash, Digest.sha256(expectation.rpID)) else { throw .rpIdMismatch }
        guard data.userPresent else { throw .userNotPresent }
        if expectation.requireUserVerification, !data.userVerified { throw .userNotVerified }
        if data.backupState, !data.backupEligible { throw .invalidBackupFlags }
    }
}
