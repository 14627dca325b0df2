import Foundation

/// A tenant's mail outbox: messages are enqueued through GatehouseStore's `InstanceStore`
/// (`enqueueMail(_:in:)`, which also records the tenant in the instance's pending-mail index) and
/// delivered by the mail delivery service through this protocol.
public protocol MailOutboxStore: Sendable {
    /// Messages due for delivery at `now` (unsent, not given up), oldest first, at most `limit`.
    /// A backend that several nodes share claims them for the caller (PostgreSQL: for two minutes,
    /// or until marked sent or failed), so that a message is sent once; the single-process SQLite
    /// backend returns them until they are marked.
    func dueMail(at now: Date, limit: Int) async throws -> [OutboxMessage]
    /// The earliest next attempt among undelivered messages, or nil when there are none.
    func nextMailDue() async throws -> Date?
    /// Marks a message delivered and drops its content.
    func markMailSent(id: String, at now: Date) async throws
    /// Records a failed attempt: retried at `retryAt`, or given up (content dropped) when `retryAt` is nil.
    /// - Parameter error: a short description of the failure, without message content.
    func markMailAttemptFailed(id: String, error: String, retryAt: Date?, at now: Date) async throws
    /// The outbox, newest first, with message content left out (for the admin API and tests).
    func outbox(limit: Int) async throws -> [OutboxMessage]
    /// Deletes sent and failed messages older than `before`.
    func purgeMail(before: Date) async throws
}

extension MailOutboxStore {
    /// The first 50 messages due at `now`.
    public func dueMail(at now: Date) async throws -> [OutboxMessage] { try await dueMail(at: now, limit: 50) }
    /// The newest 100 messages of the outbox.
    public func outbox() async throws -> [OutboxMessage] { try await outbox(limit: 100) }
}
