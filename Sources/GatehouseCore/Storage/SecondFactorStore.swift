import Foundation

/// Second factors (TOTP, RFC 6238; email codes), recovery codes, account-console enrolments, and
/// the sealing of secrets stored with them.
public protocol SecondFactorStore: Sendable {
    /// A user's confirmed factors.
    func mfaFactors(userID: UserID) async throws -> [MFAFactor]
    /// Stores a confirmed factor, replacing one of the same kind.
    func saveMFAFactor(_ factor: MFAFactor) async throws
    /// Removes a factor; removing the last one also removes the recovery codes.
    func removeMFAFactor(userID: UserID, kind: MFAFactorKind) async throws
    /// Records that a TOTP time step was used, atomically: false when that step or a later one was
    /// already used (RFC 6238 §5.2: a code must not be accepted twice).
    func useTOTPStep(factorID: String, step: Int64) async throws -> Bool
    /// Replaces a user's recovery codes with these hashes.
    func replaceRecoveryCodes(userID: UserID, hashes: [[UInt8]], at now: Date) async throws
    /// Uses a recovery code once, atomically: true for exactly one of concurrent uses.
    func useRecoveryCode(userID: UserID, hash: [UInt8], at now: Date) async throws -> Bool
    func unusedRecoveryCodeCount(userID: UserID) async throws -> Int
    /// Creates or replaces a console enrolment (a factor being set up in the account console).
    func saveConsoleEnrolment(_ enrolment: ConsoleEnrolment) async throws
    /// The live console enrolment with this id hash, of this user.
    func consoleEnrolment(idHash: [UInt8], userID: UserID, at now: Date) async throws -> ConsoleEnrolment?
    /// Counts a failed code on a console enrolment, atomically; returns the new count.
    func recordConsoleEnrolmentAttempt(idHash: [UInt8]) async throws -> Int
    func deleteConsoleEnrolment(idHash: [UInt8]) async throws
    /// Seals a secret (a TOTP key) with the instance master key for storage.
    func seal(_ plaintext: [UInt8]) -> [UInt8]
    /// Opens a sealed secret. - Throws: when it does not open (wrong master key).
    func unseal(_ sealed: [UInt8]) throws -> [UInt8]
}
