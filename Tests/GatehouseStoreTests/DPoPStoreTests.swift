import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// DPoP state (RFC 9449) in a real tenant database on every backend: a proof's `jti` is accepted
/// once under concurrency and once per tenant, forgotten after its window; grant bindings are read
/// back by kind and stay in their tenant.
@Suite("DPoP proofs and bindings (RFC 9449)")
struct DPoPStoreTests {
    @Test("a jti is recorded once under concurrency, once per tenant, and purged after it expires", arguments: StorageBackend.all)
    func proofs(_ backend: StorageBackend) async throws {
        try await backend.withInstance { store, a, b, clock in
            let now = clock.now
            let until = now.addingTimeInterval(120)
            let results = try await Race.run(6) { _ in try await a.recordDPoPProof(jti: "jti-1", expiresAt: until) }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await b.recordDPoPProof(jti: "jti-1", expiresAt: until))
            clock.advance(60)
            await store.purgeExpired()
            #expect(try await !a.recordDPoPProof(jti: "jti-1", expiresAt: until))
            clock.advance(61)
            await store.purgeExpired()
            #expect(try await a.recordDPoPProof(jti: "jti-1", expiresAt: until.addingTimeInterval(200)))
        }
    }

    @Test("code and refresh bindings of a grant are kept apart, replaced by kind, and per tenant", arguments: StorageBackend.all)
    func bindings(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let grant = GrantID.generate(at: clock.now)
            #expect(try await a.dpopKeys(grantID: grant) == DPoPGrantKeys())
            try await a.bindDPoPKey(grantID: grant, kind: .code, jkt: "code-key", at: clock.now)
            try await a.bindDPoPKey(grantID: grant, kind: .refresh, jkt: "refresh-key", at: clock.now)
            #expect(try await a.dpopKeys(grantID: grant) == DPoPGrantKeys(codeJKT: "code-key", refreshJKT: "refresh-key"))
            try await a.bindDPoPKey(grantID: grant, kind: .refresh, jkt: "refresh-key-2", at: clock.now)
            #expect(try await a.dpopKeys(grantID: grant).refreshJKT == "refresh-key-2")
            #expect(try await b.dpopKeys(grantID: grant) == DPoPGrantKeys())
        }
    }
}
