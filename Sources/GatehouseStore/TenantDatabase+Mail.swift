import Foundation
import GatehouseCore
import GRDB
import Synchronization

extension OutboxMessage {
    static let columns = """
        id, template, recipient, envelope_from, subject, message, attempts, next_attempt_at, sent_at, failed_at, last_error, created_at
        """

    init(row: Row) {
        self.init(
            id: row["id"], template: row["template"], recipient: row["recipient"], envelopeFrom: row["envelope_from"],
            subject: row["subject"], message: row.bytes("message") ?? [], attempts: row["attempts"],
            nextAttemptAt: row.date("next_attempt_at"), sentAt: row.optionalDate("sent_at"), failedAt: row.optionalDate("failed_at"),
            lastError: row["last_error"], createdAt: row.date("created_at"))
    }
}

// MARK: - Outbox

extension TenantDatabase {
    /// Stores a message in the outbox, due at once. Use `InstanceStore.enqueueMail(_:in:)`, which
    /// also records the tenant in the instance's pending-mail index.
    func insertOutboxMessage(_ message: OutboxMessage) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO mail_outbox (\(OutboxMessage.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                arguments: [
                    message.id, message.template, message.recipient, message.envelopeFrom, message.subject, Data(message.message),
                    message.attempts, message.nextAttemptAt, message.sentAt, message.failedAt, message.lastError, message.createdAt,
                ])
        }
    }

    /// Messages due for delivery at `now` (unsent, not given up), oldest first.
    public func dueMail(at now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                cached: """
                    SELECT \(OutboxMessage.columns) FROM mail_outbox
                    WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [now, limit]
            ).map(OutboxMessage.init(row:))
        }
    }

    /// The earliest next attempt among undelivered messages, or nil when there are none.
    public func nextMailDue() async throws -> Date? {
        try await pool.read { db in
            try StoredDate.fetchOne(db, cached: "SELECT MIN(next_attempt_at) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL")?.date
        }
    }

    /// Marks a message delivered and drops its content.
    public func markMailSent(id: String, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "UPDATE mail_outbox SET sent_at = ?, message = x'', last_error = NULL WHERE id = ?", arguments: [now, id])
        }
    }

    /// Records a failed attempt: retried at `retryAt`, or given up (content dropped) when `retryAt` is nil.
    /// - Parameter error: a short description of the failure, without message content.
    public func markMailAttemptFailed(id: String, error: String, retryAt: Date?, at now: Date) async throws {
        let error = String(error.prefix(500))
        try await pool.write { db in
            if let retryAt {
                try db.execute(
                    cached: "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                    arguments: [retryAt, error, id])
            } else {
                try db.execute(
                    cached: """
                        UPDATE mail_outbox SET attempts = attempts + 1, failed_at = ?, last_error = ?, message = x'' WHERE id = ?
                        """, arguments: [now, error, id])
            }
        }
    }

    /// The outbox, newest first, with message content left out (for the admin API and tests).
    public func outbox(limit: Int) async throws -> [OutboxMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                cached: """
                    SELECT id, template, recipient, envelope_from, subject, x'' AS message, attempts, next_attempt_at, sent_at, failed_at,
                    last_error, created_at FROM mail_outbox ORDER BY id DESC LIMIT ?
                    """, arguments: [limit]
            ).map(OutboxMessage.init(row:))
        }
    }

    /// Deletes sent and failed messages older than `before`.
    public func purgeMail(before: Date) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "DELETE FROM mail_outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL) AND created_at < ?",
                arguments: [before])
        }
    }
}

// MARK: - Template overrides

extension TenantDatabase {
    /// Every template override of the tenant, from the tenant's cache (one read on first use).
    ///
    /// Synchronous so that page rendering can stay synchronous; the first call per tenant reads
    /// one small table. A read failure yields no overrides (the defaults render).
    public func templateOverrides() -> TemplateOverrideSet {
        if let cached = caches.templateOverrides.withLock({ $0 }) { return cached }
        let loaded = (try? pool.read { db in try Self.fetchTemplateOverrides(db) }) ?? [:]
        let set = TemplateOverrideSet(loaded)
        return caches.templateOverrides.withLock { current in
            if let current { return current }
            current = set
            return set
        }
    }

    /// Creates or replaces an override, effective for the next render, recorded as a version by `author`.
    public func saveTemplateOverride(_ override: TemplateOverride, author: String) async throws {
        let caches = self.caches
        try await pool.write { db in
            try Self.recordTemplateVersion(db, name: override.name, parts: override, author: author, at: override.updatedAt)
            try db.execute(
                cached: """
                    INSERT INTO template_overrides (name, body, subject, text_body, html_body, updated_at) VALUES (?,?,?,?,?,?)
                    ON CONFLICT(name) DO UPDATE SET body = excluded.body, subject = excluded.subject, text_body = excluded.text_body,
                    html_body = excluded.html_body, updated_at = excluded.updated_at
                    """, arguments: [override.name, override.body, override.subject, override.text, override.html, override.updatedAt])
            // Replaced inside the write transaction, so concurrent changes land in commit order.
            let set = TemplateOverrideSet(try Self.fetchTemplateOverrides(db))
            caches.templateOverrides.withLock { $0 = set }
        }
    }

    /// Deletes an override (the default applies again), recorded as a version by `author` when there was one.
    /// - Returns: whether there was one.
    @discardableResult
    public func deleteTemplateOverride(named name: String, author: String, at now: Date) async throws -> Bool {
        let caches = self.caches
        return try await pool.write { db in
            try db.execute(cached: "DELETE FROM template_overrides WHERE name = ?", arguments: [name])
            let deleted = db.changesCount > 0
            if deleted { try Self.recordTemplateVersion(db, name: name, parts: nil, author: author, at: now) }
            let set = TemplateOverrideSet(try Self.fetchTemplateOverrides(db))
            caches.templateOverrides.withLock { $0 = set }
            return deleted
        }
    }

    /// The versions of `name`, newest first, at most `limit`.
    public func templateVersions(named name: String, limit: Int) async throws -> [TemplateVersion] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT * FROM template_versions WHERE name = ? ORDER BY id DESC LIMIT ?", arguments: [name, max(0, limit)]
            ).map(Self.templateVersion)
        }
    }

    public func templateVersion(id: Int64) async throws -> TemplateVersion? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT * FROM template_versions WHERE id = ?", arguments: [id]).map(Self.templateVersion)
        }
    }

    /// Appends a version of `name` (`parts` nil: back to the default) and drops the ones beyond
    /// `TemplateVersion.keptPerTemplate`.
    static func recordTemplateVersion(_ db: Database, name: String, parts: TemplateOverride?, author: String, at now: Date) throws {
        try db.execute(
            cached: """
                INSERT INTO template_versions (name, body, subject, text_body, html_body, author, created_at) VALUES (?,?,?,?,?,?,?)
                """, arguments: [name, parts?.body, parts?.subject, parts?.text, parts?.html, author, now])
        try db.execute(
            cached: """
                DELETE FROM template_versions WHERE name = ? AND id <= (SELECT id FROM template_versions WHERE name = ?
                ORDER BY id DESC LIMIT 1 OFFSET ?)
                """, arguments: [name, name, TemplateVersion.keptPerTemplate])
    }

    static func templateVersion(_ row: Row) -> TemplateVersion {
        TemplateVersion(
            id: row["id"], name: row["name"], body: row["body"], subject: row["subject"], text: row["text_body"], html: row["html_body"],
            author: row["author"], createdAt: row.date("created_at"))
    }

    static func fetchTemplateOverrides(_ db: Database) throws -> [String: TemplateOverride] {
        var result: [String: TemplateOverride] = [:]
        for row in try Row.fetchAll(db, cached: "SELECT name, body, subject, text_body, html_body, updated_at FROM template_overrides") {
            let o = TemplateOverride(
                name: row["name"], body: row["body"], subject: row["subject"], text: row["text_body"],
                html: row["html_body"], updatedAt: row.date("updated_at"))
            result[o.name] = o
        }
        return result
    }
}
