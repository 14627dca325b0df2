import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

@Suite("Second-factor rules: usable factors and emailed codes (RFC 8176)")
struct SecondFactorCheckTests {
    static let now = TestClock.start

    static func pending(amr: [String]) -> PendingSignIn {
        PendingSignIn(
            idHash: SecretHash.of("challenge"), userID: UserID.generate(at: now), clientID: "pk_test_web", amr: amr,
            stage: .challenge, createdAt: now, expiresAt: now + 600)
    }

    @Test(
        "the usable factors are the allowed ones without the first factor",
        arguments: [
            (["pwd"], ["totp", "email"], [MFAFactorKind.totp, .email]),
            (["email"], ["totp", "email"], [.totp]),
            (["email"], ["email"], []),
            (["fed"], ["totp", "sms"], [.totp]),
            (["fed"], ["totp", "webauthn"], [.totp, .webauthn]),
            (["hwk", "user"], ["totp", "webauthn"], [.totp]),
        ])
    func usableFactors(amr: [String], allowed: [String], expected: [MFAFactorKind]) {
        var settings = TenantSettings()
        settings.mfaFactors = allowed
        #expect(SecondFactorCheck.usableFactors(for: Self.pending(amr: amr), settings: settings) == expected)
    }

    @Test("an emailed code matches its challenge only, until it expires, whitespace ignored")
    func emailedCode() {
        let salt = SecondFactorCheck.challengeSalt(Self.pending(amr: ["pwd"]))
        let hash = SecondFactorCheck.codeHash("123456", salt: salt)
        #expect(SecondFactorCheck.emailCodeMatches("123 456", hash: hash, expiresAt: Self.now + 1, salt: salt, now: Self.now))
        #expect(!SecondFactorCheck.emailCodeMatches("123457", hash: hash, expiresAt: Self.now + 1, salt: salt, now: Self.now))
        #expect(!SecondFactorCheck.emailCodeMatches("123456", hash: hash, expiresAt: Self.now, salt: salt, now: Self.now))
        #expect(!SecondFactorCheck.emailCodeMatches("123456", hash: hash, expiresAt: Self.now + 1, salt: "other", now: Self.now))
        #expect(!SecondFactorCheck.emailCodeMatches("123456", hash: nil, expiresAt: Self.now + 1, salt: salt, now: Self.now))
    }

    @Test("the form values of the methods")
    func methods() {
        #expect(SecondFactorMethod(form: "totp") == .totp)
        #expect(SecondFactorMethod(form: "email") == .email)
        #expect(SecondFactorMethod(form: "recovery") == .recovery)
        #expect(SecondFactorMethod(form: "recovery_code") == .recovery)
        #expect(SecondFactorMethod(form: "sms") == nil)
        #expect(SecondFactorMethod(form: nil) == nil)
    }
}
