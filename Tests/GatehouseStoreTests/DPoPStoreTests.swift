import Foundation
import GatehouseCore
import GatehouseCrypto
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
        let code = Self.thumbprint("code"), refresh = Self.thumbprint("refresh"), next = Self.thumbprint("next")
        try await backend.withPair { a, b, clock in
            let grant = GrantID.generate(at: clock.now)
            #expect(try await a.dpopKeys(grantID: grant) == DPoPGrantKeys())
            try await a.bindDPoPKey(grantID: grant, kind: .code, jkt: code, at: clock.now)
            try await a.bindDPoPKey(grantID: grant, kind: .refresh, jkt: refresh, at: clock.now)
            #expect(try await a.dpopKeys(grantID: grant) == DPoPGrantKeys(codeJKT: code, refreshJKT: refresh))
            try await a.bindDPoPKey(grantID: grant, kind: .refresh, jkt: next, at: clock.now)
            #expect(try await a.dpopKeys(grantID: grant).refreshJKT == next)
            #expect(try await b.dpopKeys(grantID: grant) == DPoPGrantKeys())
        }
    }

    @Test("a grant is bound only to a thumbprint: anything else is refused, never stored or skipped", arguments: StorageBackend.all)
    func onlyThumbprints(_ backend: StorageBackend) async throws {
        let good = Self.thumbprint("good")
        let bad = ["", "short", String(good.dropLast()) + "\u{0}", good + "A", String(repeating: "*", count: 43)]
        try await backend.withPair { a, _, clock in
            let grant = GrantID.generate(at: clock.now)
            for jkt in bad {
                await #expect(throws: OAuthError.self) { try await a.bindDPoPKey(grantID: grant, kind: .refresh, jkt: jkt, at: clock.now) }
            }
            #expect(try await a.dpopKeys(grantID: grant) == DPoPGrantKeys())
            try await a.bindDPoPKey(grantID: grant, kind: .refresh, jkt: good, at: clock.now)
            #expect(try await a.dpopKeys(grantID: grant).refreshJKT == good)
        }
    }

    /// A thumbprint-shaped value (base64url of 32 bytes) named after `seed`.
    static func thumbprint(_ seed: String) -> String { Base64URL.encode(Digest.sha256(seed)) }
}
