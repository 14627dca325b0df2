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
    /// Stores a message in the outbox (tests; the instance store runs `outboxInsert` in the
    /// transaction that also records the tenant in its pending-mail index).
    func insertOutboxMessage(_ m: OutboxMessage) async throws {
        try await query(try Self.outboxInsert(m, schema: schema))
    }

    /// The statement that stores `m` in the outbox of `schema` (a quoted tenant schema).
    static func outboxInsert(_ m: OutboxMessage, schema: String) throws -> PostgresQuery {
        try """
        INSERT INTO \(unescaped: schema).mail_outbox (\(unescaped: OutboxMessage.columns)) VALUES (\(m.id), \(m.template), \
        \(m.recipient), \(m.envelopeFrom), \(m.subject), \(Data(m.message)), \(m.attempts), \(m.nextAttemptAt), \(m.sentAt), \
        \(m.failedAt), \(m.lastError), \(m.createdAt))
        """
    }

    /// How long a message returned by `dueMail` stays claimed by the node that read it, in
    /// seconds: long enough to send it, short enough that a node that died while sending leaves it
    /// to another soon.
    public static let mailClaimLease: TimeInterval = 120

    /// Messages due for delivery at `now` (unsent, not given up), oldest first, each claimed by
    /// this call: its next attempt moves `mailClaimLease` seconds ahead in the same statement, and
    /// rows another node is claiming are skipped (`FOR UPDATE SKIP LOCKED`), so two nodes never
    /// send one message. Marking it sent or failed ends the claim; a node that dies leaves it due
    /// again when the lease ends. The messages carry their due time from before the claim.
    public func dueMail(at now: Date, limit: Int) async throws -> [OutboxMessage] {
        let lease = now.addingTimeInterval(Self.mailClaimLease)
        let columns = OutboxMessage.columns.replacingOccurrences(of: "next_attempt_at", with: "was AS next_attempt_at")
        return try await query(
            """
            WITH due AS (
                SELECT id, next_attempt_at AS was FROM \(unescaped: schema).mail_outbox
                WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= \(now)
                ORDER BY next_attempt_at, id COLLATE "C" LIMIT \(limit) FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE \(unescaped: schema).mail_outbox AS m SET next_attempt_at = \(lease) FROM due WHERE m.id = due.id
                RETURNING m.*, due.was)
            SELECT \(unescaped: columns) FROM claimed ORDER BY was, id COLLATE "C"
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
