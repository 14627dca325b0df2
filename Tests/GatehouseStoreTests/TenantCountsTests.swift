import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// `TenantCounting` (the admin console's tenant list) on every backend: each tenant counts its own rows only.
struct TenantCountsTests {
    @Test("counts users and organizations of one tenant only", arguments: StorageBackend.all)
    func counts(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let now = clock.now
            let counting = try #require(a as? any TenantCounting), other = try #require(b as? any TenantCounting)
            #expect(try await counting.counts() == TenantCounts(users: 0, clients: 0, organizations: 0))
            for _ in 0..<3 { try await a.insertUser(Seed.user(at: now)) }
            let owner = Seed.user(at: now)
            try await a.insertUser(owner)
            let organization = Seed.organization("acme", at: now)
            try await a.insertOrganization(organization, firstMember: Seed.membership(organization.id, owner.id, "owner", at: now))
            try await b.insertUser(Seed.user(at: now))
            #expect(try await counting.counts() == TenantCounts(users: 4, clients: 0, organizations: 1))
            #expect(try await other.counts() == TenantCounts(users: 1, clients: 0, organizations: 0))
        }
    }
}
