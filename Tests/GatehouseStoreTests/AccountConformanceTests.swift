import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

/// Consume-once and cross-tenant cases of the account and second-factor stores, run against every
/// `StorageBackend`: a one-time link and a recovery code are used at most once however many
/// requests race, and never through another tenant.
@Suite("Storage conformance: accounts and second factors")
struct AccountConformanceTests {
    static let racers = 20

    static func link(for user: UserID, at now: Date) -> (token: OneTimeToken, hash: [UInt8]) {
        let hash = Seed.hash()
        let token = OneTimeToken(
            id: SecureRandom.token(), purpose: .resetPassword, userID: user, tokenHash: hash, codeHash: nil, context: nil,
            createdAt: now, expiresAt: now.addingTimeInterval(900))
        return (token, hash)
    }

    @Test("20 concurrent uses of one link: exactly one consumes it", arguments: StorageBackend.all)
    func linkConsumedOnce(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            let (token, hash) = Self.link(for: user.id, at: now)
            try await a.insertOneTimeToken(token)
            #expect(try await a.peekOneTimeLink(hash: hash, purpose: .resetPassword, at: now) == token)
            #expect(try await a.consumeOneTimeLink(hash: hash, purpose: .magicLink, at: now) == nil, "another purpose")
            let results = try await Race.run(Self.racers) { _ in
                try await a.consumeOneTimeLink(hash: hash, purpose: .resetPassword, at: now)
            }
            #expect(results.compactMap { $0 }.count == 1)
            #expect(try await a.peekOneTimeLink(hash: hash, purpose: .resetPassword, at: now) == nil)
        }
    }

    @Test("20 concurrent uses of one recovery code: exactly one succeeds", arguments: StorageBackend.all)
    func recoveryCodeUsedOnce(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            let codes = [Seed.hash(), Seed.hash()]
            try await a.replaceRecoveryCodes(userID: user.id, hashes: codes, at: now)
            let results = try await Race.run(Self.racers) { _ in
                try await a.useRecoveryCode(userID: user.id, hash: codes[0], at: now)
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await a.unusedRecoveryCodeCount(userID: user.id) == 1)
        }
    }

    @Test("a link and a recovery code of tenant A cannot be read or used through tenant B", arguments: StorageBackend.all)
    func isolation(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, b, user, now in
            let (token, hash) = Self.link(for: user.id, at: now)
            try await a.insertOneTimeToken(token)
            let code = Seed.hash()
            try await a.replaceRecoveryCodes(userID: user.id, hashes: [code], at: now)
            #expect(try await b.peekOneTimeLink(hash: hash, purpose: .resetPassword, at: now) == nil)
            #expect(try await b.consumeOneTimeLink(hash: hash, purpose: .resetPassword, at: now) == nil)
            #expect(try await b.useRecoveryCode(userID: user.id, hash: code, at: now) == false)
            #expect(try await b.unusedRecoveryCodeCount(userID: user.id) == 0)
            #expect(try await b.user(email: user.email) == nil)
            #expect(try await a.peekOneTimeLink(hash: hash, purpose: .resetPassword, at: now) == token)
            #expect(try await a.unusedRecoveryCodeCount(userID: user.id) == 1)
        }
    }
}
