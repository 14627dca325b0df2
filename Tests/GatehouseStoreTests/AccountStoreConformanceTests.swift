import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing

/// Users, one-time codes, pending sign-ins, second factors and failure counters, run against
/// every `StorageBackend`: uniqueness, text matching and the atomic counters and use-once steps
/// hold alike on each backend, however many requests race.
@Suite("Storage conformance: users, codes, pending sign-ins, second factors")
struct AccountStoreConformanceTests {
    static let racers = 20

    @Test("a taken email is a conflict on insert and update, within a tenant only", arguments: StorageBackend.all)
    func emailUniqueness(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, b, user, now in
            let twin = Seed.user(email: user.email, at: now)
            await #expect(throws: StoreError.self) { try await a.insertUser(twin) }
            try await b.insertUser(twin)  // another tenant: its own users
            let other = Seed.user(at: now)
            try await a.insertUser(other)
            var renamed = other
            renamed.email = user.email
            await #expect(throws: StoreError.self) { try await a.updateUser(renamed, at: now) }
            #expect(try await a.user(email: other.email) == other)
            #expect(try await a.user(id: user.id) == user)
        }
    }

    @Test("listUsers matches text case-insensitively for ASCII only, escapes wildcards and pages by id", arguments: StorageBackend.all)
    func listUsers(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            var users: [User] = []
            for (index, (email, name)) in [
                ("ann@example.com", "Ann Être"), ("bob_1@example.com", "Bob"), ("carl@example.com", "CARL 100%"),
                ("dora@example.com", "être"),
            ].enumerated() {
                var user = Seed.user(email: email, at: clock.now.addingTimeInterval(Double(index)))
                user.name = name
                try await a.insertUser(user)
                users.append(user)
            }
            func emails(_ query: String?, email: String? = nil) async throws -> [String] {
                try await a.listUsers(limit: 10, after: nil, email: email, query: query).map(\.email)
            }
            #expect(try await emails(nil) == users.map(\.email))
            #expect(try await emails("ANN") == ["ann@example.com"])
            #expect(try await emails("carl") == ["carl@example.com"])
            #expect(try await emails("ÊTRE") == ["ann@example.com"], "ASCII letters fold, non-ASCII ones do not")
            #expect(try await emails("être") == ["dora@example.com"])
            #expect(try await emails("b_1") == ["bob_1@example.com"])
            #expect(try await emails("_").count == 1, "'_' is a literal")
            #expect(try await emails("0%") == ["carl@example.com"])
            #expect(try await emails("%").count == 1, "'%' is a literal")
            #expect(try await emails("\\").isEmpty)
            #expect(try await emails(nil, email: "bob_1@example.com") == ["bob_1@example.com"])
            #expect(try await emails("ann", email: "bob_1@example.com").isEmpty)
            let first = try await a.listUsers(limit: 2, after: nil, email: nil, query: nil)
            #expect(first.map(\.id) == users.prefix(2).map(\.id))
            let rest = try await a.listUsers(limit: 10, after: first.last?.id, email: nil, query: nil)
            #expect(rest.map(\.id) == users.suffix(2).map(\.id))
        }
    }

    @Test("20 concurrent failed attempts on a pending sign-in and a console enrolment count 1…20", arguments: StorageBackend.all)
    func attemptCounters(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            let pendingID = Seed.hash()
            let pending = PendingSignIn(
                idHash: pendingID, userID: user.id, clientID: "pk_dev_x", amr: ["pwd"], scope: "openid", stage: .challenge,
                emailCodeHash: Seed.hash(), emailCodeExpiresAt: now.addingTimeInterval(600), createdAt: now,
                expiresAt: now.addingTimeInterval(600))
            try await a.savePendingSignIn(pending)
            #expect(try await a.pendingSignIn(idHash: pendingID, at: now) == pending)
            let enrolmentID = Seed.hash()
            let enrolment = ConsoleEnrolment(
                idHash: enrolmentID, userID: user.id, sealedTOTPSecret: a.seal([1, 2, 3]), createdAt: now,
                expiresAt: now.addingTimeInterval(600))
            try await a.saveConsoleEnrolment(enrolment)
            #expect(try await a.consoleEnrolment(idHash: enrolmentID, userID: user.id, at: now) == enrolment)
            let counts = try await Race.run(Self.racers) { index in
                if index.isMultiple(of: 2) { return try await a.recordPendingAttempt(idHash: pendingID) }
                return try await a.recordConsoleEnrolmentAttempt(idHash: enrolmentID)
            }
            #expect(counts.sorted() == (1...10).flatMap { [$0, $0] })
            #expect(try await a.pendingSignIn(idHash: pendingID, at: now)?.attempts == 10)
            #expect(try await a.recordPendingAttempt(idHash: Seed.hash()) == Int.max, "unknown: no attempts left")
            var replaced = pending
            replaced.stage = .enrolled
            replaced.attempts = 0
            try await a.savePendingSignIn(replaced)
            #expect(try await a.pendingSignIn(idHash: pendingID, at: now) == replaced)
            #expect(try await a.pendingSignIn(idHash: pendingID, at: now.addingTimeInterval(600)) == nil, "expired")
            try await a.deletePendingSignIn(idHash: pendingID)
            try await a.deleteConsoleEnrolment(idHash: enrolmentID)
            #expect(try await a.pendingSignIn(idHash: pendingID, at: now) == nil)
            #expect(try await a.consoleEnrolment(idHash: enrolmentID, userID: user.id, at: now) == nil)
            #expect(try a.unseal(enrolment.sealedTOTPSecret ?? []) == [1, 2, 3])
        }
    }

    @Test("an emailed code: 20 concurrent right answers consume it once; misses count up to the limit", arguments: StorageBackend.all)
    func emailCode(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            func code(_ id: String) -> OneTimeToken {
                OneTimeToken(
                    id: id, purpose: .magicLink, userID: user.id, tokenHash: Seed.hash(), codeHash: Seed.hash(), context: nil,
                    createdAt: now, expiresAt: now.addingTimeInterval(600))
            }
            try await a.insertOneTimeToken(code("ott-1"))
            let results = try await Race.run(Self.racers) { _ in
                try await a.consumeOneTimeCode(userID: user.id, purpose: .magicLink, at: now, maxAttempts: 5) { _ in true }
            }
            #expect(results.compactMap { $0?.id } == ["ott-1"])
            try await a.insertOneTimeToken(code("ott-2"))
            let misses = try await Race.run(Self.racers) { _ in
                try await a.consumeOneTimeCode(userID: user.id, purpose: .magicLink, at: now, maxAttempts: 5) { _ in false }
            }
            #expect(misses.allSatisfy { $0 == nil })
            let spent = try await a.consumeOneTimeCode(userID: user.id, purpose: .magicLink, at: now, maxAttempts: 5) { _ in true }
            #expect(spent == nil, "five misses spend the code")
        }
    }

    @Test(
        "proveEmail: the first proof spends sign-in links, clears the password and other pending sign-ins; later ones do nothing",
        arguments: StorageBackend.all)
    func proveEmail(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            let now = clock.now
            var user = Seed.user(at: now)
            user.emailVerified = false
            try await a.insertUser(user)
            let (reset, resetHash) = AccountConformanceTests.link(for: user.id, at: now)
            try await a.insertOneTimeToken(reset)
            let verifyHash = Seed.hash()
            try await a.insertOneTimeToken(
                OneTimeToken(
                    id: SecureRandom.token(), purpose: .verifyEmail, userID: user.id, tokenHash: verifyHash, codeHash: nil,
                    context: nil, createdAt: now, expiresAt: now.addingTimeInterval(900)))
            let (kept, dropped) = (Seed.hash(), Seed.hash())
            for id in [kept, dropped] {
                try await a.savePendingSignIn(
                    PendingSignIn(
                        idHash: id, userID: user.id, clientID: "pk_dev_x", amr: ["pwd"], stage: .verifyEmail, createdAt: now,
                        expiresAt: now.addingTimeInterval(600)))
            }
            #expect(try await a.proveEmail(user.id, keepPassword: false, keepingPending: kept, at: now))
            let proven = try await a.user(id: user.id)
            #expect(proven?.emailVerified == true && proven?.passwordHash == nil)
            #expect(try await a.peekOneTimeLink(hash: resetHash, purpose: .resetPassword, at: now) == nil)
            #expect(try await a.peekOneTimeLink(hash: verifyHash, purpose: .verifyEmail, at: now) != nil, "verification links stay")
            #expect(try await a.pendingSignIn(idHash: kept, at: now) != nil)
            #expect(try await a.pendingSignIn(idHash: dropped, at: now) == nil)
            #expect(try await a.proveEmail(user.id, keepPassword: false, keepingPending: nil, at: now) == false)
            #expect(try await a.pendingSignIn(idHash: kept, at: now) != nil)
        }
    }

    @Test("a TOTP step is used once among 20 racers; recovery codes go with the last factor", arguments: StorageBackend.all)
    func secondFactors(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            let totp = MFAFactor(id: "mfa-1", userID: user.id, kind: .totp, sealedSecret: a.seal([7]), createdAt: now)
            try await a.saveMFAFactor(totp)
            try await a.saveMFAFactor(MFAFactor(id: "mfa-2", userID: user.id, kind: .email, sealedSecret: nil, createdAt: now))
            let replacement = MFAFactor(id: "mfa-3", userID: user.id, kind: .totp, sealedSecret: a.seal([8]), createdAt: now)
            try await a.saveMFAFactor(replacement)
            #expect(Set(try await a.mfaFactors(userID: user.id).map(\.id)) == ["mfa-2", "mfa-3"])
            let uses = try await Race.run(Self.racers) { _ in try await a.useTOTPStep(factorID: "mfa-3", step: 1_000) }
            #expect(uses.filter { $0 }.count == 1)
            #expect(try await a.useTOTPStep(factorID: "mfa-3", step: 999) == false)
            #expect(try await a.useTOTPStep(factorID: "mfa-3", step: 1_001))
            #expect(try await a.mfaFactors(userID: user.id).first { $0.id == "mfa-3" }?.lastUsedStep == 1_001)
            try await a.replaceRecoveryCodes(userID: user.id, hashes: [Seed.hash(), Seed.hash()], at: now)
            try await a.removeMFAFactor(userID: user.id, kind: .totp)
            #expect(try await a.unusedRecoveryCodeCount(userID: user.id) == 2)
            try await a.removeMFAFactor(userID: user.id, kind: .email)
            #expect(try await a.unusedRecoveryCodeCount(userID: user.id) == 0)
        }
    }

    @Test("failure counters never go down and clear on success", arguments: StorageBackend.all)
    func failureCounters(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            let now = clock.now
            let later = now.addingTimeInterval(5)
            try await a.saveSignInFailures([SignInFailureRecord(key: "pwd|*|x", failures: 3, lastFailure: later)], cleared: [])
            try await a.saveSignInFailures(
                [
                    SignInFailureRecord(key: "pwd|*|x", failures: 2, lastFailure: now),
                    SignInFailureRecord(key: "pwd|1.2.3.4|x", failures: 1, lastFailure: now),
                ], cleared: [])
            #expect(
                try await a.signInFailures(keys: ["pwd|*|x", "pwd|1.2.3.4|x", "pwd|*|y"]) == [
                    SignInFailureRecord(key: "pwd|*|x", failures: 3, lastFailure: later),
                    SignInFailureRecord(key: "pwd|1.2.3.4|x", failures: 1, lastFailure: now),
                ])
            try await a.saveSignInFailures([], cleared: ["pwd|*|x"])
            #expect(try await a.signInFailures(keys: ["pwd|*|x"]).isEmpty)
        }
    }
}
