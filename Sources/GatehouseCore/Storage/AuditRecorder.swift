import Foundation
import Synchronization

/// The audit entries of the change running in the current task, waiting for the write
/// transaction that makes the change (docs/architecture.md, Audit log).
///
/// A tenant database's write helper (SQLite `pool.write`, PostgreSQL `transaction` and single
/// statements) that changes something while a box is set ``claim()``s its drafts, appends them in
/// the same transaction, then calls ``commit()`` once it committed or ``release()`` once it rolled
/// back (so that a later write of the same change may carry them). Drafts no write claimed are
/// appended by ``AuditRecorder/recording(_:in:at:keepIf:_:)`` in their own transaction once the
/// body returned (a change that wrote nothing, such as a refused sign-in).
public final class AuditPending: Sendable {
    struct State {
        var drafts: [AuditDraft]
        var claimed = false
        var committed = false
    }

    let state: Mutex<State>
    /// The time the entries carry.
    public let now: Date

    public init(_ drafts: [AuditDraft], now: Date) {
        self.state = Mutex(State(drafts: drafts))
        self.now = now
    }

    /// Whether drafts wait for a write (none claimed or committed them yet).
    public var isWaiting: Bool { state.withLock { !$0.claimed && !$0.committed && !$0.drafts.isEmpty } }

    /// Whether a transaction committed the drafts.
    public var isCommitted: Bool { state.withLock { $0.committed } }

    /// The drafts, if no transaction holds or committed them yet; marks them held.
    public func claim() -> [AuditDraft]? {
        state.withLock { s in
            guard !s.claimed, !s.committed, !s.drafts.isEmpty else { return nil }
            s.claimed = true
            return s.drafts
        }
    }

    /// The transaction that held the drafts rolled back: they wait again.
    public func release() { state.withLock { $0.claimed = false } }

    /// The transaction that held the drafts committed: they are recorded.
    public func commit() { state.withLock { $0.committed = true } }

    /// Names the target of waiting drafts that have none yet (a create learns its id only once
    /// the handler made it): `targetID`, `data.id`, and `userID` or `organizationID` when the target
    /// is a user or an organization.
    public func identify(target id: String) {
        state.withLock { s in
            guard !s.claimed, !s.committed else { return }
            for index in s.drafts.indices where s.drafts[index].targetID == nil {
                s.drafts[index].targetID = id
                if case .object(var members) = s.drafts[index].data, members["id"] == nil {
                    members["id"] = .string(id)
                    s.drafts[index].data = .object(members)
                }
                switch s.drafts[index].targetType {
                case "user": s.drafts[index].userID = s.drafts[index].userID ?? id
                case "organization": s.drafts[index].organizationID = s.drafts[index].organizationID ?? id
                default: break
                }
            }
        }
    }

    /// Names the organization of waiting drafts by its id (a route may name it by slug): their
    /// `organizationID`, and the target of those whose target is the organization.
    public func resolve(organization id: String) {
        state.withLock { s in
            guard !s.claimed, !s.committed else { return }
            for index in s.drafts.indices {
                s.drafts[index].organizationID = id
                guard s.drafts[index].targetType == "organization" else { continue }
                s.drafts[index].targetID = id
                if case .object(var members) = s.drafts[index].data {
                    members["id"] = .string(id)
                    s.drafts[index].data = .object(members)
                }
            }
        }
    }
}

/// Records audit entries atomically with the change they describe (docs/contract.md A9): the
/// entry and the change commit or roll back together, so a crash never keeps one without the
/// other, and a rolled-back change has no entry (nor webhook event).
public enum AuditRecorder {
    /// The entries waiting for the current task's next committed write, if any.
    @TaskLocal public static var pending: AuditPending?

    /// Runs `body` (which changes `store`) so that its first write transaction that changes
    /// something also appends `drafts`. When `body` throws, nothing more is recorded; when it
    /// returns a value `keepIf` accepts and no write carried the drafts, they are appended in
    /// their own transaction.
    /// - Returns: what `body` returned, and whether the drafts were recorded.
    public static func recording<T: Sendable>(
        _ drafts: [AuditDraft], in store: any AuditStore, at now: Date, keepIf: (T) -> Bool = { _ in true },
        _ body: () async throws -> T
    ) async throws -> (result: T, recorded: Bool) {
        let box = AuditPending(drafts, now: now)
        let result = try await $pending.withValue(box) { try await body() }
        guard keepIf(result) else { return (result, box.isCommitted) }
        if let left = box.claim() {
            for draft in left { try await store.appendAudit(draft, at: now) }
            box.commit()
        }
        return (result, box.isCommitted)
    }

    /// Names the target of the current task's waiting drafts (``AuditPending/identify(target:)``);
    /// nothing when no change is being recorded.
    public static func identify(target id: String) { pending?.identify(target: id) }

    /// Names the organization of the current task's waiting drafts by its id
    /// (``AuditPending/resolve(organization:)``).
    public static func resolve(organization id: String) { pending?.resolve(organization: id) }
}
