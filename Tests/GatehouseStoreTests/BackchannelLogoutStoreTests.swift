import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// The back-channel logout outbox (OpenID Connect Back-Channel Logout 1.0 §2.5,
/// `LogoutDeliveryStore`) in real tenant databases on every backend: deliveries queued by the
/// session-ending calls themselves, one per client with a `backchannel_logout_uri` that obtained a
/// grant under the session; claimed for a lease; retried; purged; isolated per tenant.
@Suite("Back-channel logout outbox")
struct BackchannelLogoutStoreTests {
    /// Runs `body` with two tenants' handles and the clock, on each backend.
    static func eachBackend(_ body: @escaping @Sendable (any TenantHandle, any TenantHandle, TestClock) async throws -> Void) async throws {
        try await StoreFixture.withStore { store, fixture in
            let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
            let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
            try await body(a, b, fixture.clock)
        }
        if PostgresFixture.url != nil {
            try await PostgresFixture.withStore { store, fixture in
                let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
                let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
                try await body(a, b, fixture.clock)
            }
        }
    }

    static func insert(_ client: Client, into db: any TenantHandle) async throws {
        if let db = db as? TenantDatabase { try await db.insertClient(client) }
        if let db = db as? PostgresTenantDatabase { try await db.insertClient(client) }
    }

    /// A user with two sessions; clients: `logout` (with a `backchannel_logout_uri`, two grants
    /// under session one and one under session two), `plain` (none; a grant under session one).
    struct Scene {
        let user: User
        let one: Session
        let two: Session
        let logout: Client
        let plain: Client
    }

    static func scene(_ db: any TenantHandle, at now: Date) async throws -> Scene {
        let user = Seed.user(at: now)
        try await db.insertUser(user)
        var logout = Seed.client(at: now)
        logout.backchannelLogoutURI = "https://rp.example.com/backchannel?tenant=a"
        logout.backchannelLogoutSessionRequired = true
        let plain = Seed.client(at: now)
        try await insert(logout, into: db)
        try await insert(plain, into: db)
        let one = Seed.session(user: user.id, at: now)
        let two = Seed.session(user: user.id, at: now)
        try await db.insertSession(one)
        try await db.insertSession(two)
        for (client, session) in [(logout, one), (logout, one), (plain, one), (logout, two)] {
            try await db.insertGrant(Seed.grant(client: client.clientID, user: user.id, session: session.id, at: now))
        }
        return Scene(user: user, one: one, two: two, logout: logout, plain: plain)
    }

    @Test("ending a session queues one delivery per back-channel client of that session, once")
    func endSessionQueues() async throws {
        try await Self.eachBackend { a, b, clock in
            let now = clock.now
            let scene = try await Self.scene(a, at: now)
            let stored = try await a.client(clientID: scene.logout.clientID)
            #expect(stored?.backchannelLogoutURI == "https://rp.example.com/backchannel?tenant=a")
            #expect(stored?.backchannelLogoutSessionRequired == true)
            #expect(try await a.client(clientID: scene.plain.clientID)?.backchannelLogoutURI == nil)

            try await a.endSession(id: scene.one.id, at: now)
            let queued = try await a.logoutDeliveries(sessionID: scene.one.id)
            #expect(queued.count == 1)
            let delivery = try #require(queued.first)
            #expect(delivery.clientID == scene.logout.clientID)
            #expect(delivery.userID == scene.user.id)
            #expect(delivery.sessionID == scene.one.id)
            #expect(delivery.status == .pending && delivery.attempts == 0 && delivery.nextAttemptAt == now)
            #expect(delivery.jti.count >= 20)
            #expect(try await a.logoutDeliveries(sessionID: scene.two.id).isEmpty, "the other session goes on")
            #expect(try await a.nextLogoutDeliveryDue() == now)

            try await a.endSession(id: scene.one.id, at: now.addingTimeInterval(5))
            #expect(try await a.logoutDeliveries(sessionID: scene.one.id).count == 1, "an ended session owes nothing more")
            #expect(try await b.nextLogoutDeliveryDue() == nil, "another tenant owes nothing")
            #expect(try await b.logoutDeliveries(sessionID: scene.one.id).isEmpty)
        }
    }

    @Test("revoking a user's other sessions, and everything (disable, delete), queue for the sessions they end")
    func userWideEnds() async throws {
        try await Self.eachBackend { a, _, clock in
            let now = clock.now
            let scene = try await Self.scene(a, at: now)
            try await a.revokeOthers(of: scene.user.id, keep: scene.one.id, at: now)
            #expect(try await a.logoutDeliveries(sessionID: scene.one.id).isEmpty, "the kept session")
            #expect(try await a.logoutDeliveries(sessionID: scene.two.id).map(\.clientID) == [scene.logout.clientID])

            try await a.revokeEverything(of: scene.user.id, at: now)
            #expect(try await a.logoutDeliveries(sessionID: scene.one.id).map(\.clientID) == [scene.logout.clientID])
            #expect(try await a.logoutDeliveries(sessionID: scene.two.id).count == 1, "already ended: nothing more")

            let other = try await Self.scene(a, at: now)
            try await a.deleteUser(other.user.id, at: now)
            #expect(try await a.logoutDeliveries(sessionID: other.one.id).map(\.userID) == [other.user.id])
            #expect(try await a.logoutDeliveries(sessionID: other.two.id).map(\.userID) == [other.user.id])
        }
    }

    @Test("due deliveries are claimed for a lease, retried, delivered or failed, and old ones purged")
    func claimAndRetry() async throws {
        try await Self.eachBackend { a, _, clock in
            let now = clock.now
            let scene = try await Self.scene(a, at: now)
            try await a.endSession(id: scene.one.id, at: now)
            try await a.endSession(id: scene.two.id, at: now)
            let claimed = try await a.claimDueLogoutDeliveries(at: now, limit: 10, lease: 15)
            #expect(claimed.count == 2)
            #expect(try await a.claimDueLogoutDeliveries(at: now.addingTimeInterval(10), limit: 10, lease: 15).isEmpty, "leased")
            let again = try await a.claimDueLogoutDeliveries(at: now.addingTimeInterval(16), limit: 1, lease: 15)
            #expect(again.count == 1, "a lease that ran out makes it due again; at most `limit`")

            let (first, second) = (claimed[0], claimed[1])
            let retryAt = now.addingTimeInterval(30)
            try await a.recordLogoutAttempt(
                id: first.id, WebhookAttempt(responseStatus: 500, error: "the client answered 500", delivered: false, retryAt: retryAt), at: now)
            var stored = try #require(try await a.logoutDeliveries(sessionID: first.sessionID).first)
            #expect(stored.status == .pending && stored.attempts == 1 && stored.nextAttemptAt == retryAt)
            #expect(stored.lastResponseStatus == 500 && stored.lastError == "the client answered 500")
            #expect(stored.jti == first.jti, "the same jti at every attempt")

            try await a.recordLogoutAttempt(
                id: first.id, WebhookAttempt(responseStatus: 200, error: nil, delivered: true, retryAt: nil), at: retryAt)
            stored = try #require(try await a.logoutDeliveries(sessionID: first.sessionID).first)
            #expect(stored.status == .delivered && stored.attempts == 2 && stored.deliveredAt == retryAt && stored.nextAttemptAt == nil)

            try await a.recordLogoutAttempt(
                id: second.id, WebhookAttempt(responseStatus: nil, error: "no answer within 5 s", delivered: false, retryAt: nil), at: now)
            stored = try #require(try await a.logoutDeliveries(sessionID: second.sessionID).first)
            #expect(stored.status == .failed && stored.nextAttemptAt == nil)
            #expect(try await a.nextLogoutDeliveryDue() == nil)
            #expect(try await a.claimDueLogoutDeliveries(at: now.addingTimeInterval(86400), limit: 10, lease: 15).isEmpty)

            try await a.purgeLogoutDeliveries(before: now)
            #expect(try await a.logoutDeliveries(sessionID: first.sessionID).count == 1, "newer than the cutoff")
            try await a.purgeLogoutDeliveries(before: now.addingTimeInterval(1))
            #expect(try await a.logoutDeliveries(sessionID: first.sessionID).isEmpty)
            #expect(try await a.logoutDeliveries(sessionID: second.sessionID).isEmpty)
        }
    }
}
