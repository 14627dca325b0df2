import Foundation
import GatehouseCore
import GRDB

extension LogoutDelivery {
    static let columns = """
        id, client_id, user_id, session_id, jti, attempts, status, next_attempt_at, last_response_status, last_error, \
        created_at, updated_at, delivered_at
        """
}

/// The back-channel logout outbox of one tenant on SQLite (`LogoutDeliveryStore`; OpenID Connect
/// Back-Channel Logout 1.0 §2.5). The single writer orders everything; a claim still moves the
/// claimed rows' next attempt ahead, as on PostgreSQL.
extension TenantDatabase: LogoutDeliveryStore {
    /// Which live sessions a session-ending call ends, as a condition on `sessions s`.
    enum EndingSessions {
        case session(SessionID)
        case user(UserID, keep: SessionID?)

        var condition: (sql: String, arguments: SQLArguments) {
            switch self {
            case .session(let id): ("s.id = ?", [id.rawValue])
            case .user(let user, let keep): ("s.user_id = ? AND s.id != ?", [user.rawValue, keep?.rawValue ?? ""])
            }
        }
    }

    /// Queues, in the caller's transaction and before it marks the sessions revoked, one logout
    /// delivery per (live session ending, client with a `backchannel_logout_uri` that obtained a
    /// grant under it) — Back-Channel Logout §2.7: every RP the OP knows to have a session with the
    /// ending one. Grants revoked earlier count too: the RP may still hold the session.
    /// - Returns: how many deliveries were queued.
    @discardableResult
    static func queueBackchannelLogouts(_ ending: EndingSessions, at now: Date, db: Database) throws -> Int {
        let (condition, arguments) = ending.condition
        let rows = try Row.fetchAll(
            db,
            cached: """
                SELECT DISTINCT s.id AS session_id, s.user_id AS user_id, g.client_id AS client_id
                FROM sessions s JOIN grants g ON g.session_id = s.id JOIN clients c ON c.client_id = g.client_id
                WHERE s.revoked_at IS NULL AND c.backchannel_logout_uri IS NOT NULL AND \(condition)
                ORDER BY s.id, g.client_id
                """, arguments: arguments)
        for row in rows {
            guard let user = UserID(rawValue: row["user_id"]), let session = SessionID(rawValue: row["session_id"]) else { continue }
            try insertLogoutDelivery(.new(clientID: row["client_id"], userID: user, sessionID: session, at: now), db)
        }
        return rows.count
    }

    static func insertLogoutDelivery(_ d: LogoutDelivery, _ db: Database) throws {
        try db.execute(
            cached: "INSERT INTO logout_deliveries (\(LogoutDelivery.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            arguments: [
                d.id.rawValue, d.clientID, d.userID.rawValue, d.sessionID.rawValue, d.jti, d.attempts, d.status.rawValue, d.nextAttemptAt,
                d.lastResponseStatus, d.lastError, d.createdAt, d.updatedAt, d.deliveredAt,
            ])
    }

    static func logoutDelivery(row: Row) -> LogoutDelivery? {
        guard let id = LogoutDeliveryID(rawValue: row["id"]), let user = UserID(rawValue: row["user_id"]),
            let session = SessionID(rawValue: row["session_id"])
        else { return nil }
        return LogoutDelivery(
            id: id, clientID: row["client_id"], userID: user, sessionID: session, jti: row["jti"], attempts: row["attempts"],
            status: LogoutDelivery.Status(rawValue: row["status"]) ?? .failed, nextAttemptAt: row.optionalDate("next_attempt_at"),
            lastResponseStatus: row["last_response_status"], lastError: row["last_error"], createdAt: row.date("created_at"),
            updatedAt: row.date("updated_at"), deliveredAt: row.optionalDate("delivered_at"))
    }

    public func claimDueLogoutDeliveries(at now: Date, limit: Int, lease: TimeInterval) async throws -> [LogoutDelivery] {
        try await pool.write { db in
            let due = try Row.fetchAll(
                db,
                cached: """
                    SELECT \(LogoutDelivery.columns) FROM logout_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [now, limit]
            ).compactMap(Self.logoutDelivery(row:))
            for delivery in due {
                try db.execute(
                    cached: "UPDATE logout_deliveries SET next_attempt_at = ? WHERE id = ?",
                    arguments: [now.addingTimeInterval(lease), delivery.id.rawValue])
            }
            return due
        }
    }

    public func recordLogoutAttempt(id: LogoutDeliveryID, _ attempt: WebhookAttempt, at now: Date) async throws {
        let status: LogoutDelivery.Status = attempt.delivered ? .delivered : (attempt.retryAt == nil ? .failed : .pending)
        let error = attempt.error.map { String($0.prefix(500)) }
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE logout_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?, last_response_status = ?,
                    last_error = ?, updated_at = ?, delivered_at = ? WHERE id = ?
                    """,
                arguments: [
                    status.rawValue, status == .pending ? attempt.retryAt : nil, attempt.responseStatus, error, now,
                    attempt.delivered ? now : nil, id.rawValue,
                ])
        }
    }

    public func nextLogoutDeliveryDue() async throws -> Date? {
        try await pool.read { db in
            try StoredDate.fetchOne(db, cached: "SELECT MIN(next_attempt_at) FROM logout_deliveries WHERE status = 'pending'")?.date
        }
    }

    public func logoutDeliveries(sessionID: SessionID) async throws -> [LogoutDelivery] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(LogoutDelivery.columns) FROM logout_deliveries WHERE session_id = ? ORDER BY id",
                arguments: [sessionID.rawValue]
            ).compactMap(Self.logoutDelivery(row:))
        }
    }

    public func purgeLogoutDeliveries(before cutoff: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM logout_deliveries WHERE status != 'pending' AND created_at < ?", arguments: [cutoff])
        }
    }
}
