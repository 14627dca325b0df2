import Foundation

/// A tenant's back-channel logout outbox, `logout_deliveries` (OpenID Connect Back-Channel Logout
/// 1.0 §2.5; docs/contract.md A7). Rows are written by the session-ending calls of
/// ``SessionStore`` and ``AccountStore`` in their own transaction — one per client with a
/// `backchannel_logout_uri` that obtained a grant under the ended session — so a logout that
/// committed always owes its logout tokens, and one rolled back owes none.
public protocol LogoutDeliveryStore: Sendable {
    /// Pending deliveries due at `now`, oldest due first, at most `limit`, each claimed for
    /// `lease` seconds (its next attempt moves ahead by the lease; PostgreSQL skips rows another
    /// node is claiming, `FOR UPDATE SKIP LOCKED`), so that two nodes never send one at once.
    func claimDueLogoutDeliveries(at now: Date, limit: Int, lease: TimeInterval) async throws -> [LogoutDelivery]
    /// Records one attempt: delivered, retried at `attempt.retryAt`, or failed (`lastError` cut
    /// to 500 characters).
    func recordLogoutAttempt(id: LogoutDeliveryID, _ attempt: WebhookAttempt, at now: Date) async throws
    /// The earliest next attempt among pending deliveries, or nil.
    func nextLogoutDeliveryDue() async throws -> Date?
    /// Every delivery for the session `sessionID`, oldest first (for tests and support).
    func logoutDeliveries(sessionID: SessionID) async throws -> [LogoutDelivery]
    /// Deletes delivered and failed deliveries created before `cutoff`.
    func purgeLogoutDeliveries(before cutoff: Date) async throws
}
