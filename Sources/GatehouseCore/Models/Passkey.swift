import Foundation

/// A user's passkey: a WebAuthn public key credential registered with the tenant as relying party
/// (W3C WebAuthn Level 2 §6.1, §7.1). Its credential ID is unique within the tenant.
public struct Passkey: Codable, Sendable, Equatable {
    /// `psk_` and a ULID.
    public var id: String
    public var userID: UserID
    /// The credential ID the authenticator chose (1…1023 bytes).
    public var credentialID: [UInt8]
    /// The credential public key as the authenticator sent it (a COSE_Key, RFC 9052 §7).
    public var publicKey: [UInt8]
    /// The COSE algorithm (-7 ES256, -8 EdDSA, -257 RS256).
    public var algorithm: Int
    /// The last signature counter seen (§6.1.1); 0 for authenticators without a counter.
    public var signCount: UInt32
    /// The authenticator's AAGUID (16 bytes; all zero with attestation `none`).
    public var aaguid: [UInt8]
    /// A name the user chose, at most 64 characters.
    public var name: String
    /// BE: the credential may be synced to other devices (a multi-device passkey, §6.1.3).
    public var backupEligible: Bool
    /// BS at the last use: the credential is backed up.
    public var backupState: Bool
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// Whether the registration brought `packed` attestation that verified and chained to one of
    /// the tenant's accepted roots, for an accepted model (`passkey_attestation` `packed`): the
    /// only way the server knows what kind of authenticator holds the key.
    public var attested: Bool

    public init(
        id: String, userID: UserID, credentialID: [UInt8], publicKey: [UInt8], algorithm: Int, signCount: UInt32, aaguid: [UInt8],
        name: String, backupEligible: Bool, backupState: Bool, createdAt: Date, lastUsedAt: Date? = nil, attested: Bool = false
    ) {
        self.attested = attested
        self.id = id
        self.userID = userID
        self.credentialID = credentialID
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
        self.aaguid = aaguid
        self.name = name
        self.backupEligible = backupEligible
        self.backupState = backupState
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// Longest name, in characters.
    public static let maximumNameLength = 64

    /// Whether `name` (trimmed by the caller) may name a passkey: at most ``maximumNameLength``
    /// characters, none of them a control character.
    public static func isAcceptableName(_ name: String) -> Bool {
        name.count <= maximumNameLength && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The RFC 8176 §2 method of a sign-in with this passkey: `hwk` (proof of possession of a
    /// hardware-secured key) only for a device-bound credential (not backup-eligible) whose
    /// authenticator model was attested (``attested``); `swk` otherwise: a synced credential
    /// leaves the authenticator, and without attestation the key's protection is the
    /// authenticator's own say-so.
    public var amrMethod: String { attested && !backupEligible ? "hwk" : "swk" }

    /// A new passkey id.
    public static func newID(at now: Date) -> String { "psk_" + ULID.make(at: now) }
}

/// The passkeys of a tenant's users (WebAuthn §7.1 step 22: credential IDs unique per relying
/// party) and the challenges already answered (§13.4.3: a challenge is used once).
public protocol PasskeyStore: Sendable {
    /// Stores a new passkey.
    /// - Returns: false when a passkey of the tenant already has its credential ID.
    func insertPasskey(_ passkey: Passkey) async throws -> Bool
    /// A user's passkeys, oldest first.
    func passkeys(userID: UserID) async throws -> [Passkey]
    /// The passkey with `credentialID`, in this tenant.
    func passkey(credentialID: [UInt8]) async throws -> Passkey?
    /// Records a verified use: the counter moves from `expected` to `signCount` only if no other
    /// use moved it first (compare-and-set: two sign-ins with one counter value succeed once).
    /// - Returns: false when the stored counter is no longer `expected`.
    func recordPasskeyUse(id: String, expected: UInt32, signCount: UInt32, backupState: Bool, at: Date) async throws -> Bool
    /// Renames a user's passkey. - Returns: false when the user has no such passkey.
    func renamePasskey(id: String, userID: UserID, name: String) async throws -> Bool
    /// Records the SHA-256 of an answered challenge until `expiresAt`.
    /// - Returns: false when it was answered before (a replayed ceremony).
    func recordWebAuthnChallenge(_ challenge: [UInt8], expiresAt: Date) async throws -> Bool
}
