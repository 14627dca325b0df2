import Foundation

/// The account console setting up a second factor for a signed-in user: a TOTP secret waiting for
/// its first code, or an emailed code proving the address. Kept apart from `PendingSignIn` (its own
/// type and table): an enrolment never completes a sign-in.
public struct ConsoleEnrolment: Sendable, Equatable {
    /// SHA-256 of the enrolment id (derived from the console token; never shown).
    public var idHash: [UInt8]
    public var userID: UserID
    /// The TOTP secret being enrolled, sealed with the master key.
    public var sealedTOTPSecret: [UInt8]?
    /// The emailed code (SHA-256 over the enrolment id hash and the code).
    public var emailCodeHash: [UInt8]?
    public var emailCodeExpiresAt: Date?
    /// Failed code attempts on this enrolment.
    public var attempts: Int
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        idHash: [UInt8], userID: UserID, sealedTOTPSecret: [UInt8]? = nil, emailCodeHash: [UInt8]? = nil,
        emailCodeExpiresAt: Date? = nil, attempts: Int = 0, createdAt: Date, expiresAt: Date
    ) {
        self.idHash = idHash
        self.userID = userID
        self.sealedTOTPSecret = sealedTOTPSecret
        self.emailCodeHash = emailCodeHash
        self.emailCodeExpiresAt = emailCodeExpiresAt
        self.attempts = attempts
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Consecutive sign-in failures under one throttle key, as persisted across restarts.
public struct SignInFailureRecord: Sendable, Equatable {
    public var key: String
    public var failures: Int
    public var lastFailure: Date

    public init(key: String, failures: Int, lastFailure: Date) {
        self.key = key
        self.failures = failures
        self.lastFailure = lastFailure
    }
}
