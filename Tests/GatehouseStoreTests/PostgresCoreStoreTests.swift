import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing

/// The core stores on PostgreSQL where several nodes share one schema: what one process cannot
/// show (two instance stores on one database stand for two nodes), and the precision of stored
/// dates. Runs when `GATEHOUSE_TEST_DATABASE_URL` is set.
@Suite("PostgreSQL core stores across nodes", .enabled(if: PostgresFixture.url != nil))
struct PostgresCoreStoreTests {
    /// Runs `body` with one tenant opened on two nodes.
    func withTwoNodes(
        _ body: @Sendable (PostgresTenantDatabase, PostgresTenantDatabase, TestClock) async throws -> Void
    ) async throws {
        try await PostgresFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("acme")
            let other = try await fixture.open()
            defer { other.shutdown() }
            let resolved = try #require(other.resolve(slug: "acme"))
            try await body(try await store.database(for: tenant), try await other.database(for: resolved), fixture.clock)
        }
    }

    /// A grant (`offline_access`, no session) of a new user of `node`'s tenant, not stored yet.
    static func offlineGrant(on node: PostgresTenantDatabase, at now: Date) async throws -> Grant {
        let user = Seed.user(at: now)
        try await node.insertUser(user)
        return Seed.grant(client: "pk_dev_conformance", user: user.id, session: nil, scope: ["openid", "offline_access"], at: now)
    }

    @Test("two nodes making a tenant's first key ring at once make one key; two rotating at once make one pending key")
    func keysAcrossNodes() async throws {
        try await withTwoNodes { one, two, clock in
            let now = clock.now
            async let first = one.keyRing(at: now)
            async let second = two.keyRing(at: now)
            let (ringOne, ringTwo) = try await (first, second)
            #expect(ringOne.jwks.map(\.kid) == ringTwo.jwks.map(\.kid))
            #expect(try await one.signingKeyRecords().count == ringOne.jwks.count)
            let later = now.addingTimeInterval(10)
            async let rotatedOne = one.rotateSigningKeys(algorithms: [.eddsa, .eddsa], at: later)
            async let rotatedTwo = two.rotateSigningKeys(algorithms: [.eddsa], at: later)
            let (pendingOne, pendingTwo) = try await (rotatedOne, rotatedTwo)
            #expect(pendingOne.count == 1)
            #expect(pendingOne == pendingTwo)
            let eddsa = try await one.signingKeyRecords().filter { $0.algorithm == JWSAlgorithm.eddsa.rawValue }
            #expect(eddsa.count == 2)
            #expect(eddsa.first?.retiresAt == pendingOne.first?.activatesAt)
        }
    }

    @Test("20 redemptions of one code spread over two nodes: one consumed, 19 already consumed, one refresh token stored")
    func codeAcrossNodes() async throws {
        try await withTwoNodes { one, two, clock in
            let now = clock.now
            let grant = try await Self.offlineGrant(on: one, at: now)
            let code = Seed.code(for: grant, at: now)
            try await one.insertGrant(grant, code: code)
            let results = try await withThrowingTaskGroup(of: (CodeConsumption, RefreshToken).self) { group in
                for attempt in 0..<20 {
                    let node = attempt.isMultiple(of: 2) ? one : two
                    group.addTask {
                        let token = Seed.refreshToken(for: grant.id, at: now)
                        return (try await node.consumeAuthorizationCode(hash: code.codeHash, at: now, storing: token), token)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0.0 == .alreadyConsumed(grant.id) }.count == 19)
            for (result, token) in results {
                let stored = try await two.refreshToken(hash: token.tokenHash)
                if case .consumed = result { #expect(stored == token) } else { #expect(stored == nil) }
            }
        }
    }

    @Test("a rotation whose successor hash is taken fails as a conflict and leaves the token unrotated")
    func rotationConflict() async throws {
        try await withTwoNodes { one, _, clock in
            let now = clock.now
            let grant = try await Self.offlineGrant(on: one, at: now)
            try await one.insertGrant(grant)
            let token = Seed.refreshToken(for: grant.id, at: now)
            let taken = Seed.refreshToken(for: grant.id, at: now)
            try await one.insertRefreshToken(token)
            try await one.insertRefreshToken(taken)
            await expectConflict {
                _ = try await one.rotateRefreshToken(
                    hash: token.tokenHash, clientID: grant.clientID, successorHash: taken.tokenHash,
                    successorExpiresAt: now.addingTimeInterval(86400), at: now, reuseGrace: 5)
            }
            #expect(try await one.refreshToken(hash: token.tokenHash)?.rotatedAt == nil)
        }
    }

    @Test("dates read back as stored, to the microsecond")
    func datePrecision() async throws {
        try await withTwoNodes { one, two, clock in
            for offset in [0.001, 0.123, 0.999, 12.345, -0.001, 0.000_001, 0.5] {
                let at = clock.now.addingTimeInterval(offset)
                let client = Seed.client(at: at)
                try await one.insertClient(client)
                #expect(try await two.client(clientID: client.clientID)?.createdAt == at, "\(offset)")
            }
        }
    }
}
