import Foundation
import GRDB
import GatehouseCore

extension AuditEvent {
    static let columns =
        "seq, id, occurred_at_ms, type, actor_type, actor_id, target_type, target_id, user_id, organization_id, ip, user_agent, data, changes, prev_hash, hash"

    /// The entry from its stored fields; `changes` is a JSON array of strings.
    init(sequence: Int64, id: String, occurredAtMilliseconds: Int64, fields f: [String?], dataText: String, changes: String, prev: String, hash: String) {
        let changeNames = (try? JSONDecoder().decode([String].self, from: Data(changes.utf8))) ?? []
        let data = (try? JSONDecoder().decode(JSONValue.self, from: Data(dataText.utf8))) ?? .object([:])
        let draft = AuditDraft(
            type: f[0] ?? "", actor: AuditActor(type: f[1] ?? "", id: f[2]), targetType: f[3], targetID: f[4], userID: f[5],
            organizationID: f[6], ip: f[7], userAgent: f[8], data: data, changes: changeNames)
        self.init(
            sequence: sequence, id: id, occurredAtMilliseconds: occurredAtMilliseconds, draft: draft, dataText: dataText,
            previousHash: prev, hash: hash)
    }

    init(row: Row) {
        self.init(
            sequence: row["seq"], id: row["id"], occurredAtMilliseconds: row["occurred_at_ms"],
            fields: [
                row["type"], row["actor_type"], row["actor_id"], row["target_type"], row["target_id"], row["user_id"],
                row["organization_id"], row["ip"], row["user_agent"],
            ], dataText: row["data"], changes: row["changes"], prev: row["prev_hash"], hash: row["hash"])
    }

    /// The stored values, in ``columns`` order.
    var storedValues: SQLArguments {
        let d = draft
        return [
            sequence, id, occurredAtMilliseconds, d.type, d.actor.type, d.actor.id, d.targetType, d.targetID, d.userID,
            d.organizationID, d.ip, d.userAgent, dataText, JSONValue.array(d.changes.map(JSONValue.string)).sortedText,
            previousHash, hash,
        ]
    }
}

/// The audit log of one tenant on SQLite (`AuditStore`): appends run in the write transaction,
/// which already orders every writer of the file.
extension TenantDatabase {
    @discardableResult
    public func appendAudit(_ draft: AuditDraft, at now: Date) async throws -> AuditEvent {
        try await pool.base.write { db in try Self.appendAudit(draft, at: now, db: db) }
    }

    /// Appends `draft` in the caller's write transaction.
    static func appendAudit(_ draft: AuditDraft, at now: Date, db: Database) throws -> AuditEvent {
        let state = try chainState(db)
        let event = AuditChain.seal(draft, after: state, at: now)
        try db.execute(
            cached: "INSERT INTO audit_events (\(AuditEvent.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            arguments: event.storedValues)
        try db.execute(cached: "UPDATE audit_chain SET head_seq = ?, head_hash = ? WHERE id = 1", arguments: [event.sequence, event.hash])
        return event
    }

    static func chainState(_ db: Database) throws -> AuditChainState {
        guard let row = try Row.fetchOne(db, sql: "SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1") else {
            return .empty
        }
        return AuditChainState(headSequence: row["head_seq"], headHash: row["head_hash"], anchorSequence: row["anchor_seq"], anchorHash: row["anchor_hash"])
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        var conditions: [String] = []
        var arguments: SQLArguments = []
        func add(_ sql: String, _ value: (any SQLBindable)?) {
            guard let value else { return }
            conditions.append(sql)
            arguments += [value]
        }
        add("seq < ?", query.before)
        add("occurred_at_ms >= ?", query.since.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) })
        add("occurred_at_ms < ?", query.until.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) })
        add("actor_id = ?", query.actorID)
        add("type = ?", query.type)
        add("user_id = ?", query.userID)
        add("organization_id = ?", query.organizationID)
        add("target_type = ?", query.targetType)
        add("target_id = ?", query.targetID)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [query.limit]
        let bound = arguments
        return try await pool.read { db in
            try Row.fetchAll(
                // Not cached: the filter has hundreds of shapes.
                db, sql: "SELECT \(AuditEvent.columns) FROM audit_events \(filter) ORDER BY seq DESC LIMIT ?",
                arguments: bound.statementArguments
            ).map(AuditEvent.init(row:))
        }
    }

    public func auditEvent(id: String) async throws -> AuditEvent? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(AuditEvent.columns) FROM audit_events WHERE id = ?", arguments: [id]).map(AuditEvent.init(row:))
        }
    }

    public func auditEvents(afterSequence sequence: Int64, limit: Int) async throws -> [AuditEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(AuditEvent.columns) FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, limit]
            ).map(AuditEvent.init(row:))
        }
    }

    public func auditChainState() async throws -> AuditChainState {
        try await pool.read { db in try Self.chainState(db) }
    }

    @discardableResult
    public func pruneAudit(before cutoff: Date, at now: Date) async throws -> Int {
        let millis = Int64((cutoff.timeIntervalSince1970 * 1000).rounded())
        return try await pool.base.write { db in
            // The last entry before the cutoff (never the head: the chain keeps at least one entry).
            guard
                let last = try Row.fetchOne(
                    db,
                    cached: """
                        SELECT seq, hash FROM audit_events WHERE occurred_at_ms < ? AND seq < (SELECT head_seq FROM audit_chain)
                        ORDER BY seq DESC LIMIT 1
                        """,
                    arguments: [millis])
            else { return 0 }
            let seq: Int64 = last["seq"]
            let hash: String = last["hash"]
            try db.execute(cached: "DELETE FROM audit_events WHERE seq <= ?", arguments: [seq])
            let deleted = db.changesCount
            try db.execute(cached: "UPDATE audit_chain SET anchor_seq = ?, anchor_hash = ? WHERE id = 1", arguments: [seq, hash])
            _ = try Self.appendAudit(AuditChain.checkpoint(throughSequence: seq, hash: hash, count: deleted), at: now, db: db)
            return deleted
        }
    }
}
