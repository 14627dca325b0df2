import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Consume-once under concurrency (docs/architecture.md H7, docs/architecture.md, Testing layers.2): many racing requests with
/// one code or one refresh token; exactly one wins.
@Suite("Storage conformance: consume once under concurrency")
struct ConsumeOnceTests {
    static let racers = 20

    @Test(
        "20 concurrent redemptions of one code: exactly one consumed, 19 already consumed",
        arguments: ConformanceBackend.all)
    func codeConsumedOnce(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(at: now)
            let grant = Seed.grant(client: signed.grant.clientID, user: signed.user.id, session: signed.session.id, at: now)
            let code = Seed.code(for: grant, at: now)
            try await pair.a.store.insertGrant(grant, code: code)
            let store = pair.a.store
            let results = try await withThrowingTaskGroup(of: CodeConsumption.self) { group in
                for _ in 0..<Self.racers {
                    group.addTask { try await store.consumeAuthorizationCode(hash: code.codeHash, at: now) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let consumed = results.filter { if case .consumed = $0 { true } else { false } }
            #expect(consumed.count == 1)
            #expect(results.filter { $0 == .alreadyConsumed(grant.id) }.count == Self.racers - 1)
            #expect(try await store.consumeAuthorizationCode(hash: code.codeHash, at: now.addingTimeInterval(1)) == .alreadyConsumed(grant.id))
        }
    }

    @Test(
        "20 concurrent rotations of one refresh token: one rotated, the rest refused within the grace, one live successor",
        arguments: ConformanceBackend.all)
    func refreshRotatedOnce(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(at: now)
            let token = Seed.refreshToken(for: signed.grant.id, at: now)
            try await pair.a.store.insertRefreshToken(token)
            let store = pair.a.store
            let successors = (0..<Self.racers).map { _ in Seed.hash() }
            let at = now.addingTimeInterval(10)
            let results = try await withThrowingTaskGroup(of: RefreshRotation.self) { group in
                for successor in successors {
                    group.addTask {
                        try await store.rotateRefreshToken(
                            hash: token.tokenHash, clientID: signed.grant.clientID, successorHash: successor,
                            successorExpiresAt: at.addingTimeInterval(86400), at: at, reuseGrace: 5)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0.rotatedGrant == signed.grant }.count == 1)
            #expect(results.filter { $0 == .reusedWithinGrace }.count == Self.racers - 1)

            var live: [RefreshToken] = []
            for successor in successors {
                if let stored = try await store.refreshToken(hash: successor) { live.append(stored) }
            }
            #expect(live.count == 1, "exactly one successor row exists")
            #expect(live.first?.rotatedAt == nil)
            #expect(live.first?.grantID == signed.grant.id)
            #expect(try await store.refreshToken(hash: token.tokenHash)?.rotatedAt == at)
            #expect(try await store.grant(id: signed.grant.id)?.revokedAt == nil, "reuse within the grace keeps the grant")

            // After the grace window, presenting the rotated token again is a replay: the grant dies.
            let late = at.addingTimeInterval(6)
            let replay = try await store.rotateRefreshToken(
                hash: token.tokenHash, clientID: signed.grant.clientID, successorHash: Seed.hash(),
                successorExpiresAt: late.addingTimeInterval(86400), at: late, reuseGrace: 5)
            #expect(replay == .reuseDetected(signed.grant.id))
            #expect(try await store.grant(id: signed.grant.id)?.revokedAt == late)
            #expect(try await store.isAccessTokenRevoked(jti: "any-access-token", grantID: signed.grant.id))
            let successor = try #require(live.first)
            let afterReplay = try await store.rotateRefreshToken(
                hash: successor.tokenHash, clientID: signed.grant.clientID,
                successorHash: Seed.hash(), successorExpiresAt: late.addingTimeInterval(86400),
                at: late.addingTimeInterval(1), reuseGrace: 5)
            #expect(afterReplay == .grantInactive, "the live successor dies with its grant (RFC 9700 §4.14.2)")
        }
    }

    @Test("20 concurrent completions of one interaction: exactly one stores its grant and code", arguments: ConformanceBackend.all)
    func interactionConsumedOnce(_ backend: ConformanceBackend) async throws {
        try await backend.withSignedIn { pair, signed, now in
            let interaction = Seed.interaction(client: signed.grant.clientID, at: now)
            try await pair.a.store.insertInteraction(interaction)
            let store = pair.a.store
            let issued = (0..<Self.racers).map { _ in
                let grant = Seed.grant(client: signed.grant.clientID, user: signed.user.id, session: signed.session.id, at: now)
                return (grant: grant, code: Seed.code(for: grant, at: now))
            }
            let results = try await Race.run(Self.racers) { index in
                try await store.consumeInteraction(id: interaction.id, issuing: issued[index].grant, code: issued[index].code)
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await store.interaction(id: interaction.id) == nil)
            var stored = 0
            for (grant, code) in issued {
                let hasGrant = try await store.grant(id: grant.id) != nil
                let hasCode = try await store.authorizationCode(hash: code.codeHash) != nil
                #expect(hasGrant == hasCode, "a grant is stored with its code or not at all")
                if hasGrant { stored += 1 }
            }
            #expect(stored == 1)
            // Through tenant B the interaction of A is unknown: nothing is stored there.
            let late = issued[0]
            #expect(try await pair.b.store.consumeInteraction(id: interaction.id, issuing: late.grant, code: late.code) == false)
        }
    }
}
