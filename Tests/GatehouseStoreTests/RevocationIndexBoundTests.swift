import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// The in-memory revocation index keeps one access-token lifetime of revocations, not a day's,
/// and still answers correctly for every token (issue: memory grew with revocations).
@Suite("Revocation index: bounded by the access-token lifetime")
struct RevocationIndexBoundTests {
    @Test("revoked grants stay revoked for tokens of any age after the index forgot them; memory stays bounded")
    func forgetsOldEntriesButNotTheirRevocation() async throws {
        try await StoreFixture.withStore { store, fixture in
            var settings = TenantSettings()
            settings.accessTokenTTL = 300
            let tenant = try await store.createTenant(slug: "bounded", name: "Bounded", environment: .dev, settings: settings)
            let tenantUnderTest = try await ConformanceBackend.instanceTenant(store, tenant) { try fixture.open() }
            let db = try await store.database(for: tenant)
            let start = fixture.clock.now
            let signed = try await tenantUnderTest.signIn(at: start)
            let issuedAt = start
            try await db.revokeGrant(id: signed.grant.id, at: start)

            // Many revocations over more than one lifetime: the index prunes as it grows.
            var last = start
            for step in 0..<3000 {
                last = start.addingTimeInterval(Double(step) * 0.5)
                let grant = Seed.grant(client: signed.grant.clientID, user: signed.user.id, session: signed.session.id, at: last)
                try await db.insertGrant(grant)
                try await db.revokeGrant(id: grant.id, at: last)
            }
            // 3000 revocations over 1500 s, lifetime 300 s: the last lifetime's (600) plus what
            // accumulated since the last amortized prune, which runs once the index holds 1024
            // entries and a minute has passed (or it doubled).
            let held = db.revocationCounts.grants
            #expect(held <= 1024, "held \(held) revoked grants in memory")

            // The first grant was revoked 1500 s ago; its token is older than the watermark and
            // the database answers: still revoked.
            #expect(try await db.isAccessTokenRevoked(jti: "old", grantID: signed.grant.id, issuedAt: issuedAt))
            // A live grant's old token (possible after the lifetime was shortened) is live.
            let live = Seed.grant(client: signed.grant.clientID, user: signed.user.id, session: signed.session.id, at: start)
            try await db.insertGrant(live)
            #expect(try await db.isAccessTokenRevoked(jti: "x", grantID: live.id, issuedAt: issuedAt) == false)
            // A grant that no longer exists issued nothing usable.
            #expect(try await db.isAccessTokenRevoked(jti: "y", grantID: GrantID.generate(at: last), issuedAt: issuedAt))
            // A fresh token of a live grant is answered from memory.
            #expect(try await db.isAccessTokenRevoked(jti: "z", grantID: live.id, issuedAt: last) == false)
        }
    }

    @Test("after a restart only one lifetime of revocations is loaded, and older ones still count")
    func restartLoadsOneLifetime() async throws {
        try await StoreFixture.with { fixture in
            let store = try fixture.open()
            var settings = TenantSettings()
            settings.accessTokenTTL = 60
            let tenant = try await store.createTenant(slug: "reload", name: "Reload", environment: .dev, settings: settings)
            let under = try await ConformanceBackend.instanceTenant(store, tenant) { try fixture.open() }
            let start = fixture.clock.now
            let signed = try await under.signIn(at: start)
            let db = try await store.database(for: tenant)
            try await db.revokeGrant(id: signed.grant.id, at: start)

            fixture.clock.advance(600)
            let fresh = try fixture.open()
            let reopened = try await fresh.database(for: try #require(fresh.resolve(slug: "reload")))
            #expect(reopened.revocationCounts.grants == 0, "a revocation older than the lifetime is not loaded")
            #expect(try await reopened.isAccessTokenRevoked(jti: "a", grantID: signed.grant.id, issuedAt: start))
            #expect(try await reopened.isAccessTokenRevoked(jti: "a", grantID: signed.grant.id), "unknown issue time: the database decides")
        }
    }
}
