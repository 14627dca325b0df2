import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing

/// Two nodes on one PostgreSQL database: what one writes, the other's caches follow within the
/// documented bound (1 s; the change feed polls every 0.25 s). Runs when the test cluster's URL is
/// set (`PostgresFixture.url`).
@Suite(.enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
struct PostgresCoherenceTests {
    /// The bound, in seconds.
    static let bound: TimeInterval = 1

    /// Polls `condition` until it holds or the bound passes.
    /// - Returns: whether it held in time.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(bound)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Runs `body` with two nodes of one instance.
    static func withNodes(_ body: (PostgresInstanceStore, PostgresInstanceStore, PostgresFixture) async throws -> Void) async throws {
        try await PostgresFixture.withStore { one, fixture in
            let two = try await fixture.open()
            defer { two.shutdown() }
            try await body(one, two, fixture)
        }
    }

    @Test func tenantsCreatedUpdatedAndDeletedOnOneNodeReachTheOther() async throws {
        try await Self.withNodes { one, two, _ in
            let tenant = try await one.makeTenant("acme")
            #expect(try await Self.eventually { two.resolve(slug: "acme") != nil })
            var settings = tenant.tenant.settings
            settings.allowedOrigins = ["https://app.acme.example"]
            _ = try await one.updateTenant(tenant, name: "Acme Inc", settings: settings)
            #expect(try await Self.eventually { two.resolve(slug: "acme")?.tenant.name == "Acme Inc" })
            #expect(two.isOriginAllowedByAnyTenant("https://app.acme.example"))
            try await one.deleteTenant(try #require(one.resolve(slug: "acme")))
            #expect(try await Self.eventually { two.resolve(slug: "acme") == nil })
        }
    }

    @Test func aRevocationOnOneNodeIsRefusedOnTheOther() async throws {
        try await Self.withNodes { one, two, fixture in
            let tenant = try await one.makeTenant("acme")
            let a = try await one.database(for: tenant)
            let now = fixture.clock.now
            let user = Seed.user(at: now)
            try await a.insertUser(user)
            let grant = Seed.grant(client: "pk_dev_x", user: user.id, session: nil, at: now)
            try await a.insertGrant(grant)
            let b = try await two.database(for: try #require(try await Self.eventually { two.resolve(slug: "acme") != nil } ? two.resolve(slug: "acme") : nil))
            #expect(try await b.isAccessTokenRevoked(jti: "jti-1", grantID: grant.id, issuedAt: now) == false)
            try await a.revokeGrant(id: grant.id, at: now)
            try await a.revokeAccessToken(jti: "jti-2", expiresAt: now.addingTimeInterval(600))
            #expect(try await Self.eventually { try await b.isAccessTokenRevoked(jti: "jti-1", grantID: grant.id, issuedAt: now) })
            #expect(try await Self.eventually { try await b.isAccessTokenRevoked(jti: "jti-2", grantID: nil, issuedAt: now) })
        }
    }

    @Test func deletingAnOrganizationOnOneNodeRevokesItsGrantsOnTheOther() async throws {
        try await Self.withNodes { one, two, fixture in
            let tenant = try await one.makeTenant("acme")
            let a = try await one.database(for: tenant)
            let now = fixture.clock.now
            let user = Seed.user(at: now)
            try await a.insertUser(user)
            let org = Seed.organization("customer-a", at: now)
            try await a.insertOrganization(org, firstMember: Seed.membership(org.id, user.id, "owner", at: now))
            var grant = Seed.grant(client: "pk_dev_x", user: user.id, session: nil, at: now)
            grant.organizationID = org.id
            try await a.insertGrant(grant)
            let personal = Seed.grant(client: "pk_dev_x", user: user.id, session: nil, at: now)
            try await a.insertGrant(personal)
            let b = try await two.database(for: try #require(try await Self.eventually { two.resolve(slug: "acme") != nil } ? two.resolve(slug: "acme") : nil))
            #expect(try await b.isAccessTokenRevoked(jti: "jti-1", grantID: grant.id, issuedAt: now) == false)
            #expect(try await a.deleteOrganization(org.id, at: now))
            #expect(try await Self.eventually { try await b.isAccessTokenRevoked(jti: "jti-1", grantID: grant.id, issuedAt: now) })
            #expect(try await b.isAccessTokenRevoked(jti: "jti-2", grantID: personal.id, issuedAt: now) == false)
            #expect(try await b.organization(id: org.id) == nil)
        }
    }

    @Test func clientKeysAndTemplatesChangedOnOneNodeAreUsedOnTheOther() async throws {
        try await Self.withNodes { one, two, fixture in
            let tenant = try await one.makeTenant("acme")
            let now = fixture.clock.now
            var client = Seed.client(at: now)
            try await one.registerClient(client, in: tenant)
            let resolved = try #require(try await Self.eventually { two.resolve(slug: "acme") != nil } ? two.resolve(slug: "acme") : nil)
            let b = try await two.database(for: resolved)
            #expect(try await b.client(clientID: client.clientID)?.name == client.name)  // now cached on node two
            client.name = "Renamed"
            try await one.database(for: tenant).updateClient(client)
            #expect(try await Self.eventually { try await b.client(clientID: client.clientID)?.name == "Renamed" })

            let before = Set(try await b.keyRing(at: now).published.keys)
            _ = try await one.database(for: tenant).rotateSigningKeys(algorithms: [.eddsa], at: now)
            #expect(try await Self.eventually { Set(try await b.keyRing(at: now).published.keys) != before })

            #expect(b.templateOverride(named: "page/login") == nil)
            try await one.database(for: tenant).saveTemplateOverride(TemplateOverride(name: "page/login", body: "<p>hi</p>", updatedAt: now), author: "test")
            #expect(try await Self.eventually { b.templateOverride(named: "page/login")?.body == "<p>hi</p>" })

            try await one.deleteClient(clientID: client.clientID, in: tenant)
            #expect(try await Self.eventually { try await b.client(clientID: client.clientID) == nil })
            #expect(try await two.resolve(clientID: client.clientID) == nil)
        }
    }

    @Test func twoNodesReadingDueMailAtOnceClaimDisjointMessagesUntilTheLeaseEnds() async throws {
        try await Self.withNodes { one, two, fixture in
            let tenant = try await one.makeTenant("acme")
            let now = fixture.clock.now
            let a = try await one.database(for: tenant)
            for n in 0..<40 {
                let message = OutboxMessage(
                    id: "msg_\(ULID.make(at: now.addingTimeInterval(Double(n) / 1000)))", template: "verify",
                    recipient: "u\(n)@example.com", envelopeFrom: "id@example.com", subject: "Hi", message: Array("m\(n)".utf8),
                    nextAttemptAt: now, createdAt: now)
                try await one.enqueueMail(message, in: a)
            }
            let b = try await two.database(for: try #require(try await two.find(slug: "acme")))
            async let first = a.dueMail(at: now, limit: 30)
            async let second = b.dueMail(at: now, limit: 30)
            let (x, y) = try await (first, second)
            #expect(Set(x.map(\.id)).isDisjoint(with: y.map(\.id)))
            #expect(x.count + y.count == 40)
            #expect(try await a.dueMail(at: now, limit: 50).isEmpty)  // all claimed
            let later = try await b.dueMail(at: now.addingTimeInterval(PostgresTenantDatabase.mailClaimLease + 1), limit: 50)
            #expect(later.count == 40)  // nobody marked them: due again after the lease
        }
    }
}
