import Foundation
import GatehouseCore
@testable import GatehouseStore
import Synchronization
import Testing

/// `find(hostname:)` and `find(slug:)` on PostgreSQL: an unknown host or slug costs one query per few seconds, not one per
/// request, and a tenant given the hostname on any node is found within the coherence bound.
@Suite("PostgreSQL: hostname and slug misses")
struct PostgresLookupMissTests {
    @Test(
        "an unknown hostname is read from the database once per TTL", .enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
    func oneQueryPerTTL() async throws {
        try await PostgresFixture.withStore { store, fixture in
            let before = store.tenantLookups.load(ordering: .relaxed)
            for _ in 0..<50 {
                let found = try await store.find(hostname: "junk.example")
                #expect(found == nil)
            }
            #expect(store.tenantLookups.load(ordering: .relaxed) == before + 1)
            fixture.clock.advance(store.lookupMisses.ttl + 1)
            let again = try await store.find(hostname: "junk.example")
            #expect(again == nil)
            #expect(store.tenantLookups.load(ordering: .relaxed) == before + 2)
        }
    }

    @Test(
        "an unknown slug is read once per TTL, and a tenant created with it is found at once",
        .enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
    func slugMisses() async throws {
        try await PostgresFixture.withStore { store, _ in
            let before = store.tenantLookups.load(ordering: .relaxed)
            for _ in 0..<50 { #expect(try await store.find(slug: "no-such-tenant") == nil) }
            #expect(store.tenantLookups.load(ordering: .relaxed) == before + 1)
            let created = try await store.createTenant(slug: "no-such-tenant", name: "Late", environment: .dev, settings: TenantSettings())
            #expect(try await store.find(slug: "no-such-tenant")?.id == created.id)
        }
    }

    @Test(
        "a hostname given to a tenant on another node is found within the bound, though it was missing",
        .enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
    func updatesOnOtherNodesClearTheMiss() async throws {
        try await PostgresCoherenceTests.withNodes { one, two, _ in
            let tenant = try await one.makeTenant("acme")
            #expect(try await two.find(hostname: "login.acme.example") == nil)
            #expect(try await two.find(hostname: "id.beta.example") == nil)
            var settings = tenant.tenant.settings
            settings.hostname = "login.acme.example"
            _ = try await one.updateTenant(tenant, name: "Acme", settings: settings)
            #expect(try await PostgresCoherenceTests.eventually { try await two.find(hostname: "login.acme.example")?.id == tenant.id })
            var beta = TenantSettings()
            beta.hostname = "id.beta.example"
            let created = try await one.createTenant(slug: "beta", name: "Beta", environment: .dev, settings: beta)
            #expect(try await PostgresCoherenceTests.eventually { try await two.find(hostname: "id.beta.example")?.id == created.id })
        }
    }

    @Test("misses are bounded in number, and one recorded across a clear is dropped")
    func boundedAndGenerational() {
        let misses = TenantLookupMisses(ttl: 5, capacity: 100)
        let now = Date()
        for index in 0..<1000 { misses.record(.hostname("h\(index).example"), at: now, generation: misses.generation) }
        #expect(misses.count <= 100)
        #expect(misses.contains(.hostname("h999.example"), at: now))
        #expect(!misses.contains(.hostname("h999.example"), at: now.addingTimeInterval(6)))
        misses.clear()
        misses.record(.slug("acme"), at: now, generation: misses.generation)
        #expect(misses.contains(.slug("acme"), at: now) && !misses.contains(.hostname("acme"), at: now))
        let generation = misses.generation
        misses.clear()
        misses.record(.hostname("late.example"), at: now, generation: generation)
        #expect(!misses.contains(.hostname("late.example"), at: now) && misses.count == 0)
    }
}
