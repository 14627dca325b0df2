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
