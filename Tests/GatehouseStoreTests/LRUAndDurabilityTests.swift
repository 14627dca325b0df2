import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing

/// The bounded pool of open tenant databases, and data surviving a restart.
@Suite("InstanceStore: LRU of open tenants and durability")
struct LRUAndDurabilityTests {
    @Test("with maxOpenTenants = 2, five tenants never keep more than two databases open; cold ones reopen with their data")
    func boundedOpenDatabases() async throws {
        try await StoreFixture.withStore(maxOpenTenants: 2) { store, fixture in
            var users: [(ResolvedTenant, User)] = []
            for i in 0..<5 {
                let tenant = try await store.makeTenant("tenant-\(i)")
                #expect(store.openDatabaseCount <= 2)
                let user = Seed.user(email: "user@example.com", at: fixture.clock.now)
                try await store.database(for: tenant).insertUser(user)
                #expect(store.openDatabaseCount <= 2)
                users.append((tenant, user))
            }
            for (tenant, user) in users.reversed() + users {
                let db = try await store.database(for: tenant)
                #expect(store.openDatabaseCount <= 2)
                #expect(try await db.user(email: "user@example.com") == user, "each tenant sees its own user only")
                #expect(db.tenant == tenant)
            }
            #expect(store.openDatabaseCount == 2)
        }
    }

    @Test("the most recently used tenant stays open")
    func recentlyUsedStaysOpen() async throws {
        try await StoreFixture.withStore(maxOpenTenants: 2) { store, _ in
            let a = try await store.makeTenant("tenant-a")
            let b = try await store.makeTenant("tenant-b")
            let hot = try await store.database(for: a)
            _ = try await store.database(for: b)
            _ = try await store.database(for: a)
            _ = try await store.makeTenant("tenant-c")  // evicts b, the least recently used
            #expect(try await store.database(for: a) === hot)
        }
    }

    @Test("an idle tenant's memory is released; its handle stays open and serves reads and writes")
    func idleTenantReleasesMemory() async throws {
        try await StoreFixture.withStore(maxOpenTenants: 4) { store, fixture in
            let idle = try await store.makeTenant("idle")
            let busy = try await store.makeTenant("busy")
            let idleDB = try await store.database(for: idle)
            let early = Seed.user(email: "early@example.com", at: fixture.clock.now)
            try await idleDB.insertUser(early)
            #expect(store.releaseIdleMemory() == 0)  // the first sweep releases nothing
            _ = try await store.database(for: busy)
            #expect(store.releaseIdleMemory() == 1)  // idle was not used since: its readers close, its caches empty
            _ = try await store.database(for: busy)
            #expect(store.releaseIdleMemory() == 0)  // idle was released already, busy was used
            #expect(try await store.database(for: idle) === idleDB)
            #expect(try await idleDB.user(email: "early@example.com") == early)
            let late = Seed.user(email: "late@example.com", at: fixture.clock.now)
            try await idleDB.insertUser(late)
            #expect(try await idleDB.user(email: "late@example.com") == late)
        }
    }

    @Test("releasing a tenant's memory while requests hold its database loses no read or write")
    func releaseDuringUse() async throws {
        try await StoreFixture.withStore(maxOpenTenants: 4) { store, fixture in
            let tenant = try await store.makeTenant("used")
            let other = try await store.makeTenant("other")
            let db = try await store.database(for: tenant)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for index in 0..<40 {
                            let user = Seed.user(email: "u\(worker)-\(index)@example.com", at: fixture.clock.now)
                            try await db.insertUser(user)
                            #expect(try await db.user(email: user.email) == user)
                        }
                    }
                }
                group.addTask {
                    // Each round: the tenant is looked up, a sweep passes, the other is looked up,
                    // and the next sweep finds the tenant newly idle and releases it mid-use.
                    var released = 0
                    for _ in 0..<100 {
                        _ = try await store.database(for: tenant)
                        released += store.releaseIdleMemory()
                        _ = try await store.database(for: other)
                        released += store.releaseIdleMemory()
                        await Task.yield()
                    }
                    #expect(released >= 100)
                }
                try await group.waitForAll()
            }
            #expect(try await db.counts().users == 160)
        }
    }

    @Test("data written through one InstanceStore is there after it closes and another opens the folder")
    func durableAcrossRestart() async throws {
        try await StoreFixture.with { fixture in
            let now = fixture.clock.now
            let client = Seed.client(at: now)
            let user = Seed.user(at: now)
            let session = Seed.session(user: user.id, at: now)
            let grant = Seed.grant(client: client.clientID, user: user.id, session: session.id, scope: ["openid", "offline_access"], at: now)
            let code = Seed.code(for: grant, at: now)
            let refresh = Seed.refreshToken(for: grant.id, at: now)
            let interaction = Seed.interaction(client: client.clientID, at: now)
            let consent = Consent(userID: user.id, clientID: client.clientID, scope: ["openid", "email"], grantedAt: now)
            let kid: String
            do {
                let store = try fixture.open()
                let tenant = try await store.makeTenant("acme")
                try await store.registerClient(client, in: tenant)
                let db = try await store.database(for: tenant)
                try await db.insertUser(user)
                try await db.insertSession(session)
                try await db.insertGrant(grant, code: code)
                try await db.insertRefreshToken(refresh)
                try await db.insertInteraction(interaction)
                try await db.saveConsent(consent)
                try await db.revokeAccessToken(jti: "revoked-jti", expiresAt: now.addingTimeInterval(900))
                kid = try await db.keyRing(at: fixture.clock.now).jwks.first?.kid ?? ""
            }
            let store = try fixture.open()
            let tenant = try #require(store.resolve(slug: "acme"))
            #expect(try await store.resolve(clientID: client.clientID) == tenant)
            let db = try await store.database(for: tenant)
            #expect(try await db.client(clientID: client.clientID) == client)
            #expect(try await db.user(id: user.id) == user)
            #expect(try await db.session(tokenHash: session.tokenHash) == session)
            #expect(try await db.grant(id: grant.id) == grant)
            #expect(try await db.refreshToken(hash: refresh.tokenHash) == refresh)
            #expect(try await db.interaction(id: interaction.id) == interaction)
            #expect(try await db.consent(userID: user.id, clientID: client.clientID) == consent)
            #expect(try await db.isAccessTokenRevoked(jti: "revoked-jti", grantID: nil))
            #expect(try await db.keyRing(at: fixture.clock.now).jwks.map(\.kid) == [kid])
            var consumed = code
            consumed.consumedAt = now
            #expect(try await db.consumeAuthorizationCode(hash: code.codeHash, at: now) == .consumed(consumed))
        }
    }
}
