/// What the tenant's MFA policy asks of a sign-in after its first factor.
public enum MFARequirement: Sendable, Equatable {
    /// No second factor: the sign-in completes with the first factor's methods.
    case none
    /// The user proves one of these factors (recovery codes always work when a factor exists).
    case challenge([MFAFactorKind])
    /// The user has no factor but the policy requires one: enrol before the sign-in completes.
    case enrol([MFAFactorKind])
    /// The policy requires a second factor that this sign-in cannot offer (e.g. a magic link where
    /// the only allowed second factor is email, which would prove the same mailbox twice).
    case unavailable

    /// Decides from the policy, the user's enrolled factors and the factors the tenant allows.
    ///
    /// `none`: never asked. `optional`: asked when the user enrolled a factor. `required`: a user
    /// without a factor must enrol (an authenticator app, during sign-in). A first factor that already
    /// proved multiple factors (an upstream `mfa` the provider is trusted for) satisfies the policy.
    /// A second factor never repeats the first: after an emailed link, an emailed code is no second
    /// factor.
    ///
    /// `organizationRequiresMFA`: the sign-in acts within an organization that requires a second
    /// factor of its members (`Organization.mfaRequired`, docs/contract.md A8); it is decided as
    /// under the policy `required`, whatever the tenant's policy.
    public static func decide(
        policy: MFAPolicy, enrolled: [MFAFactorKind], allowed: [MFAFactorKind],
        firstFactorAMR: [String], organizationRequiresMFA: Bool = false
    ) -> MFARequirement {
        if firstFactorAMR.contains("mfa") { return .none }
        let second = secondFactors(allowed: allowed, firstFactorAMR: firstFactorAMR)
        let usable = enrolled.filter { second.contains($0) }
        switch organizationRequiresMFA ? .required : policy {
        case .none:
            return .none
        case .optional:
            return usable.isEmpty ? .none : .challenge(usable)
        case .required:
            if !usable.isEmpty { return .challenge(usable) }
            return second.contains(.totp) ? .enrol([.totp]) : .unavailable
        }
    }

    /// The factors that can be a second factor after `firstFactorAMR`: the allowed ones, without
    /// email when the first factor was an emailed link (RFC 8176 `email`), nor a passkey when the
    /// first factor was one (`hwk`, `swk`).
    public static func secondFactors(allowed: [MFAFactorKind], firstFactorAMR: [String]) -> [MFAFactorKind] {
        allowed.filter {
            !($0 == .email && firstFactorAMR.contains("email"))
                && !($0 == .webauthn && (firstFactorAMR.contains("hwk") || firstFactorAMR.contains("swk")))
        }
    }

    /// The `amr` of a sign-in completed with `second` after `first` (RFC 8176): the first factor's
    /// methods, the second's, and `mfa`.
    public static func amr(first: [String], second: String) -> [String] {
        var result = first
        if !result.contains(second) { result.append(second) }
        if !result.contains("mfa") { result.append("mfa") }
        return result
    }
}

/// NIST SP 800-63B §5.1.1.2 memorized-secret rules: 8 to 256 characters, no composition rules,
/// and no password from a list of commonly used ones.
public enum PasswordPolicy {
    public static let minimumLength = 8
    public static let maximumLength = 256

    /// The problem with `password`, or nil when acceptable.
    /// - Parameter common: lowercased common passwords.
    public static func problem(_ password: String, common: Set<String>) -> String? {
        let length = password.count
        if length < minimumLength { return "must be at least \(minimumLength) characters" }
        if length > maximumLength { return "must be at most \(maximumLength) characters" }
        if common.contains(password.lowercased()) { return "is too common; choose a less predictable password" }
        return nil
    }
}
