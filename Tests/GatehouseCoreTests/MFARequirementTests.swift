import GatehouseCore
import Testing

/// The tenant's MFA policy after the first factor, and the `amr` of the finished sign-in (the rules:
/// "`none` (MFA never asked), `optional` (asked when the user enrolled), `required` (a user without
/// a factor must enrol before the sign-in completes)"; "never claim a factor that was not used").
@Suite("MFA requirement and amr (RFC 8176)")
struct MFARequirementTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let policy: MFAPolicy
        let enrolled: [MFAFactorKind]
        let allowed: [MFAFactorKind]
        let amr: [String]
        let expected: MFARequirement
        var testDescription: String {
            "\(policy) enrolled=\(enrolled.map(\.rawValue)) allowed=\(allowed.map(\.rawValue)) amr=\(amr)"
        }
    }

    static let both: [MFAFactorKind] = [.totp, .email]

    @Test(
        "policy × enrolled factors × allowed factors",
        arguments: [
            // none: never asked, whatever the user enrolled.
            Row(policy: .none, enrolled: [], allowed: both, amr: ["pwd"], expected: .none),
            Row(policy: .none, enrolled: [.totp], allowed: both, amr: ["pwd"], expected: .none),
            Row(policy: .none, enrolled: [.totp, .email], allowed: both, amr: ["email"], expected: .none),
            // optional: asked only when the user enrolled a factor the tenant allows.
            Row(policy: .optional, enrolled: [], allowed: both, amr: ["pwd"], expected: .none),
            Row(policy: .optional, enrolled: [.totp], allowed: both, amr: ["pwd"], expected: .challenge([.totp])),
            Row(policy: .optional, enrolled: [.email], allowed: both, amr: ["pwd"], expected: .challenge([.email])),
            Row(policy: .optional, enrolled: [.totp, .email], allowed: both, amr: ["pwd"], expected: .challenge([.totp, .email])),
            Row(policy: .optional, enrolled: [.totp], allowed: both, amr: ["email"], expected: .challenge([.totp])),
            Row(policy: .optional, enrolled: [.email], allowed: [.totp], amr: ["pwd"], expected: .none),
            Row(policy: .optional, enrolled: [.totp, .email], allowed: [.email], amr: ["pwd"], expected: .challenge([.email])),
            // required: a user without a usable factor enrols an authenticator app during sign-in.
            Row(policy: .required, enrolled: [], allowed: both, amr: ["pwd"], expected: .enrol([.totp])),
            Row(policy: .required, enrolled: [], allowed: [.email], amr: ["pwd"], expected: .unavailable),
            Row(policy: .required, enrolled: [], allowed: [.totp], amr: ["email"], expected: .enrol([.totp])),
            Row(policy: .required, enrolled: [.totp], allowed: both, amr: ["pwd"], expected: .challenge([.totp])),
            // After an emailed link an emailed code proves the same mailbox again: no second factor.
            Row(policy: .required, enrolled: [.email], allowed: both, amr: ["email"], expected: .enrol([.totp])),
            Row(policy: .required, enrolled: [.email], allowed: [.email], amr: ["email"], expected: .unavailable),
            Row(policy: .optional, enrolled: [.email], allowed: both, amr: ["email"], expected: .none),
            Row(policy: .required, enrolled: [.email], allowed: [.totp], amr: ["pwd"], expected: .enrol([.totp])),
            Row(policy: .required, enrolled: [.totp, .email], allowed: both, amr: ["fed"], expected: .challenge([.totp, .email])),
            // A first factor that already proved MFA (trusted upstream) satisfies every policy.
            Row(policy: .required, enrolled: [], allowed: both, amr: ["fed", "pwd", "otp", "mfa"], expected: .none),
            Row(policy: .optional, enrolled: [.totp], allowed: both, amr: ["fed", "mfa"], expected: .none),
            // Upstream methods without `mfa` do not: `otp` alone is one factor.
            Row(policy: .required, enrolled: [.totp], allowed: both, amr: ["fed", "otp"], expected: .challenge([.totp])),
        ])
    func decide(_ row: Row) {
        #expect(
            MFARequirement.decide(
                policy: row.policy, enrolled: row.enrolled, allowed: row.allowed,
                firstFactorAMR: row.amr) == row.expected)
    }

    struct AMRRow: Sendable, CustomTestStringConvertible {
        let first: [String]
        let second: String
        let expected: [String]
        var testDescription: String { "\(first) + \(second)" }
    }

    @Test(
        "amr lists exactly the methods used, then mfa",
        arguments: [
            AMRRow(first: ["pwd"], second: "otp", expected: ["pwd", "otp", "mfa"]),
            AMRRow(first: ["pwd"], second: "email", expected: ["pwd", "email", "mfa"]),
            // A magic link (email) then TOTP; then email code after a magic link is not repeated.
            AMRRow(first: ["email"], second: "otp", expected: ["email", "otp", "mfa"]),
            AMRRow(first: ["email"], second: "email", expected: ["email", "mfa"]),
            AMRRow(first: ["fed"], second: "otp", expected: ["fed", "otp", "mfa"]),
            AMRRow(first: [], second: "otp", expected: ["otp", "mfa"]),
            AMRRow(first: ["pwd", "mfa"], second: "otp", expected: ["pwd", "mfa", "otp"]),
        ])
    func amr(_ row: AMRRow) {
        let amr = MFARequirement.amr(first: row.first, second: row.second)
        #expect(amr == row.expected)
        #expect(Set(amr).count == amr.count, "no method is listed twice")
    }
}

/// NIST SP 800-63B §5.1.1.2: 8 to 256 characters, no composition rules, common passwords refused.
@Suite("Password policy (NIST SP 800-63B)")
struct PasswordPolicyTests {
    static let common: Set<String> = ["password", "password123", "12345678", "qwerty123"]

    struct Row: Sendable, CustomTestStringConvertible {
        let label: String
        let password: String
        /// A fragment of the expected problem, or nil when accepted.
        let problem: String?
        var testDescription: String { label }
    }

    @Test(
        "length and common-password rules",
        arguments: [
            Row(label: "empty", password: "", problem: "at least 8 characters"),
            Row(label: "7 characters", password: "abcdefg", problem: "at least 8 characters"),
            Row(label: "8 characters", password: "abcdefgh", problem: nil),
            Row(label: "256 characters", password: String(repeating: "x", count: 256), problem: nil),
            Row(label: "257 characters", password: String(repeating: "x", count: 257), problem: "at most 256 characters"),
            Row(label: "common", password: "password123", problem: "too common"),
            Row(label: "common in another case", password: "PassWord123", problem: "too common"),
            Row(label: "common, 8 characters", password: "12345678", problem: "too common"),
            Row(label: "no composition rules: lowercase only", password: "correct horse battery staple", problem: nil),
            Row(label: "no composition rules: digits only, not common", password: "90210472618", problem: nil),
            Row(label: "spaces count", password: "a b c d ", problem: nil),
            // Length is in characters (grapheme clusters), not bytes: 8 emoji (32 UTF-8 bytes) are 8 characters.
            Row(label: "8 emoji", password: String(repeating: "🔑", count: 8), problem: nil),
            Row(label: "7 emoji (28 bytes)", password: String(repeating: "🔑", count: 7), problem: "at least 8 characters"),
            Row(label: "256 two-byte characters", password: String(repeating: "é", count: 256), problem: nil),
            Row(label: "257 two-byte characters", password: String(repeating: "é", count: 257), problem: "at most 256 characters"),
        ])
    func policy(_ row: Row) {
        let problem = PasswordPolicy.problem(row.password, common: Self.common)
        if let expected = row.problem {
            #expect(problem?.contains(expected) == true, "\(String(describing: problem))")
        } else {
            #expect(problem == nil)
        }
    }

    @Test("the bounds are NIST's")
    func bounds() {
        #expect(PasswordPolicy.minimumLength == 8)
        #expect(PasswordPolicy.maximumLength == 256)
    }
}

@Suite("MFA requirement: passkeys")
struct PasskeyMFARequirementTests {
    @Test("a passkey is a second factor after a password, never after a passkey; a verified passkey sign-in needs none")
    func passkeys() {
        let allowed: [MFAFactorKind] = [.totp, .webauthn]
        #expect(MFARequirement.decide(policy: .optional, enrolled: [.webauthn], allowed: allowed, firstFactorAMR: ["pwd"]) == .challenge([.webauthn]))
        #expect(MFARequirement.decide(policy: .optional, enrolled: [.webauthn], allowed: allowed, firstFactorAMR: ["hwk", "user"]) == .none)
        #expect(MFARequirement.decide(policy: .required, enrolled: [.webauthn], allowed: allowed, firstFactorAMR: ["swk", "user"]) == .enrol([.totp]))
        #expect(MFARequirement.decide(policy: .required, enrolled: [.webauthn], allowed: allowed, firstFactorAMR: ["hwk", "user", "mfa"]) == .none)
        #expect(MFARequirement.decide(policy: .required, enrolled: [.webauthn], allowed: [.totp], firstFactorAMR: ["pwd"]) == .enrol([.totp]))
    }
}
