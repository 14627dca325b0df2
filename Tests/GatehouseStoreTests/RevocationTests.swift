import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Ending sessions and revoking access tokens (RFC 7009, RP-Initiated Logout §2).
@Suite("Storage conformance: sessions and revocation")
struct RevocationTests {
    @Test(
        "endSession revokes every grant of the session, offline_access included, and returns their ids",
        arguments: ConformanceBackend.all)
    func endSessionRevokesOnlineGrants(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let signed = try await pair.a.signIn(scope: ["openid", "email"], at: now)
            let offline = Seed.grant(
                client: signed.grant.clientID, user: signed.user.id, session: signed.session.id,
                scope: ["openid", "offline_access"], at: now)
            try await store.insertGrant(offline)
            let alreadyRevoked = Seed.grant(client: signed.grant.clientID, user: signed.user.id, session: signed.session.id, at: now)
            try await store.insertGrant(alreadyRevoked)
            try await store.revokeGrant(id: alreadyRevoked.id, at: now)
            // A second session of the same user is not touched.
            let other = Seed.session(user: signed.user.id, at: now)
            try await store.insertSession(other)
            let otherGrant = Seed.grant(client: signed.grant.clientID, user: signed.user.id, session: other.id, at: now)
            try await store.insertGrant(otherGrant)

            let end = now.addingTimeInterval(30)
            let revoked = try await store.endSession(id: signed.session.id, at: end)
            #expect(Set(revoked) == [signed.grant.id, offline.id])
            #expect(try await store.session(id: signed.session.id)?.revokedAt == end)
            #expect(try await store.session(id: signed.session.id)?.isActive(at: end) == false)
            #expect(try await store.grant(id: signed.grant.id)?.revokedAt == end)
            #expect(try await store.grant(id: offline.id)?.revokedAt == end)
            #expect(try await store.grant(id: alreadyRevoked.id)?.revokedAt == now, "an earlier revocation keeps its date")
            #expect(try await store.grant(id: otherGrant.id)?.revokedAt == nil)
            #expect(try await store.session(id: other.id)?.revokedAt == nil)
            #expect(try await store.isAccessTokenRevoked(jti: "a", grantID: signed.grant.id))
            #expect(try await store.isAccessTokenRevoked(jti: "b", grantID: offline.id))
            #expect(try await store.isAccessTokenRevoked(jti: "c", grantID: otherGrant.id) == false)

            #expect(
                try await store.endSession(id: signed.session.id, at: end.addingTimeInterval(1)).isEmpty,
                "ending an ended session revokes nothing more")
            #expect(try await store.session(id: signed.session.id)?.revokedAt == end)
        }
    }

    @Test("isAccessTokenRevoked reflects jti and grant revocation, also after a restart", arguments: ConformanceBackend.all)
    func accessTokenRevocation(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(at: now)
            let store = pair.a.store
            #expect(try await store.isAccessTokenRevoked(jti: "jti-1", grantID: signed.grant.id) == false)
            #expect(try await store.isAccessTokenRevoked(jti: "jti-1", grantID: nil) == false)

            try await store.revokeAccessToken(jti: "jti-1", expiresAt: now.addingTimeInterval(900))
            #expect(try await store.isAccessTokenRevoked(jti: "jti-1", grantID: nil))
            #expect(try await store.isAccessTokenRevoked(jti: "jti-1", grantID: signed.grant.id))
            #expect(try await store.isAccessTokenRevoked(jti: "jti-2", grantID: signed.grant.id) == false)
            // Revoking twice is harmless.
            try await store.revokeAccessToken(jti: "jti-1", expiresAt: now.addingTimeInterval(900))

            try await store.revokeGrant(id: signed.grant.id, at: now)
            #expect(try await store.isAccessTokenRevoked(jti: "jti-2", grantID: signed.grant.id))
            #expect(try await store.isAccessTokenRevoked(jti: "jti-2", grantID: nil) == false)

            let reopened = try await pair.a.reopen().store
            #expect(try await reopened.isAccessTokenRevoked(jti: "jti-1", grantID: nil))
            #expect(try await reopened.isAccessTokenRevoked(jti: "jti-2", grantID: signed.grant.id))
            #expect(try await reopened.isAccessTokenRevoked(jti: "jti-3", grantID: nil) == false)
        }
    }
}

/// The revocation index is held in memory per open tenant database; these cases prove it is
/// rebuilt from the file when a tenant is evicted from the LRU and reopened.
@Suite("TenantDatabase: revocation index across LRU eviction")
struct RevocationIndexEvictionTests {
    @Test("revocations survive eviction from a one-tenant LRU and reload from disk")
    func reloadAfterEviction() async throws {
        try await StoreFixture.withStore(maxOpenTenants: 1) { store, fixture in
            let now = fixture.clock.now
            let a = try await store.makeTenant("tenant-a")
            let b = try await store.makeTenant("tenant-b")
            let first = try await store.database(for: a)
            let user = Seed.user(at: now)
            try await first.insertUser(user)
            let session = Seed.session(user: user.id, at: now)
            try await first.insertSession(session)
            let revokedGrant = Seed.grant(client: "pk_dev_x", user: user.id, session: session.id, at: now)
            let liveGrant = Seed.grant(client: "pk_dev_x", user: user.id, session: session.id, at: now)
            for grant in [revokedGrant, liveGrant] { try await first.insertGrant(grant) }
            try await first.revokeGrant(id: revokedGrant.id, at: now)
            try await first.revokeAccessToken(jti: "revoked-jti", expiresAt: now.addingTimeInterval(900))
            let other = Seed.session(user: user.id, at: now)
            try await first.insertSession(other)
            let ended = Seed.grant(client: "pk_dev_x", user: user.id, session: other.id, at: now)
            try await first.insertGrant(ended)
            #expect(try await first.endSession(id: other.id, at: now) == [ended.id])

            _ = try await store.database(for: b)
            #expect(store.openDatabaseCount == 1)
            let second = try await store.database(for: a)
            #expect(second !== first, "tenant A was evicted and reopened")
            #expect(try await second.isAccessTokenRevoked(jti: "revoked-jti", grantID: nil))
            #expect(try await second.isAccessTokenRevoked(jti: "x", grantID: revokedGrant.id))
            #expect(try await second.isAccessTokenRevoked(jti: "x", grantID: ended.id))
            #expect(try await second.isAccessTokenRevoked(jti: "x", grantID: liveGrant.id) == false)
            #expect(try await second.isAccessTokenRevoked(jti: "other-jti", grantID: nil) == false)
        }
    }

    /// What makes the store open a second handle of a tenant while a request still holds the first.
    enum SecondHandle: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case eviction = "eviction from the LRU by other traffic"
        case settingsUpdate = "a settings update (updateTenant drops the open handle)"
        var testDescription: String { rawValue }
    }

    @Test(
        "a revocation made through a handle a request still holds is seen through the tenant's current handle",
        arguments: SecondHandle.allCases)
    func revocationThroughStaleHandle(_ trigger: SecondHandle) async throws {
        try await StoreFixture.withStore(maxOpenTenants: 1) { store, fixture in
            let now = fixture.clock.now
            let a = try await store.makeTenant("tenant-a")
            let b = try await store.makeTenant("tenant-b")
            // A request resolves tenant A and holds its handle…
            let inFlight = try await store.database(for: a)
            let user = Seed.user(at: now)
            try await inFlight.insertUser(user)
            let grant = Seed.grant(client: "pk_dev_x", user: user.id, session: nil, at: now)
            try await inFlight.insertGrant(grant)
            // …while the store opens a second handle of A for the next request.
            let current: TenantDatabase
            switch trigger {
            case .eviction:
                _ = try await store.database(for: b)
                current = try await store.database(for: a)
            case .settingsUpdate:
                var settings = a.tenant.settings
                settings.accessTokenTTL = 600
                current = try await store.database(for: try await store.updateTenant(a, name: "A", settings: settings))
            }
            #expect(current !== inFlight)
            // The first request revokes (RFC 7009 revocation, a code replay, a logout).
            try await inFlight.revokeGrant(id: grant.id, at: now)
            try await inFlight.revokeAccessToken(jti: "revoked-jti", expiresAt: now.addingTimeInterval(900))
            #expect(try await current.grant(id: grant.id)?.revokedAt == now, "the database has the revocation")
            #expect(
                try await current.isAccessTokenRevoked(jti: "x", grantID: grant.id),
                "userinfo and introspection through the current handle must see it")
            #expect(try await current.isAccessTokenRevoked(jti: "revoked-jti", grantID: nil))
        }
    }
}
