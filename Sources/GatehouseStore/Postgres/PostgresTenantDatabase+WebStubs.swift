import Foundation
import GatehouseCore

// Placeholders: each is replaced by its PostgreSQL implementation (then this file goes).
extension PostgresTenantDatabase: AccountStore, SecondFactorStore, FederationStore, MailOutboxStore, TemplateStore {
    public func user(id: UserID) async throws -> User? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func user(email: String) async throws -> User? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertUser(_ user: User) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func listUsers(limit: Int, after: UserID?, email: String?, query: String?) async throws -> [User] {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func updateUser(_ user: User, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func deleteUser(_ id: UserID, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func revokeEverything(of id: UserID, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func markEmailVerified(_ userID: UserID, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func proveEmail(_ userID: UserID, keepPassword: Bool, keepingPending: [UInt8]?, at now: Date) async throws -> Bool {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func spendSignInLinks(of userID: UserID, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertOneTimeToken(_ token: OneTimeToken) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func consumeOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken? {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func peekOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken? {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func consumeOneTimeCode(
        userID: UserID, purpose: OneTimePurpose, at now: Date, maxAttempts: Int,
        matches: @Sendable (OneTimeToken) -> Bool
    ) async throws -> OneTimeToken? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func savePendingSignIn(_ pending: PendingSignIn) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func pendingSignIn(idHash: [UInt8], at now: Date) async throws -> PendingSignIn? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func recordPendingAttempt(idHash: [UInt8]) async throws -> Int { throw PostgresTenantDatabase.notBuilt(#function) }
    public func deletePendingSignIn(idHash: [UInt8]) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func completeSignIn(
        pendingIDHash: [UInt8], session: SessionChange, interaction: Interaction,
        issuing: (grant: Grant, code: AuthorizationCode)?
    ) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func signInFailures(keys: [String]) async throws -> [SignInFailureRecord] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func saveSignInFailures(_ records: [SignInFailureRecord], cleared: [String]) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func mfaFactors(userID: UserID) async throws -> [MFAFactor] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func saveMFAFactor(_ factor: MFAFactor) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func removeMFAFactor(userID: UserID, kind: MFAFactorKind) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func useTOTPStep(factorID: String, step: Int64) async throws -> Bool { throw PostgresTenantDatabase.notBuilt(#function) }
    public func replaceRecoveryCodes(userID: UserID, hashes: [[UInt8]], at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func useRecoveryCode(userID: UserID, hash: [UInt8], at now: Date) async throws -> Bool { throw PostgresTenantDatabase.notBuilt(#function) }
    public func unusedRecoveryCodeCount(userID: UserID) async throws -> Int { throw PostgresTenantDatabase.notBuilt(#function) }
    public func saveConsoleEnrolment(_ enrolment: ConsoleEnrolment) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func consoleEnrolment(idHash: [UInt8], userID: UserID, at now: Date) async throws -> ConsoleEnrolment? {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func recordConsoleEnrolmentAttempt(idHash: [UInt8]) async throws -> Int { throw PostgresTenantDatabase.notBuilt(#function) }
    public func deleteConsoleEnrolment(idHash: [UInt8]) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func seal(_ plaintext: [UInt8]) -> [UInt8] { fatalError("not built: \(#function)") }
    public func unseal(_ sealed: [UInt8]) throws -> [UInt8] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func upstreamProviders() async throws -> [UpstreamProvider] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func upstreamProvider(_ key: String) async throws -> UpstreamProvider? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertUpstreamProvider(_ provider: UpstreamProvider) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func updateUpstreamProvider(_ p: UpstreamProvider) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func deleteUpstreamProvider(id: UpstreamProviderID) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertFederationState(_ s: FederationState, now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func consumeFederationState(hash: [UInt8]) async throws -> FederationState? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func upstreamIdentity(providerID: UpstreamProviderID, issuer: String, subject: String) async throws -> UpstreamIdentity? {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func upstreamIdentities(userID: UserID) async throws -> [UpstreamIdentity] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func touchUpstreamIdentity(id: UpstreamIdentityID, email: String?, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func linkUpstreamIdentity(_ identity: UpstreamIdentity) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertUser(_ user: User, identity: UpstreamIdentity) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func removeUpstreamIdentity(id: UpstreamIdentityID, userID: UserID) async throws -> UpstreamIdentityRemoval {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func dueMail(at now: Date, limit: Int) async throws -> [OutboxMessage] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func nextMailDue() async throws -> Date? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func markMailSent(id: String, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func markMailAttemptFailed(id: String, error: String, retryAt: Date?, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func outbox(limit: Int) async throws -> [OutboxMessage] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func purgeMail(before: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func templateOverrides() -> TemplateOverrideSet { fatalError("not built: \(#function)") }
    public func saveTemplateOverride(_ override: TemplateOverride) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func deleteTemplateOverride(named name: String) async throws -> Bool { throw PostgresTenantDatabase.notBuilt(#function) }

    // Beyond the protocols.
    /// Loads the template overrides into `caches.templateOverrides` (read synchronously by
    /// `templateOverrides()`).
    func loadTemplateOverrides() async throws { throw PostgresTenantDatabase.notBuilt(#function) }
}
