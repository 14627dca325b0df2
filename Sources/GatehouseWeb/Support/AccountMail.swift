import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Logging

/// The account emails, sent through the tenant's templates and durable outbox.
enum AccountEmail: String {
    case verify = "email/verify"
    case reset = "email/reset"
    case magicLink = "email/magic_link"
    case code = "email/code"
    case mfaChange = "email/mfa_change"
    case recoveryUsed = "email/recovery_used"
    case signupAttempt = "email/signup_attempt"
}

extension Services {
    /// Queues an account email for `user`. Values always carry the tenant and user names.
    func sendAccountEmail(_ kind: AccountEmail, to user: User, values: [String: String], database: any TenantHandle) async throws {
        var all = values
        all["user_email"] = user.email
        all["user_name"] = user.name ?? ""

        try await deliverAccountEmail(kind, to: user.email, values: all, database: database)
    }

    /// Emails `user` a one-time link (`{issuer}{path}?token=…`, valid `lifetime` seconds) for
    /// `purpose`; only the token's hash is stored (docs/architecture.md H8). Used by "Forgot
    /// password", magic links and the admin console's "send password reset".
    /// - Parameter interactionID: the interaction the link continues, if any.
    func emailOneTimeLink(
        _ kind: AccountEmail, purpose: OneTimePurpose, to user: User, path: String, lifetime: TimeInterval, interactionID: String?,
        database: any TenantHandle
    ) async throws {
        let now = clock.now
        let token = RandomText.bearerSecret()
        try await database.insertOneTimeToken(
            OneTimeToken(
                id: RandomText.bearerSecret(), purpose: purpose, userID: user.id, tokenHash: SecretHash.of(token), codeHash: nil,
                context: interactionID, createdAt: now, expiresAt: now.addingTimeInterval(lifetime)))
        try await sendAccountEmail(
            kind, to: user, values: ["link": link(database.tenant, path, token: token), "expires_minutes": String(Int(lifetime / 60))],
            database: database)
    }

    /// Removes a user's second factors and recovery codes and ends their sessions and grants, so
    /// that the next sign-in starts without a second factor (or enrols one where the policy
    /// requires it): `gatehouse operator reset-mfa` and the admin console's "Reset two-step verification".
    /// - Returns: the kinds of the factors removed.
    @discardableResult
    func resetSecondFactors(of user: UserID, in database: any TenantHandle) async throws -> [MFAFactorKind] {
        let now = clock.now
        let factors = try await database.mfaFactors(userID: user)
        for factor in factors { try await database.removeMFAFactor(userID: user, kind: factor.kind) }
        try await database.replaceRecoveryCodes(userID: user, hashes: [], at: now)
        try await database.revokeEverything(of: user, at: now)
        return factors.map(\.kind)
    }

    /// A 6-digit code, uniformly random.
    func sixDigitCode() -> String {
        let n = SecureRandom.uniform(1_000_000)
        let digits = String(n)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// The hash under which an emailed code is kept: bound to its token or challenge.
    func codeHash(_ code: String, salt: String) -> [UInt8] { SecondFactorCheck.codeHash(code, salt: salt) }

    /// An absolute link into a tenant.
    func link(_ tenant: ResolvedTenant, _ path: String, token: String) -> String {
        issuer(of: tenant) + path + "?token=" + FormParameters.formEscape(token)
    }
}
