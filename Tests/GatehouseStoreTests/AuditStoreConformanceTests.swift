import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// The audit log on every `StorageBackend` (docs/contract.md A9): a hash chain per tenant that
/// verifies, filters and pages, survives pruning, and stays consistent under concurrent appends.
@Suite("Storage conformance: audit log")
struct AuditStoreConformanceTests {
    static func draft(_ type: String, user: String? = nil, actor: AuditActor = .adminToken) -> AuditDraft {
        AuditDraft(type: type, actor: actor, targetType: "user", targetID: user, userID: user, data: .object(["n": .string(type)]))
    }

    @Test("appends chain, verify, filter and page; tenants keep separate chains", arguments: StorageBackend.all)
    func chain(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            for i in 0..<5 {
                try await a.appendAudit(Self.draft(i.isMultiple(of: 2) ? "user.created" : "user.updated", user: "usr_\(i % 2)"), at: clock.now)
                clock.advance(1)
            }
            try await b.appendAudit(Self.draft("client.created"), at: clock.now)
            let all = try await a.auditEvents(AuditQuery(limit: 10))
            #expect(all.map(\.sequence) == [5, 4, 3, 2, 1])
            #expect(all.last?.previousHash == AuditChain.genesis)
            #expect(zip(all.dropFirst(), all).allSatisfy { older, newer in newer.previousHash == older.hash })
            #expect(try await a.verifyAudit() == AuditChain.Verification(checked: 5, firstProblem: nil))
            #expect(try await b.verifyAudit().checked == 1)
            #expect(try await b.auditEvents(AuditQuery(limit: 10)).map(\.draft.type) == ["client.created"])

            #expect(try await a.auditEvents(AuditQuery(type: "user.created", limit: 10)).map(\.sequence) == [5, 3, 1])
            #expect(try await a.auditEvents(AuditQuery(userID: "usr_1", limit: 10)).map(\.sequence) == [4, 2])
            #expect(try await a.auditEvents(AuditQuery(targetType: "user", targetID: "usr_0", limit: 10)).map(\.sequence) == [5, 3, 1])
            #expect(try await a.auditEvents(AuditQuery(targetType: "client", limit: 10)).isEmpty)
            #expect(try await b.auditEvents(AuditQuery(targetType: "user", targetID: "usr_0", limit: 10)).isEmpty)
            #expect(try await a.auditEvents(AuditQuery(before: 3, limit: 10)).map(\.sequence) == [2, 1])
            let second = all[3].occurredAt
            #expect(try await a.auditEvents(AuditQuery(since: second, until: all[1].occurredAt, limit: 10)).map(\.sequence) == [3, 2])
            #expect(try await a.auditEvents(afterSequence: 3, limit: 10).map(\.sequence) == [4, 5])
            let stored = try #require(all.first)
            #expect(stored.draft.data == .object(["n": .string("user.created")]))
            #expect(AuditChain.hash(of: stored) == stored.hash)
            // By id: this tenant's entry; another tenant's, or none, is nil.
            #expect(try await a.auditEvent(id: all[2].id) == all[2])
            let theirs = try #require(try await b.auditEvents(AuditQuery(limit: 1)).first)
            #expect(try await a.auditEvent(id: theirs.id) == nil)
            #expect(try await b.auditEvent(id: theirs.id)?.sequence == 1)
            #expect(try await a.auditEvent(id: "evt_none\u{0}") == nil)
        }
    }

    @Test("an entry commits with its change and rolls back with it (AuditRecorder)", arguments: StorageBackend.all)
    func atomicWithTheChange(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let alice = Seed.user(at: clock.now)
            let (_, recorded) = try await AuditRecorder.recording([Self.draft("user.created", user: alice.id.rawValue)], in: a, at: clock.now) {
                try await a.insertUser(alice)
            }
            #expect(recorded)
            // The same address again: the store refuses and rolls back; no entry either.
            let twin = Seed.user(email: alice.email, at: clock.now)
            await #expect(throws: StoreError.self) {
                _ = try await AuditRecorder.recording([Self.draft("user.created", user: twin.id.rawValue)], in: a, at: clock.now) {
                    try await a.insertUser(twin)
                }
            }
            // Several writes in one change: the entry rides on the first that changed a row, once.
            let bob = Seed.user(at: clock.now), carol = Seed.user(at: clock.now)
            _ = try await AuditRecorder.recording([Self.draft("user.created", user: bob.id.rawValue)], in: a, at: clock.now) {
                try await a.insertUser(bob)
                try await a.insertUser(carol)
            }
            // A change that wrote nothing: appended on its own, unless `keepIf` refuses.
            let (_, alone) = try await AuditRecorder.recording([Self.draft("user.sign_in_failed")], in: a, at: clock.now) { 0 }
            let (_, refused) = try await AuditRecorder.recording([Self.draft("user.sign_in_failed")], in: a, at: clock.now, keepIf: { $0 > 0 }) {
                0
            }
            #expect(alone && !refused)
            let types = try await a.auditEvents(AuditQuery(limit: 10)).map(\.draft.type)
            #expect(types == ["user.sign_in_failed", "user.created", "user.created"])
            #expect(try await a.auditEvents(AuditQuery(limit: 10)).map(\.draft.userID) == [nil, bob.id.rawValue, alice.id.rawValue])
            #expect(try await a.verifyAudit().ok)
            #expect(try await b.auditEvents(AuditQuery(limit: 10)).isEmpty)
        }
    }

    @Test("pruning keeps the chain verifiable through its anchor and a checkpoint entry", arguments: StorageBackend.all)
    func retention(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            for _ in 0..<4 {
                try await a.appendAudit(Self.draft("user.updated"), at: clock.now)
                clock.advance(100)
            }
            let cutoff = clock.now.addingTimeInterval(-150)  // the first three are older
            #expect(try await a.pruneAudit(before: cutoff, at: clock.now) == 3)
            let left = try await a.auditEvents(AuditQuery(limit: 10))
            #expect(left.map(\.sequence) == [5, 4])
            #expect(left.first?.draft.type == AuditChain.checkpointType)
            let state = try await a.auditChainState()
            #expect(state.anchorSequence == 3 && left.last?.previousHash == state.anchorHash)
            #expect(try await a.verifyAudit() == AuditChain.Verification(checked: 2, firstProblem: nil))
            // Nothing older than the cutoff is left; the head is never pruned.
            #expect(try await a.pruneAudit(before: cutoff, at: clock.now) == 0)
            #expect(try await a.pruneAudit(before: clock.now.addingTimeInterval(10), at: clock.now) == 1)
            #expect(try await a.verifyAudit().ok)
        }
    }

    @Test("concurrent appends form one unbroken chain", arguments: StorageBackend.all)
    func concurrency(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            let now = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 { group.addTask { try await a.appendAudit(Self.draft("user.signed_in", user: "usr_\(i)"), at: now) } }
                try await group.waitForAll()
            }
            #expect(try await a.verifyAudit() == AuditChain.Verification(checked: 20, firstProblem: nil))
            #expect(try await a.auditChainState().headSequence == 20)
        }
    }
}
