import GatehouseStore
import Logging

extension Services {
    /// Hands an account email to the tenant's templates and durable outbox.
    /// An address the mail system cannot deliver to is logged and skipped: an account flow never
    /// fails because of it.
    func deliverAccountEmail(_ kind: AccountEmail, to address: String, values: [String: String], database: any TenantHandle) async throws {
        do {
            try await mail.send(named: kind.rawValue, to: address, values: values, database: database)
        } catch let error as EmailError {
            logger.warning("account email not queued", metadata: ["template": "\(kind.rawValue)", "reason": "\(error)"])
        }
    }
}
