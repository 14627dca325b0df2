import Foundation
import GRDB
import GatehouseCore

/// A tenant's SQLite pool whose write transactions also carry the audit entries of the change
/// running in the current task (`AuditRecorder.pending`, docs/architecture.md, Audit log): the
/// first write transaction that changes a row appends them before it commits, so that a change
/// and its entries commit or roll back together.
struct AuditedPool: Sendable {
    /// The pool itself; the audit log's own writes use it directly.
    let base: DatabasePool

    func read<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws -> T {
        try await base.read(value)
    }

    func read<T>(_ value: (Database) throws -> T) throws -> T {
        try base.read(value)
    }

    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        guard let pending = AuditRecorder.pending, pending.isWaiting else { return try await base.write(updates) }
        return try await base.write { db in
            let before = db.totalChangesCount
            let result = try updates(db)
            if db.totalChangesCount > before { try TenantDatabase.appendPending(pending, db: db) }
            return result
        }
    }
}

extension TenantDatabase {
    /// Appends `pending`'s drafts in the current write transaction, unless another transaction
    /// holds or recorded them; they count as recorded once it commits.
    static func appendPending(_ pending: AuditPending, db: Database) throws {
        guard let drafts = pending.claim() else { return }
        db.afterNextTransaction(onCommit: { _ in pending.commit() }, onRollback: { _ in pending.release() })
        for draft in drafts { _ = try appendAudit(draft, at: pending.now, db: db) }
    }
}
