import GRDB

extension Migrations {
    /// The audit log (docs/contract.md A9): `audit_events`, append-only entries in a SHA-256 chain
    /// (`seq` 1, 2, 3…), and `audit_chain`, one row with the chain's head and its pruning anchor.
    static func registerAuditMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-06-audit-v1") { db in
            try db.create(table: "audit_events") { t in
                t.primaryKey("seq", .integer)
                t.column("id", .text).notNull().unique()
                t.column("occurred_at_ms", .integer).notNull().indexed()
                t.column("type", .text).notNull()
                t.column("actor_type", .text).notNull()
                t.column("actor_id", .text)
                t.column("target_type", .text)
                t.column("target_id", .text)
                t.column("user_id", .text).indexed()
                t.column("organization_id", .text)
                t.column("ip", .text)
                t.column("user_agent", .text)
                t.column("data", .text).notNull()
                t.column("changes", .text).notNull()
                t.column("prev_hash", .text).notNull()
                t.column("hash", .text).notNull()
            }
            try db.create(table: "audit_chain") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("head_seq", .integer).notNull()
                t.column("head_hash", .text).notNull()
                t.column("anchor_seq", .integer).notNull()
                t.column("anchor_hash", .text).notNull()
            }
            let genesis = String(repeating: "0", count: 64)
            try db.execute(
                sql: "INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash) VALUES (1, 0, ?, 0, ?)",
                arguments: [genesis, genesis])
        }
    }
}
