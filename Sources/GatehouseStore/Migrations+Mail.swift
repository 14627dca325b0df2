import GRDB

extension Migrations {
    /// Email: the durable outbox and template overrides.
    static func registerMailMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-11-29-tenant-mail-v1") { db in
            // One row per message, from enqueue until it is sent or given up. `message` holds the
            // complete RFC 5322 bytes (CRLF) until the message is sent or has failed, then is emptied:
            // it contains links and codes that must not outlive their delivery.
            try db.create(table: "mail_outbox") { t in
                t.primaryKey("id", .text)
                t.column("template", .text)
                t.column("recipient", .text).notNull()
                t.column("envelope_from", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("message", .blob).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("next_attempt_at", .datetime).notNull()
                t.column("sent_at", .datetime)
                t.column("failed_at", .datetime)
                t.column("last_error", .text)
                t.column("created_at", .datetime).notNull().indexed()
            }
            // The delivery worker's query: unsent, not given up, by due time.
            try db.execute(
                sql: """
                    CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL
                    """)
            // A tenant's overrides of the default page and email templates, by name (`page/login`,
            // `email/verify`). Pages use `body`; emails use `subject`, `text_body` and `html_body`.
            try db.create(table: "template_overrides") { t in
                t.primaryKey("name", .text)
                t.column("body", .text)
                t.column("subject", .text)
                t.column("text_body", .text)
                t.column("html_body", .text)
                t.column("updated_at", .datetime).notNull()
            }
        }
    }
}
