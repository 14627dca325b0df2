import Foundation
import GatehouseCore
import PostgresNIO

extension OutboxMessage {
    init(postgres row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        self.init(
            id: try r.value("id"), template: try r.value("template"), recipient: try r.value("recipient"),
            envelopeFrom: try r.value("envelope_from"), subject: try r.value("subject"), message: try r.bytes("message") ?? [],
            attempts: try r.value("attempts"), nextAttemptAt: try r.value("next_attempt_at"), sentAt: try r.value("sent_at"),
            failedAt: try r.value("failed_at"), lastError: try r.value("last_error"), createdAt: try r.value("created_at"))
    }
}

/// The mail outbox of one tenant on PostgreSQL (`MailOutboxStore`), as `TenantDatabase+Mail.swift`
/// does on SQLite. Ids (`msg_<ULID>`) sort bytewise (collation "C"), as SQLite orders text.
extension PostgresTenantDatabase {
    /// Stores a message in the outbox, due at once. The instance store calls this when it
    /// enqueues mail (and records the tenant in its pending-mail index).
    func insertOutboxMessage(_ m: OutboxMessage) async throws {
        try await query(
            """
            INSERT INTO \(unescaped: schema).mail_outbox (\(unescaped: OutboxMessage.columns)) VALUES (\(m.id), \(m.template), \
            \(m.recipient), \(m.envelopeFrom), \(m.subject), \(Data(m.message)), \(m.attempts), \(m.nextAttemptAt), \(m.sentAt), \
            \(m.failedAt), \(m.lastError), \(m.createdAt))
            """)
    }

    /// Messages due for delivery at `now` (unsent, not given up), oldest first.
    public func dueMail(at now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await query(
            """
            SELECT \(unescaped: OutboxMessage.columns) FROM \(unescaped: schema).mail_outbox
            WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= \(now) ORDER BY next_attempt_at, id COLLATE "C" LIMIT \(limit)
            """
        ).map(OutboxMessage.init(postgres:))
    }

    /// The earliest next attempt among undelivered messages, or nil when there are none.
    public func nextMailDue() async throws -> Date? {
        try Self.scalar(
            try await query(
                "SELECT MIN(next_attempt_at) FROM \(unescaped: schema).mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL"),
            as: Date?.self) ?? nil
    }

    /// Marks a message delivered and drops its content.
    public func markMailSent(id: String, at now: Date) async throws {
        try await query(
            "UPDATE \(unescaped: schema).mail_outbox SET sent_at = \(now), message = ''::bytea, last_error = NULL WHERE id = \(id)")
    }

    /// Records a failed attempt: retried at `retryAt`, or given up (content dropped) when `retryAt` is nil.
    /// - Parameter error: a short description of the failure, without message content (at most
    ///   500 characters are kept; U+0000, which `text` cannot hold, is dropped).
    public func markMailAttemptFailed(id: String, error: String, retryAt: Date?, at now: Date) async throws {
        let error = String(error.prefix(500)).replacingOccurrences(of: "\0", with: "")
        if let retryAt {
            try await query(
                """
                UPDATE \(unescaped: schema).mail_outbox SET attempts = attempts + 1, next_attempt_at = \(retryAt), last_error = \(error)
                WHERE id = \(id)
                """)
        } else {
            try await query(
                """
                UPDATE \(unescaped: schema).mail_outbox SET attempts = attempts + 1, failed_at = \(now), last_error = \(error),
                message = ''::bytea WHERE id = \(id)
                """)
        }
    }

    /// The outbox, newest first, with message content left out (for the admin API and tests).
    public func outbox(limit: Int) async throws -> [OutboxMessage] {
        try await query(
            """
            SELECT id, template, recipient, envelope_from, subject, ''::bytea AS message, attempts, next_attempt_at, sent_at,
            failed_at, last_error, created_at FROM \(unescaped: schema).mail_outbox ORDER BY id COLLATE "C" DESC LIMIT \(limit)
            """
        ).map(OutboxMessage.init(postgres:))
    }

    /// Deletes sent and failed messages older than `before`.
    public func purgeMail(before: Date) async throws {
        try await query(
            """
            DELETE FROM \(unescaped: schema).mail_outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL) AND created_at < \(before)
            """)
    }
}
