import Foundation
import GatehouseCore
import NIOCore
import PostgresNIO

/// The back-channel logout outbox of one tenant on PostgreSQL (`LogoutDeliveryStore`), as
/// `TenantDatabase+BackchannelLogout.swift` does on SQLite: rows queued in the transaction that
/// ends the session, claimed with `FOR UPDATE SKIP LOCKED` and a lease, so that several nodes never
/// send one delivery at once.
extension PostgresTenantDatabase: LogoutDeliveryStore {
    /// Queues, on `connection` (the session-ending transaction) and before the sessions are marked
    /// revoked, one logout delivery per (live session ending, client with a
    /// `backchannel_logout_uri` that obtained a grant under it) (Back-Channel Logout §2.7).
    func queueBackchannelLogouts(_ ending: TenantDatabase.EndingSessions, at now: Date, on connection: PostgresConnection) async throws {
        let select = """
            SELECT DISTINCT s.id AS session_id, s.user_id AS user_id, g.client_id AS client_id
            FROM \(schema).sessions s JOIN \(schema).grants g ON g.session_id = s.id JOIN \(schema).clients c ON c.client_id = g.client_id
            WHERE s.revoked_at IS NULL AND c.backchannel_logout_uri IS NOT NULL
            """
        let rows: [PostgresRow]
        switch ending {
        case .session(let id):
            rows = try await run("\(unescaped: select) AND s.id = \(id.rawValue) ORDER BY 1, 3", on: connection)
        case .user(let user, let keep):
            rows = try await run(
                "\(unescaped: select) AND s.user_id = \(user.rawValue) AND s.id <> \(keep?.rawValue ?? "") ORDER BY 1, 3", on: connection)
        }
        for row in rows {
            let r = PostgresRowReader(row)
            guard let user = UserID(rawValue: try r("user_id")), let session = SessionID(rawValue: try r("session_id")) else { continue }
            try await run(logoutDeliveryInsert(.new(clientID: try r("client_id"), userID: user, sessionID: session, at: now)), on: connection)
        }
    }

    func logoutDeliveryInsert(_ d: LogoutDelivery) -> PostgresQuery {
        insert(
            into: "logout_deliveries", columns: LogoutDelivery.columns,
            values: PostgresBindings([
                d.id.rawValue, d.clientID, d.userID.rawValue, d.sessionID.rawValue, d.jti, Int64(d.attempts), d.status.rawValue,
                d.nextAttemptAt.map(PostgresTimestamp.init), d.lastResponseStatus.map { Int64($0) }, d.lastError,
                PostgresTimestamp(d.createdAt), PostgresTimestamp(d.updatedAt), d.deliveredAt.map(PostgresTimestamp.init),
            ]))
    }

    static func logoutDelivery(_ row: PostgresRow) throws -> LogoutDelivery {
        let r = PostgresRowReader(row)
        guard let id = LogoutDeliveryID(rawValue: try r("id")), let user = UserID(rawValue: try r("user_id")),
            let session = SessionID(rawValue: try r("session_id"))
        else {
            throw StoreError.unavailable("a logout delivery has a malformed id")
        }
        let attempts: Int64 = try r("attempts")
        let status: Int64? = try r("last_response_status")
        return LogoutDelivery(
            id: id, clientID: try r("client_id"), userID: user, sessionID: session, jti: try r("jti"), attempts: Int(attempts),
            status: LogoutDelivery.Status(rawValue: try r("status")) ?? .failed, nextAttemptAt: try r.optionalDate("next_attempt_at"),
            lastResponseStatus: status.map { Int($0) }, lastError: try r("last_error"), createdAt: try r.date("created_at"),
            updatedAt: try r.date("updated_at"), deliveredAt: try r.optionalDate("delivered_at"))
    }

    public func claimDueLogoutDeliveries(at now: Date, limit: Int, lease: TimeInterval) async throws -> [LogoutDelivery] {
        let columns = LogoutDelivery.columns.replacingOccurrences(of: "next_attempt_at", with: "was AS next_attempt_at")
        return try await query(
            """
            WITH due AS (
                SELECT id, next_attempt_at AS was FROM \(unescaped: schema).logout_deliveries
                WHERE status = 'pending' AND next_attempt_at <= \(PostgresTimestamp(now))
                ORDER BY next_attempt_at, id COLLATE "C" LIMIT \(limit) FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE \(unescaped: schema).logout_deliveries AS d SET next_attempt_at = \(PostgresTimestamp(now.addingTimeInterval(lease)))
                FROM due WHERE d.id = due.id RETURNING d.*, due.was)
            SELECT \(unescaped: columns) FROM claimed ORDER BY was, id COLLATE "C"
            """
        ).map(Self.logoutDelivery)
    }

    public func recordLogoutAttempt(id: LogoutDeliveryID, _ attempt: WebhookAttempt, at now: Date) async throws {
        let status: LogoutDelivery.Status = attempt.delivered ? .delivered : (attempt.retryAt == nil ? .failed : .pending)
        let error = attempt.error.map { String($0.prefix(500)).replacingOccurrences(of: "\0", with: "") }
        let next = status == .pending ? attempt.retryAt.map(PostgresTimestamp.init) : nil
        let delivered = attempt.delivered ? PostgresTimestamp(now) : nil
        try await query(
            """
            UPDATE \(unescaped: schema).logout_deliveries SET attempts = attempts + 1, status = \(status.rawValue), next_attempt_at = \(next),
            last_response_status = \(attempt.responseStatus.map { Int64($0) }), last_error = \(error), updated_at = \(PostgresTimestamp(now)),
            delivered_at = \(delivered) WHERE id = \(id.rawValue)
            """)
    }

    public func nextLogoutDeliveryDue() async throws -> Date? {
        let rows = try await query(
            "SELECT MIN(next_attempt_at) AS due FROM \(unescaped: schema).logout_deliveries WHERE status = 'pending'")
        return try rows.first.flatMap { try PostgresRowReader($0).optionalDate("due") }
    }

    public func logoutDeliveries(sessionID: SessionID) async throws -> [LogoutDelivery] {
        guard !Self.hasNUL(sessionID.rawValue) else { return [] }
        return try await query(
            """
            SELECT \(unescaped: LogoutDelivery.columns) FROM \(unescaped: schema).logout_deliveries
            WHERE session_id = \(sessionID.rawValue) ORDER BY id COLLATE "C"
            """
        ).map(Self.logoutDelivery)
    }

    public func purgeLogoutDeliveries(before cutoff: Date) async throws {
        try await query(
            """
            DELETE FROM \(unescaped: schema).logout_deliveries WHERE status <> 'pending' AND created_at < \(PostgresTimestamp(cutoff))
            """)
    }
}
