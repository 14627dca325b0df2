import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Cross-tenant cases after hydra's `persister_nid_test.go`: a row created in tenant A cannot be
/// read, consumed, rotated, revoked or changed through tenant B, and A's row is untouched after
/// B's attempts. One row per resource kind.
@Suite("Storage conformance: tenant isolation")
struct TenantIsolationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let rule: String
        let run: @Sendable (TenantPair) async throws -> Void
        var testDescription: String { rule }
    }

    static let cases: [Case] = [
        Case(rule: "a client of tenant A is not found through tenant B") { pair in
            let now = pair.clock.now
            let client = Seed.client(at: now)
            try await pair.a.insertClient(client)
            #expect(try await pair.b.store.client(clientID: client.clientID) == nil)
            #expect(try await pair.a.store.client(clientID: client.clientID) == client)
        },
        Case(rule: "a user of tenant A cannot be read or have its password changed through tenant B") { pair in
            let now = pair.clock.now
            let user = Seed.user(email: "shared@example.com", at: now)
            try await pair.a.insertUser(user)
            #expect(try await pair.b.store.user(id: user.id) == nil)
            #expect(try await pair.b.store.user(email: user.email) == nil)
            try await pair.b.store.updatePasswordHash(userID: user.id, hash: "$argon2id$attacker", at: now.addingTimeInterval(1))
            #expect(try await pair.a.store.user(id: user.id) == user)
            #expect(try await pair.a.store.user(email: user.email) == user)
        },
        Case(rule: "a session of tenant A cannot be read or ended through tenant B") { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(at: now)
            let b = pair.b.store
            #expect(try await b.session(tokenHash: signed.session.tokenHash) == nil)
            #expect(try await b.session(id: signed.session.id) == nil)
            #expect(try await b.sessions(userID: signed.user.id).isEmpty)
            #expect(try await b.endSession(id: signed.session.id, at: now.addingTimeInterval(6)).isEmpty)
            #expect(try await pair.a.store.session(id: signed.session.id) == signed.session)
            #expect(try await pair.a.store.session(tokenHash: signed.session.tokenHash) == signed.session)
            #expect(try await pair.a.store.grant(id: signed.grant.id)?.revokedAt == nil)
        },
        Case(rule: "sessions of tenant A are not listed or revoked through tenant B") { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(at: now)
            let b = pair.b.store
            #expect(try await b.activeSessions(at: now).isEmpty)
            #expect(try await b.activeSessions(userID: signed.user.id, at: now).isEmpty)
            try await b.revokeOthers(of: signed.user.id, keep: nil, at: now.addingTimeInterval(1))
            #expect(try await pair.a.store.activeSessions(userID: signed.user.id, at: now) == [signed.session])
            #expect(try await pair.a.store.grant(id: signed.grant.id)?.revokedAt == nil)
        },
        Case(rule: "an interaction of tenant A cannot be read, updated or deleted through tenant B") { pair in
            let now = pair.clock.now
            let interaction = Seed.interaction(client: "pk_dev_conformance", at: now)
            try await pair.a.store.insertInteraction(interaction)
            let b = pair.b.store
            #expect(try await b.interaction(id: interaction.id) == nil)
            var forged = interaction
            forged.userID = .generate(at: now)
            forged.loginDone = true
            forged.consentDone = true
            try await b.updateInteraction(forged)
            try await b.deleteInteraction(id: interaction.id)
            #expect(try await pair.a.store.interaction(id: interaction.id) == interaction)
        },
        Case(rule: "a consent of tenant A cannot be read or widened through tenant B") { pair in
            let now = pair.clock.now
            let user = Seed.user(at: now)
            try await pair.a.insertUser(user)
            let consent = Consent(userID: user.id, clientID: "pk_dev_conformance", scope: ["openid"], grantedAt: now)
            try await pair.a.store.saveConsent(consent)
            #expect(try await pair.b.store.consent(userID: user.id, clientID: consent.clientID) == nil)
            // B has no such user: the write fails or lands in B; either way A is unchanged.
            _ = try? await pair.b.store.saveConsent(
                Consent(
                    userID: user.id, clientID: consent.clientID,
                    scope: ["openid", "email", "offline_access"], grantedAt: now))
            #expect(try await pair.a.store.consent(userID: user.id, clientID: consent.clientID) == consent)
        },
        Case(rule: "a grant and its code of tenant A cannot be read, consumed or revoked through tenant B") { pair in
            let now = pair.clock.now
            let user = Seed.user(at: now)
            try await pair.a.insertUser(user)
            let grant = Seed.grant(client: "pk_dev_conformance", user: user.id, session: nil, at: now)
            let code = Seed.code(for: grant, at: now)
            try await pair.a.store.insertGrant(grant, code: code)
            let b = pair.b.store
            #expect(try await b.grant(id: grant.id) == nil)
            #expect(try await b.consumeAuthorizationCode(hash: code.codeHash, at: now) == .notFound)
            try await b.revokeGrant(id: grant.id, at: now)
            #expect(try await pair.a.store.grant(id: grant.id) == grant)
            #expect(try await pair.a.store.isAccessTokenRevoked(jti: "at-1", grantID: grant.id) == false)
            var consumed = code
            consumed.consumedAt = now
            #expect(try await pair.a.store.consumeAuthorizationCode(hash: code.codeHash, at: now) == .consumed(consumed))
        },
        Case(rule: "a refresh token of tenant A cannot be read, rotated or replayed through tenant B") { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(at: now)
            let token = Seed.refreshToken(for: signed.grant.id, at: now)
            try await pair.a.store.insertRefreshToken(token)
            let b = pair.b.store
            #expect(try await b.refreshToken(hash: token.tokenHash) == nil)
            for offset in [0.0, 3600] {
                let result = try await b.rotateRefreshToken(
                    hash: token.tokenHash, clientID: signed.grant.clientID,
                    successorHash: Seed.hash(), successorExpiresAt: now.addingTimeInterval(86400),
                    at: now.addingTimeInterval(offset), reuseGrace: 5)
                #expect(result == .notFound)
            }
            #expect(try await pair.a.store.refreshToken(hash: token.tokenHash) == token)
            #expect(try await pair.a.store.grant(id: signed.grant.id)?.revokedAt == nil)
            let rotated = try await pair.a.store.rotateRefreshToken(
                hash: token.tokenHash, clientID: signed.grant.clientID, successorHash: Seed.hash(),
                successorExpiresAt: now.addingTimeInterval(86400), at: now.addingTimeInterval(1), reuseGrace: 5)
            #expect(rotated.rotatedGrant == signed.grant)
        },
        Case(rule: "an access token revoked in tenant A is not revoked in tenant B, and B cannot revoke for A") { pair in
            let now = pair.clock.now
            try await pair.a.store.revokeAccessToken(jti: "jti-of-a", expiresAt: now.addingTimeInterval(900))
            #expect(try await pair.a.store.isAccessTokenRevoked(jti: "jti-of-a", grantID: nil))
            #expect(try await pair.b.store.isAccessTokenRevoked(jti: "jti-of-a", grantID: nil) == false)
            try await pair.b.store.revokeAccessToken(jti: "jti-of-b", expiresAt: now.addingTimeInterval(900))
            #expect(try await pair.a.store.isAccessTokenRevoked(jti: "jti-of-b", grantID: nil) == false)
            // And after a restart, from the files alone.
            let a = try await pair.a.reopen()
            let b = try await pair.b.reopen()
            #expect(try await a.store.isAccessTokenRevoked(jti: "jti-of-a", grantID: nil))
            #expect(try await a.store.isAccessTokenRevoked(jti: "jti-of-b", grantID: nil) == false)
            #expect(try await b.store.isAccessTokenRevoked(jti: "jti-of-a", grantID: nil) == false)
        },
    ]

    @Test(
        "a row of tenant A is invisible and immutable through tenant B",
        arguments: ConformanceBackend.all, cases)
    func isolation(_ backend: ConformanceBackend, _ row: Case) async throws {
        try await backend.withPair { pair in try await row.run(pair) }
    }

    @Test("resolve(clientID:) answers the owning tenant only; a key is unique across the instance")
    func clientKeyIndex() async throws {
        try await StoreFixture.withStore { store, fixture in
            let a = try await store.makeTenant("tenant-a")
            let b = try await store.makeTenant("tenant-b")
            let client = Seed.client(at: fixture.clock.now)
            try await store.registerClient(client, in: a)
            #expect(try await store.resolve(clientID: client.clientID) == a)
            #expect(try await store.resolve(clientID: client.clientID) != b)
            #expect(try await store.resolve(clientID: "pk_dev_unknown000000000000000") == nil)
            await expectConflict { try await store.registerClient(client, in: b) }
            #expect(try await store.database(for: b).client(clientID: client.clientID) == nil)
            #expect(try await store.resolve(clientID: client.clientID) == a)
        }
    }
}
