import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Passkeys (W3C WebAuthn) in a real tenant database on every backend: credential IDs unique in a
/// tenant (not across tenants), the counter moved by compare-and-set once under concurrency,
/// rename and removal only by their user, answered challenges recorded once and purged.
@Suite("Passkeys (WebAuthn)")
struct PasskeyStoreTests {
    static func passkey(_ user: UserID, credential: [UInt8], at now: Date, attested: Bool = false) -> Passkey {
        Passkey(
            id: Passkey.newID(at: now), userID: user, credentialID: credential, publicKey: [0xA5, 1, 2], algorithm: -8, signCount: 3,
            aaguid: Array(repeating: 0, count: 16), name: "Laptop", backupEligible: false, backupState: false, createdAt: now,
            attested: attested)
    }

    @Test(
        "stored and read back; a credential ID once per tenant; the counter moves once; rename and removal by their user only",
        arguments: StorageBackend.all)
    func passkeys(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let now = clock.now
            let user = Seed.user(email: "ada@example.com", at: now)
            let other = Seed.user(email: "bob@example.com", at: now)
            let stranger = Seed.user(email: "ada@example.com", at: now)
            try await a.insertUser(user)
            try await a.insertUser(other)
            try await b.insertUser(stranger)
            let key = Self.passkey(user.id, credential: [1, 2, 3, 4], at: now, attested: true)
            #expect(try await a.insertPasskey(key))
            #expect(try await !a.insertPasskey(Self.passkey(other.id, credential: [1, 2, 3, 4], at: now)))
            #expect(try await b.insertPasskey(Self.passkey(stranger.id, credential: [1, 2, 3, 4], at: now)))
            #expect(try await a.passkey(credentialID: [1, 2, 3, 4]) == key)
            #expect(try await a.passkeys(userID: user.id) == [key])
            #expect(try await a.passkeys(userID: other.id).isEmpty)
            let moved = try await Race.run(4) { _ in
                try await a.recordPasskeyUse(id: key.id, expected: 3, signCount: 4, backupState: false, at: now)
            }
            #expect(moved.filter { $0 }.count == 1)
            let used = try #require(try await a.passkey(credentialID: [1, 2, 3, 4]))
            #expect(used.signCount == 4 && used.lastUsedAt != nil)
            #expect(try await !a.renamePasskey(id: key.id, userID: other.id, name: "Mine"))
            #expect(try await a.renamePasskey(id: key.id, userID: user.id, name: "Phone"))
            let floor = SignInFloor(passkeysSignIn: true, requiredSecondFactor: [.totp])
            #expect(try await a.removeSignInMethod(.passkey(key.id), userID: other.id, keeping: floor) == .notFound)
            #expect(try await a.removeSignInMethod(.passkey(key.id), userID: user.id, keeping: floor) == .lastSecondFactor)
            #expect(
                try await a.removeSignInMethod(.passkey(key.id), userID: user.id, keeping: SignInFloor(passkeysSignIn: true, requiredSecondFactor: nil))
                    == .removed, "the user has a password")
            #expect(try await a.passkey(credentialID: [1, 2, 3, 4]) == nil)
            #expect(try await b.passkey(credentialID: [1, 2, 3, 4]) != nil)
        }
    }

    @Test("of concurrent removals of a passwordless user's passkeys, one stays, whichever backend", arguments: StorageBackend.all)
    func keepingOne(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            let user = {
                var user = Seed.user(email: "ada@example.com", at: clock.now)
                user.passwordHash = nil
                return user
            }()
            try await a.insertUser(user)
            var ids: [String] = []
            for credential in 1...3 {
                let key = Self.passkey(user.id, credential: [UInt8(credential)], at: clock.now)
                #expect(try await a.insertPasskey(key))
                ids.append(key.id)
            }
            let all = ids
            let floor = SignInFloor(passkeysSignIn: true, requiredSecondFactor: nil)
            let outcomes = try await Race.run(all.count) { i in try await a.removeSignInMethod(.passkey(all[i]), userID: user.id, keeping: floor) }
            #expect(outcomes.filter { $0 == .removed }.count == 2)
            #expect(outcomes.filter { $0 == .lastWayIn }.count == 1)
            #expect(try await a.passkeys(userID: user.id).count == 1)
            let passkeysOff = SignInFloor(passkeysSignIn: false, requiredSecondFactor: nil)
            let last = try #require(try await a.passkeys(userID: user.id).first)
            #expect(try await a.removeSignInMethod(.passkey(last.id), userID: user.id, keeping: passkeysOff) == .removed, "no way in to lose")
        }
    }

    @Test("a TOTP factor and the last passkey removed at once under MFA policy required: one stays, whichever backend", arguments: StorageBackend.all)
    func lastSecondFactorOfTwoKinds(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            let user = Seed.user(email: "ada@example.com", at: clock.now)
            try await a.insertUser(user)
            let key = Self.passkey(user.id, credential: [7], at: clock.now)
            #expect(try await a.insertPasskey(key))
            try await a.saveMFAFactor(MFAFactor(id: "mfa-1", userID: user.id, kind: .totp, sealedSecret: a.seal([7]), createdAt: clock.now))
            try await a.replaceRecoveryCodes(userID: user.id, hashes: [[1]], at: clock.now)
            let floor = SignInFloor(passkeysSignIn: true, requiredSecondFactor: [.totp, .email])
            let methods: [SignInMethod] = [.passkey(key.id), .secondFactor(.totp)]
            let outcomes = try await Race.run(2) { i in try await a.removeSignInMethod(methods[i], userID: user.id, keeping: floor) }
            #expect(outcomes.filter { $0 == .removed }.count == 1)
            #expect(outcomes.filter { $0 == .lastSecondFactor }.count == 1)
            let left = try await a.passkeys(userID: user.id).count + a.mfaFactors(userID: user.id).count
            #expect(left == 1)
            #expect(try await a.removeSignInMethod(.secondFactor(.email), userID: user.id, keeping: floor) == .notFound)
            // Where passkeys do not count (webauthn off), a TOTP factor is the last second factor.
            try await a.saveMFAFactor(MFAFactor(id: "mfa-2", userID: user.id, kind: .totp, sealedSecret: a.seal([8]), createdAt: clock.now))
            try await a.replaceRecoveryCodes(userID: user.id, hashes: [[2]], at: clock.now)
            let withoutPasskeys = SignInFloor(passkeysSignIn: false, requiredSecondFactor: [.totp])
            #expect(try await a.removeSignInMethod(.secondFactor(.totp), userID: user.id, keeping: withoutPasskeys) == .lastSecondFactor)
            #expect(try await a.mfaFactors(userID: user.id).map(\.kind) == [.totp], "a refused removal is rolled back")
            let optional = SignInFloor(passkeysSignIn: false, requiredSecondFactor: nil)
            #expect(try await a.removeSignInMethod(.secondFactor(.totp), userID: user.id, keeping: optional) == .removed)
            #expect(try await a.unusedRecoveryCodeCount(userID: user.id) == 0, "the last factor takes the recovery codes")
        }
    }

    @Test("an answered challenge is recorded once, per tenant, until it expires", arguments: StorageBackend.all)
    func challenges(_ backend: StorageBackend) async throws {
        try await backend.withInstance { store, a, b, clock async throws in
            let challenge = Array(repeating: UInt8(9), count: 40)
            let until = clock.now.addingTimeInterval(300)
            #expect(try await a.recordWebAuthnChallenge(challenge, expiresAt: until))
            #expect(try await !a.recordWebAuthnChallenge(challenge, expiresAt: until))
            #expect(try await b.recordWebAuthnChallenge(challenge, expiresAt: until))
            clock.advance(301)
            await store.purgeExpired()
            #expect(try await a.recordWebAuthnChallenge(challenge, expiresAt: until.addingTimeInterval(600)))
        }
    }
}
