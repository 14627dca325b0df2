import Foundation

/// A tenant's audit log (docs/contract.md A9): append-only entries in a SHA-256 hash chain, in
/// the tenant's own database.
public protocol AuditStore: Sendable {
    /// Appends an entry after the chain's head, atomically with reading the head (SQLite: the
    /// write transaction; PostgreSQL: the chain row's lock, so several nodes append in one order).
    /// - Returns: the sealed entry.
    @discardableResult
    func appendAudit(_ draft: AuditDraft, at now: Date) async throws -> AuditEvent
    /// Entries matching `query`, newest first, at most `query.limit`.
    func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent]
    /// The entry whose id is `id` (`evt_…`), or nil when this tenant's log has none (another
    /// tenant's entry, a pruned one, or no such id).
    func auditEvent(id: String) async throws -> AuditEvent?
    /// Entries with a sequence above `sequence`, oldest first, at most `limit` (verification and
    /// consumers that follow the log, such as webhook dispatch).
    func auditEvents(afterSequence sequence: Int64, limit: Int) async throws -> [AuditEvent]
    /// The chain's head and pruning anchor.
    func auditChainState() async throws -> AuditChainState
    /// Deletes the entries that occurred before `cutoff`, keeping the chain verifiable: the last
    /// pruned entry becomes the anchor, and an `audit.checkpoint` entry naming it is appended.
    /// - Returns: how many entries were deleted (no checkpoint when 0).
    @discardableResult
    func pruneAudit(before cutoff: Date, at now: Date) async throws -> Int
}

extension AuditStore {
    /// Verifies the whole chain, page by page from the pruning anchor to the head: the first
    /// entry that was modified, inserted or deleted, or a head that is missing (`truncated`).
    public func verifyAudit(pageSize: Int = 500) async throws -> AuditChain.Verification {
        let state = try await auditChainState()
        var last = (sequence: state.anchorSequence, hash: state.anchorHash)
        var result = AuditChain.Verification(checked: 0, firstProblem: nil)
        while true {
            let page = try await auditEvents(afterSequence: last.sequence, limit: pageSize)
            let (checked, next) = AuditChain.verify(page, after: last, checkedBefore: result.checked)
            result = checked
            if !result.ok || page.isEmpty { break }
            last = next
        }
        if result.ok, last.sequence != state.headSequence {
            result.firstProblem = .init(
                sequence: min(last.sequence, state.headSequence) + 1, id: nil, kind: last.sequence < state.headSequence ? "deleted" : "inserted",
                detail: "the chain ends at \(last.sequence) but its recorded head is \(state.headSequence)")
        } else if result.ok, last.hash != state.headHash {
            result.firstProblem = .init(
                sequence: last.sequence, id: nil, kind: "modified", detail: "the last entry does not match the recorded head hash")
        }
        return result
    }
}
