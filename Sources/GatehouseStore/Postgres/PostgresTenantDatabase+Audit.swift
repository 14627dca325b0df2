import Foundation
import GatehouseCore
import PostgresNIO

/// The audit log of one tenant on PostgreSQL (`AuditStore`), as `TenantDatabase+Audit.swift` does
/// on SQLite. Every append locks the `audit_chain` row first, so concurrent appends of several
/// nodes take turns and each follows the head it read.
extension PostgresTenantDatabase: AuditStore {
    @discardableResult
    public func appendAudit(_ draft: AuditDraft, at now: Date) async throws -> AuditEvent {
        try await transaction(audited: false) { connection in try await self.appendAudit(draft, at: now, on: connection) }
    }

    /// Appends `draft` in the caller's transaction.
    func appendAudit(_ draft: AuditDraft, at now: Date, on connection: PostgresConnection) async throws -> AuditEvent {
        let state = try await chainState(on: connection, lock: true)
        let event = AuditChain.seal(draft, after: state, at: now)
        let d = event.draft
        let changes = JSONValue.array(d.changes.map(JSONValue.string)).sortedText
        try await run(
            """
            INSERT INTO \(unescaped: schema).audit_events (\(unescaped: AuditEvent.columns)) VALUES (\(event.sequence), \(event.id),
            \(event.occurredAtMilliseconds), \(d.type), \(d.actor.type), \(d.actor.id), \(d.targetType), \(d.targetID), \(d.userID),
            \(d.organizationID), \(d.ip), \(d.userAgent), \(event.dataText), \(changes), \(event.previousHash), \(event.hash))
            """, on: connection)
        try await run(
            "UPDATE \(unescaped: schema).audit_chain SET head_seq = \(event.sequence), head_hash = \(event.hash) WHERE id = 1",
            on: connection)
        return event
    }

    func chainState(on connection: PostgresConnection, lock: Bool) async throws -> AuditChainState {
        let rows = try await run(
            """
            SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM \(unescaped: schema).audit_chain WHERE id = 1
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, on: connection)
        guard let row = rows.first else { return .empty }
        let r = PostgresRowReader(row)
        return AuditChainState(
            headSequence: try r("head_seq"), headHash: try r("head_hash"), anchorSequence: try r("anchor_seq"),
            anchorHash: try r("anchor_hash"))
    }

    static func auditEvent(_ row: PostgresRow) throws -> AuditEvent {
        let r = PostgresRowReader(row)
        let fields: [String?] = try [
            "type", "actor_type", "actor_id", "target_type", "target_id", "user_id", "organization_id", "ip", "user_agent",
        ].map { try r($0, as: String?.self) }
        return AuditEvent(
            sequence: try r("seq"), id: try r("id"), occurredAtMilliseconds: try r("occurred_at_ms"), fields: fields,
            dataText: try r("data"), changes: try r("changes"), prev: try r("prev_hash"), hash: try r("hash"))
    }

    public func auditEvents(_ q: AuditQuery) async throws -> [AuditEvent] {
        func millis(_ date: Date?) -> Int64? { date.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } }
        if Self.hasNUL(q.actorID, q.type, q.userID, q.organizationID, q.targetType, q.targetID) { return [] }
        return try await query(
            audited: false,
            """
            SELECT \(unescaped: AuditEvent.columns) FROM \(unescaped: schema).audit_events
            WHERE (\(q.before)::bigint IS NULL OR seq < \(q.before)) AND (\(millis(q.since))::bigint IS NULL OR occurred_at_ms >= \(millis(q.since)))
            AND (\(millis(q.until))::bigint IS NULL OR occurred_at_ms < \(millis(q.until)))
            AND (\(q.actorID)::text IS NULL OR actor_id = \(q.actorID)) AND (\(q.type)::text IS NULL OR type = \(q.type))
            AND (\(q.userID)::text IS NULL OR user_id = \(q.userID))
            AND (\(q.organizationID)::text IS NULL OR organization_id = \(q.organizationID))
            AND (\(q.targetType)::text IS NULL OR target_type = \(q.targetType)) AND (\(q.targetID)::text IS NULL OR target_id = \(q.targetID))
            ORDER BY seq DESC LIMIT \(q.limit)
            """
        ).map(Self.auditEvent)
    }

    public func auditEvent(id: String) async throws -> AuditEvent? {
        if Self.hasNUL(id) { return nil }
        return try await query(
            audited: false, "SELECT \(unescaped: AuditEvent.columns) FROM \(unescaped: schema).audit_events WHERE id = \(id)"
        ).first.map(Self.auditEvent)
    }

    public func auditEvents(afterSequence sequence: Int64, limit: Int) async throws -> [AuditEvent] {
        try await query(
            audited: false,
            """
            SELECT \(unescaped: AuditEvent.columns) FROM \(unescaped: schema).audit_events WHERE seq > \(sequence) ORDER BY seq LIMIT \(limit)
            """
        ).map(Self.auditEvent)
    }

    public func auditChainState() async throws -> AuditChainState {
        try await transaction(audited: false) { connection in try await self.chainState(on: connection, lock: false) }
    }

    @discardableResult
    public func pruneAudit(before cutoff: Date, at now: Date) async throws -> Int {
        let millis = Int64((cutoff.timeIntervalSince1970 * 1000).rounded())
        return try await transaction(audited: false) { connection in
            let state = try await self.chainState(on: connection, lock: true)
            guard
                let row = try await self.run(
                    """
                    SELECT seq, hash FROM \(unescaped: self.schema).audit_events
                    WHERE occurred_at_ms < \(millis) AND seq < \(state.headSequence) ORDER BY seq DESC LIMIT 1
                    """, on: connection
                ).first
            else { return 0 }
            let r = PostgresRowReader(row)
            let seq: Int64 = try r("seq")
            let hash: String = try r("hash")
            let deleted = try await self.run(
                "DELETE FROM \(unescaped: self.schema).audit_events WHERE seq <= \(seq) RETURNING seq", on: connection
            ).count
            try await self.run(
                "UPDATE \(unescaped: self.schema).audit_chain SET anchor_seq = \(seq), anchor_hash = \(hash) WHERE id = 1", on: connection)
            _ = try await self.appendAudit(AuditChain.checkpoint(throughSequence: seq, hash: hash, count: deleted), at: now, on: connection)
            return deleted
        }
    }
}
