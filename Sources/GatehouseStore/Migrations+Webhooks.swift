import GRDB

extension Migrations {
    /// Webhooks (docs/contract.md A9): `webhook_endpoints` (secrets sealed with the master key),
    /// the delivery outbox `webhook_deliveries`, and `webhook_cursor`, one row holding the sequence
    /// of the last event dispatched (starting at the audit log's head, so that no event from before
    /// webhooks existed is sent).
    static func registerWebhookMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-06-webhooks-v1") { db in
            try db.create(table: "webhook_endpoints") { t in
                t.primaryKey("id", .text)
                t.column("url", .text).notNull()
                t.column("events", .jsonText).notNull()
                t.column("enabled", .boolean).notNull()
                t.column("description", .text).notNull().defaults(to: "")
                t.column("sealed_secret", .blob).notNull()
                t.column("sealed_previous_secret", .blob)
                t.column("previous_secret_expires_at", .datetime)
                t.column("failing_since", .datetime)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "webhook_deliveries") { t in
                t.primaryKey("id", .text)
                t.column("endpoint_id", .text).notNull().references("webhook_endpoints", onDelete: .cascade)
                t.column("event_id", .text).notNull()
                t.column("event_type", .text).notNull()
                t.column("payload", .blob).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("status", .text).notNull()
                t.column("next_attempt_at", .datetime)
                t.column("last_response_status", .integer)
                t.column("last_error", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("delivered_at", .datetime)
            }
            try db.create(index: "webhook_deliveries_due", on: "webhook_deliveries", columns: ["status", "next_attempt_at"])
            try db.create(index: "webhook_deliveries_endpoint", on: "webhook_deliveries", columns: ["endpoint_id", "id"])
            try db.create(table: "webhook_cursor") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("after_seq", .integer).notNull()
            }
            try db.execute(sql: "INSERT INTO webhook_cursor (id, after_seq) SELECT 1, head_seq FROM audit_chain WHERE id = 1")
            try db.execute(sql: "INSERT OR IGNORE INTO webhook_cursor (id, after_seq) VALUES (1, 0)")
        }
    }
}
