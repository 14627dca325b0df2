import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// The rules of `rotateRefreshToken` (RFC 6749 §6, RFC 9700 §4.14.2, RP-Initiated Logout §2),
/// one row per rule.
@Suite("Storage conformance: refresh token rotation rules")
struct RefreshRotationTests {
    /// What a row presents to `rotateRefreshToken`.
    struct Presentation: Sendable {
        var hash: [UInt8]
        var clientID: String
        var at: Date
    }

    enum Expected: Sendable {
        case rotated, notFound, expired, grantInactive, reusedWithinGrace, reuseDetected
    }

    struct Rule: Sendable, CustomTestStringConvertible {
        let rule: String
        var scope: ScopeSet = ["openid", "email"]
        var tokenLifetime: TimeInterval = 86400
        var sessionLifetime: TimeInterval = 3600
        /// Prepares the scenario and returns what is presented.
        let arrange: @Sendable (TenantUnderTest, TenantUnderTest.SignedIn, RefreshToken) async throws -> Presentation
        let expected: Expected
        /// Whether the grant is revoked after the call.
        var grantRevokedAfter: Bool = false
        var testDescription: String { rule }
    }

    static let grace: TimeInterval = 5

    static func present(_ token: RefreshToken, _ signed: TenantUnderTest.SignedIn, after seconds: TimeInterval) -> Presentation {
        Presentation(hash: token.tokenHash, clientID: signed.grant.clientID, at: signed.grant.createdAt.addingTimeInterval(seconds))
    }

    /// Rotates `token` once, successfully, at `grant.createdAt + seconds`.
    static func rotateOnce(
        _ tenant: TenantUnderTest, _ signed: TenantUnderTest.SignedIn, _ token: RefreshToken,
        after seconds: TimeInterval
    ) async throws {
        let at = signed.grant.createdAt.addingTimeInterval(seconds)
        let result = try await tenant.store.rotateRefreshToken(
            hash: token.tokenHash, clientID: signed.grant.clientID,
            successorHash: Seed.hash(), successorExpiresAt: at.addingTimeInterval(86400),
            at: at, reuseGrace: grace)
        #expect(result.rotatedGrant == signed.grant)
        // The grant's user comes back from the rotating transaction (no second read to issue tokens).
        if case .rotated(_, let user) = result { #expect(user?.id == signed.grant.userID) }
    }

    static let rules: [Rule] = [
        Rule(
            rule: "an unexpired, unrotated token of the client rotates",
            arrange: { _, signed, token in present(token, signed, after: 10) }, expected: .rotated),
        Rule(
            rule: "an unknown token is not found",
            arrange: { _, signed, _ in Presentation(hash: Seed.hash(), clientID: signed.grant.clientID, at: signed.grant.createdAt) },
            expected: .notFound),
        Rule(
            rule: "a token presented by another client is not found (RFC 6749 §6)",
            arrange: { _, signed, token in Presentation(hash: token.tokenHash, clientID: "pk_dev_someoneelse", at: signed.grant.createdAt) },
            expected: .notFound),
        Rule(
            rule: "an expired token is refused as expired", tokenLifetime: 60,
            arrange: { _, signed, token in present(token, signed, after: 61) }, expected: .expired),
        Rule(
            rule: "a token of a revoked grant is refused as grant inactive",
            arrange: { tenant, signed, token in
                try await tenant.store.revokeGrant(id: signed.grant.id, at: signed.grant.createdAt.addingTimeInterval(1))
                return present(token, signed, after: 2)
            }, expected: .grantInactive, grantRevokedAfter: true),
        Rule(
            rule: "a non-offline grant whose session ended (endSession) is inactive",
            arrange: { tenant, signed, token in
                try await tenant.store.endSession(id: signed.session.id, at: signed.grant.createdAt.addingTimeInterval(1))
                return present(token, signed, after: 2)
            }, expected: .grantInactive, grantRevokedAfter: true),
        Rule(
            rule: "a non-offline grant whose session expired is inactive", sessionLifetime: 60,
            arrange: { _, signed, token in present(token, signed, after: 61) }, expected: .grantInactive),
        Rule(
            rule: "an offline_access grant ends with its session", scope: ["openid", "offline_access"],
            arrange: { tenant, signed, token in
                let ended = try await tenant.store.endSession(id: signed.session.id, at: signed.grant.createdAt.addingTimeInterval(1))
                #expect(ended == [signed.grant.id])
                return present(token, signed, after: 2)
            }, expected: .grantInactive, grantRevokedAfter: true),
        Rule(
            rule: "an offline_access grant survives the expiry of its session", scope: ["openid", "offline_access"], sessionLifetime: 60,
            arrange: { _, signed, token in present(token, signed, after: 3600) }, expected: .rotated),
        Rule(
            rule: "a rotated token presented again within the grace is refused and the grant survives",
            arrange: { tenant, signed, token in
                try await rotateOnce(tenant, signed, token, after: 10)
                return present(token, signed, after: 10 + grace)
            }, expected: .reusedWithinGrace),
        Rule(
            rule: "a rotated token presented again after the grace revokes the grant (RFC 9700 §4.14.2)",
            arrange: { tenant, signed, token in
                try await rotateOnce(tenant, signed, token, after: 10)
                return present(token, signed, after: 10 + grace + 1)
            }, expected: .reuseDetected, grantRevokedAfter: true),
        Rule(
            rule: "a rotated token replayed by another client neither reveals nor revokes the grant",
            arrange: { tenant, signed, token in
                try await rotateOnce(tenant, signed, token, after: 10)
                return Presentation(hash: token.tokenHash, clientID: "pk_dev_someoneelse", at: signed.grant.createdAt.addingTimeInterval(3600))
            }, expected: .notFound),
    ]

    @Test("rotateRefreshToken follows the rotation rules", arguments: ConformanceBackend.all, rules)
    func rotation(_ backend: ConformanceBackend, _ rule: Rule) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(scope: rule.scope, at: now, sessionLifetime: rule.sessionLifetime)
            let token = Seed.refreshToken(for: signed.grant.id, at: now, lifetime: rule.tokenLifetime)
            try await pair.a.store.insertRefreshToken(token)
            let presented = try await rule.arrange(pair.a, signed, token)
            let successor = Seed.hash()
            let result = try await pair.a.store.rotateRefreshToken(
                hash: presented.hash, clientID: presented.clientID, successorHash: successor,
                successorExpiresAt: presented.at.addingTimeInterval(86400), at: presented.at, reuseGrace: Self.grace)
            let stored = try await pair.a.store.grant(id: signed.grant.id)
            switch rule.expected {
            case .rotated:
                #expect(result.rotatedGrant == signed.grant)
                let next = try await pair.a.store.refreshToken(hash: successor)
                #expect(next?.grantID == signed.grant.id)
                #expect(next?.rotatedAt == nil)
                #expect(next?.expiresAt == presented.at.addingTimeInterval(86400))
                #expect(try await pair.a.store.refreshToken(hash: token.tokenHash)?.rotatedAt == presented.at)
            case .notFound: #expect(result == .notFound)
            case .expired: #expect(result == .expired)
            case .grantInactive: #expect(result == .grantInactive)
            case .reusedWithinGrace: #expect(result == .reusedWithinGrace)
            case .reuseDetected:
                #expect(result == .reuseDetected(signed.grant.id))
                #expect(stored?.revokedAt == presented.at)
            }
            if rule.expected != .rotated {
                #expect(try await pair.a.store.refreshToken(hash: successor) == nil, "a refused rotation stores no successor")
            }
            #expect((stored?.revokedAt != nil) == rule.grantRevokedAfter)
            #expect(try await pair.a.store.isAccessTokenRevoked(jti: "unrelated", grantID: signed.grant.id) == rule.grantRevokedAfter)
        }
    }

    @Test("a grant the caller does not admit is answered unchanged; admitted, it rotates", arguments: ConformanceBackend.all)
    func admission(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let signed = try await pair.a.signIn(scope: ["openid"], at: now, sessionLifetime: 3600)
            let token = Seed.refreshToken(for: signed.grant.id, at: now, lifetime: 86400)
            try await pair.a.store.insertRefreshToken(token)
            let successor = Seed.hash()
            let at = now.addingTimeInterval(10)
            func rotate(admit: @escaping @Sendable (Grant) -> Bool) async throws -> RefreshRotation {
                try await pair.a.store.rotateRefreshToken(
                    hash: token.tokenHash, clientID: signed.grant.clientID, successorHash: successor,
                    successorExpiresAt: at.addingTimeInterval(86400), at: at, reuseGrace: Self.grace, admit: admit)
            }
            #expect(try await rotate { $0.id != signed.grant.id } == .notAdmitted(signed.grant))
            #expect(try await pair.a.store.refreshToken(hash: token.tokenHash)?.rotatedAt == nil)
            #expect(try await pair.a.store.refreshToken(hash: successor) == nil)
            #expect(try await rotate { $0.id == signed.grant.id }.rotatedGrant == signed.grant)
            #expect(try await pair.a.store.refreshToken(hash: successor)?.grantID == signed.grant.id)
            // A rotated token is never asked about: its reuse is detected as before.
            #expect(try await rotate { _ in false } == .reusedWithinGrace)
        }
    }
}
