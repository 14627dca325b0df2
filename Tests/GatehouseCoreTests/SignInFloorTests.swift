import GatehouseCore
import Testing

/// What removing one of a user's sign-in methods must leave them (``SignInFloor``): a way to sign
/// in, and a second factor where the tenant requires one. Only a loss is refused.
@Suite("Sign-in floor: the last way in and the last required second factor")
struct SignInFloorTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let floor: SignInFloor
        let before: SignInMethods
        let after: SignInMethods
        let expected: SignInMethodRemoval?
        let testDescription: String
    }

    static let passkeysOn = SignInFloor(passkeysSignIn: true, requiredSecondFactor: nil)
    static let passkeysOff = SignInFloor(passkeysSignIn: false, requiredSecondFactor: nil)
    static let required = SignInFloor(passkeysSignIn: true, requiredSecondFactor: [.totp, .email])
    static let requiredTOTPOnly = SignInFloor(passkeysSignIn: false, requiredSecondFactor: [.totp])

    static func methods(password: Bool = false, identities: Int = 0, passkeys: Int = 0, factors: Set<MFAFactorKind> = []) -> SignInMethods {
        SignInMethods(password: password, upstreamIdentities: identities, passkeys: passkeys, secondFactors: factors)
    }

    @Test(
        "before × after × the tenant's floor",
        arguments: [
            Row(
                floor: passkeysOn, before: methods(passkeys: 1), after: methods(), expected: .lastWayIn,
                testDescription: "a passwordless user's last passkey"),
            Row(
                floor: passkeysOn, before: methods(passkeys: 2), after: methods(passkeys: 1), expected: nil,
                testDescription: "one of two passkeys"),
            Row(
                floor: passkeysOn, before: methods(identities: 1, passkeys: 1), after: methods(passkeys: 1), expected: nil,
                testDescription: "the last identity while a passkey signs in"),
            Row(
                floor: passkeysOff, before: methods(identities: 1, passkeys: 1), after: methods(passkeys: 1), expected: .lastWayIn,
                testDescription: "the last identity where passkeys are off"),
            Row(
                floor: passkeysOff, before: methods(passkeys: 1), after: methods(), expected: nil,
                testDescription: "a passkey that was no way in (passkeys off)"),
            Row(
                floor: passkeysOn, before: methods(password: true, passkeys: 1), after: methods(password: true), expected: nil,
                testDescription: "the last passkey of a user with a password"),
            Row(
                floor: required, before: methods(password: true, passkeys: 1), after: methods(password: true),
                expected: .lastSecondFactor, testDescription: "the last passkey as the required second factor"),
            Row(
                floor: required, before: methods(password: true, passkeys: 1, factors: [.totp]), after: methods(password: true, passkeys: 1),
                expected: nil, testDescription: "a TOTP factor while a passkey remains (policy required)"),
            Row(
                floor: requiredTOTPOnly, before: methods(password: true, passkeys: 1, factors: [.totp]),
                after: methods(password: true, passkeys: 1), expected: .lastSecondFactor,
                testDescription: "a TOTP factor where passkeys are off (policy required)"),
            Row(
                floor: requiredTOTPOnly, before: methods(password: true, factors: [.email]), after: methods(password: true), expected: nil,
                testDescription: "an email factor the tenant no longer accepts"),
            Row(
                floor: required, before: methods(password: true, factors: [.totp, .email]), after: methods(password: true, factors: [.email]),
                expected: nil, testDescription: "one of two factors"),
            Row(
                floor: required, before: methods(), after: methods(), expected: nil,
                testDescription: "nothing to lose"),
        ])
    func refusal(_ row: Row) {
        #expect(row.floor.refusal(before: row.before, after: row.after) == row.expected)
    }
}
