import Foundation

/// The kinds of second factor (issue: TOTP and email one-time codes; recovery codes back them up).
public enum MFAFactorKind: String, Codable, Sendable, CaseIterable {
    /// RFC 6238 time-based one-time passwords from an authenticator app.
    case totp
    /// A 6-digit code sent to the user's verified email address.
    case email
    /// A passkey (W3C WebAuthn, ``Passkey``): on the tenant's pages also a way to sign in alone.
    /// Users have it when they registered a passkey; it is no row of `mfa_factors`.
    case webauthn
}

/// An enrolled second factor of a user.
public struct MFAFactor: Codable, Sendable, Equatable {
    public var id: String
    public var userID: UserID
    public var kind: MFAFactorKind
    /// The TOTP secret sealed with the master key; nil for email.
    public var sealedSecret: [UInt8]?
    /// The last TOTP time step accepted, so that no code is accepted twice.
    public var lastUsedStep: Int64?
    public var createdAt: Date

    public init(id: String, userID: UserID, kind: MFAFactorKind, sealedSecret: [UInt8]?, lastUsedStep: Int64? = nil, createdAt: Date) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.sealedSecret = sealedSecret
        self.lastUsedStep = lastUsedStep
        self.createdAt = createdAt
    }
}

/// What an emailed link or code is for.
public enum OneTimePurpose: String, Codable, Sendable {
    case verifyEmail = "verify_email"
    case resetPassword = "reset_password"
    case magicLink = "magic_link"
    /// A new email address being proven from the account console (`context` holds the address).
    case changeEmail = "change_email"
}

/// An emailed link (and optionally a code) for one purpose; single use, expiring, stored as hashes.
public struct OneTimeToken: Codable, Sendable, Equatable {
    public var id: String
    public var purpose: OneTimePurpose
    public var userID: UserID
    /// SHA-256 of the link's token.
    public var tokenHash: [UInt8]?
    /// SHA-256 of the code (salted with the token id).
    public var codeHash: [UInt8]?
    /// Failed code attempts.
    public var attempts: Int
    /// Purpose-specific data (e.g. the interaction a magic link continues).
    public var context: String?
    public var createdAt: Date
    public var expiresAt: Date
    public var consumedAt: Date?

    public init(
        id: String, purpose: OneTimePurpose, userID: UserID, tokenHash: [UInt8]?, codeHash: [UInt8]?, attempts: Int = 0,
        context: String?, createdAt: Date, expiresAt: Date, consumedAt: Date? = nil
    ) {
        self.id = id
        self.purpose = purpose
        self.userID = userID
        self.tokenHash = tokenHash
        self.codeHash = codeHash
        self.attempts = attempts
        self.context = context
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.consumedAt = consumedAt
    }
}

/// A sign-in whose first factor passed and that waits for a second step: email verification,
/// an MFA challenge, or MFA enrolment. Browser interactions and headless challenges share it.
public struct PendingSignIn: Codable, Sendable, Equatable {
    public enum Stage: String, Codable, Sendable {
        case verifyEmail = "verify_email"
        case challenge
        case enrol
        /// Enrolled during this sign-in; the recovery codes were shown and the sign-in may complete.
        case enrolled
        /// The user picks the organization to act within (docs/contract.md A8; browser sign-ins).
        case organization
    }

    /// SHA-256 of the challenge id given to the browser or app.
    public var idHash: [UInt8]
    public var userID: UserID
    public var clientID: String
    /// Methods already used (the first factor).
    public var amr: [String]
    /// The scope a headless sign-in asked for (browser sign-ins keep theirs in the interaction).
    public var scope: String?
    public var stage: Stage
    /// The TOTP secret being enrolled, sealed with the master key.
    public var sealedEnrolSecret: [UInt8]?
    /// The emailed code of this challenge (SHA-256 over the challenge id hash and the code).
    public var emailCodeHash: [UInt8]?
    public var emailCodeExpiresAt: Date?
    /// Failed code attempts on this challenge.
    public var attempts: Int
    /// The organization context a headless sign-in chose (docs/contract.md A8); browser sign-ins
    /// keep theirs in the interaction.
    public var organization: OrganizationChoice?
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        idHash: [UInt8], userID: UserID, clientID: String, amr: [String], scope: String? = nil, stage: Stage,
        sealedEnrolSecret: [UInt8]? = nil,
        emailCodeHash: [UInt8]? = nil, emailCodeExpiresAt: Date? = nil, attempts: Int = 0,
        organization: OrganizationChoice? = nil, createdAt: Date, expiresAt: Date
    ) {
        self.idHash = idHash
        self.userID = userID
        self.clientID = clientID
        self.amr = amr
        self.scope = scope
        self.stage = stage
        self.sealedEnrolSecret = sealedEnrolSecret
        self.emailCodeHash = emailCodeHash
        self.emailCodeExpiresAt = emailCodeExpiresAt
        self.attempts = attempts
        self.organization = organization
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Pending sign-ins last 10 minutes.
    public static let lifetime: TimeInterval = 600
    /// Emailed codes last 10 minutes and allow 5 attempts per challenge.
    public static let emailCodeLifetime: TimeInterval = 600
    public static let maxAttempts = 5

    /// The `amr` of a decoy verification step: a sign-up with the address of an existing account
    /// (tenants with `require_verified_email`) answers exactly like a new sign-up, with a pending
    /// verification that no code can complete, so the answer does not reveal the account.
    public static let signupAttemptMarker = "signup_attempt"

    /// Whether this is the decoy of a sign-up with an existing address (never completes).
    public var isSignupAttempt: Bool { amr == [Self.signupAttemptMarker] }
}
