import Foundation
import GatehouseCore
import GRDB

/// The instance's index of tenants with undelivered mail (`mail_pending`), kept next to each
/// tenant's outbox so the delivery worker visits only those tenants.
///
/// The index and the outboxes are different SQLite files, so no transaction spans both. An entry
/// is never lost because of the order of the steps:
/// - enqueue: upsert the entry (bumping `version`), insert the message, upsert again;
/// - worker: read the entries with their `version`, deliver, then either move `due_at` or delete
///   the entry, each only if `version` is unchanged, and after a delete look at the outbox once
///   more and restore the entry if a message arrived meanwhile.
/// A crash between the insert and the second upsert is covered by the first one.
extension InstanceStore {
    /// Stores `message` in the tenant's outbox and records the tenant in the pending-mail index.
    /// - Parameter handle: the tenant's open storage (a `TenantDatabase` is written directly; another
    ///   handle's tenant is opened here).
    public func enqueueMail(_ message: OutboxMessage, in handle: any TenantHandle) async throws {
        let database: TenantDatabase
        if let open = handle as? TenantDatabase { database = open } else { database = try await self.database(for: handle.tenant) }
        let tenantID = database.tenant.id.rawValue
        try await markMailPending(tenantID, dueAt: message.nextAttemptAt)
        try await database.insertOutboxMessage(message)
        try await markMailPending(tenantID, dueAt: message.nextAttemptAt)
    }

    private func markMailPending(_ tenantID: String, dueAt: Date) async throws {
        try await instance.write { db in
            try db.execute(
                cached: """
                    INSERT INTO mail_pending (tenant_id, due_at, version) VALUES (?, ?, 1)
                    ON CONFLICT(tenant_id) DO UPDATE SET due_at = MIN(due_at, excluded.due_at), version = version + 1
                    """, arguments: [tenantID, dueAt])
        }
    }

    /// Tenants whose pending mail is due at `now` (all of them when `now` is nil), earliest first.
    public func tenantsWithPendingMail(dueBy now: Date?, limit: Int) async throws -> [PendingMail] {
        let rows = try await instance.read { db in
            try Row.fetchAll(
                db, cached: "SELECT tenant_id, due_at, version FROM mail_pending WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                arguments: [now ?? .distantFuture, limit]
            )
            .map { (id: $0["tenant_id"] as String, due: $0.date("due_at"), version: $0["version"] as Int) }
        }
        var result: [PendingMail] = []
        var orphans: [String] = []
        for row in rows {
            if let id = TenantID(rawValue: row.id), let tenant = resolve(id: id) {
                result.append(PendingMail(tenant: tenant, dueAt: row.due, version: row.version))
            } else {
                orphans.append(row.id)
            }
        }
        if !orphans.isEmpty {
            let orphans = orphans
            try await instance.write { db in
                for id in orphans { try db.execute(cached: "DELETE FROM mail_pending WHERE tenant_id = ?", arguments: [id]) }
            }
        }
        return result
    }

    /// The earliest `due_at` in the index, or nil when no tenant has pending mail.
    public func nextPendingMailDue() async throws -> Date? {
        try await instance.read { db in try StoredDate.fetchOne(db, cached: "SELECT MIN(due_at) FROM mail_pending")?.date }
    }

    /// Ends a delivery pass over one tenant: moves its entry to `nextDue`, or removes it when the
    /// outbox holds nothing undelivered (`nextDue == nil`). Does nothing if mail was enqueued
    /// since `pending` was read (the next pass handles it).
    public func finishMailPass(_ pending: PendingMail, nextDue: Date?) async throws {
        let tenantID = pending.tenant.id.rawValue
        let version = pending.version
        if let nextDue {
            try await instance.write { db in
                try db.execute(
                    cached: "UPDATE mail_pending SET due_at = ? WHERE tenant_id = ? AND version = ?",
                    arguments: [nextDue, tenantID, version])
            }
            return
        }
        let deleted = try await instance.write { db in
            try db.execute(cached: "DELETE FROM mail_pending WHERE tenant_id = ? AND version = ?", arguments: [tenantID, version])
            return db.changesCount > 0
        }
        guard deleted else { return }
        // A message enqueued between the worker's look at the outbox and the delete.
        if let due = try await database(for: pending.tenant).nextMailDue() {
            try await markMailPending(tenantID, dueAt: due)
        }
    }

    /// Postpones a tenant's entry (e.g. its database could not be opened).
    public func postponeMail(_ pending: PendingMail, until: Date) async throws {
        let tenantID = pending.tenant.id.rawValue
        try await instance.write { db in
            try db.execute(cached: "UPDATE mail_pending SET due_at = ? WHERE tenant_id = ?", arguments: [until, tenantID])
        }
    }

    /// Tenants with undelivered mail (the size of the `mail_pending` index), for `/metrics`.
    public func tenantsWithPendingMail() async throws -> Int {
        try await instance.read { db in try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM mail_pending") ?? 0 }
    }
}
