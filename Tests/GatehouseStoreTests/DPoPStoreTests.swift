import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// DPoP state (RFC 9449) in a real tenant database on every backend: a proof's `jti` is accepted
/// once under concurrency and once per tenant, forgotten after its window; grant bindings are read
/// back by kind and stay in their tenant.
@Suite("DPoP proofs and bindings (RFC 9449)")
struct DPoPStoreTests {
    static func eachBackend(
        _ body: @escaping @Sendable (any InstanceStorage, any TenantHandle, any TenantHandle, TestClock) async throws -> Void
    ) async throws {
        try await StoreFixture.withStore { store, fixture in
            let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
            let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
            try await body(store, a, b, fixture.clock)
        }
        if PostgresFixture.url != nil {
            try await PostgresFixture.withStore { store, fixture in
                let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
                let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
                try await body(store, a, b, fixture.clock)
            }
        }
    }

    @Test("a jti is recorded once under concurrency, once per tenant, and purged after it expires")
    func proofs() async throws {
        try await Self.eachBackend { store, a, b, clock in
            let now = clock.now
            let until = now.addingTimeInterval(120)
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<6 { group.addTask { try await a.recordDPoPProof(jti: "jti-1", expiresAt: until) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
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

    @Test("code and refresh bindings of a grant are kept apart, replaced by kind, and per tenant")
    func bindings() async throws {
        try await Self.eachBackend { _, a, b, clock in
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
