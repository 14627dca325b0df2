import GatehouseCore

/// What a verified upstream sign-in does to the tenant's users.
public enum FederatedSignInDecision: Sendable, Equatable {
    /// The identity is linked to this user: sign them in.
    case signIn(UserID)
    /// Link the identity to this existing user (same email, verified on both sides, policy allows), then sign in.
    case linkToExisting(UserID)
    /// Create a user with the upstream email and link the identity.
    case createUser
    /// Refuse; nothing is created.
    case refuse(Refusal)

    public enum Refusal: String, Sendable, Equatable {
        /// A user with this email exists and may not be linked automatically: sign in with the
        /// existing method first, then link from the account console.
        case accountExists = "account_exists"
        /// The provider may not create users (`allow_signup` off).
        case signupClosed = "signup_closed"
        /// The provider shared no usable email address, and a new user needs one.
        case missingEmail = "missing_email"
        /// The linked user is disabled.
        case userDisabled = "user_disabled"
    }

    /// Decides, from what the store holds.
    ///
    /// Identities are keyed by (provider, issuer, subject), never by email. An existing user is
    /// linked automatically only when the tenant's `account_linking` is `verified_email`, the
    /// provider says the email is verified, and the existing user's email is verified too — so an
    /// unverified local account created with someone else's address cannot capture their upstream
    /// identity (pre-account-takeover).
    /// - Parameters:
    ///   - identityUser: the user the identity is linked to, if it is.
    ///   - emailUser: the user with the upstream email (normalized), if any.
    ///   - profile: the upstream identity.
    ///   - normalizedEmail: the upstream email normalized, or nil when absent or invalid.
    ///   - accountLinking: the tenant's `account_linking`: `verified_email` or `never`.
    ///   - allowSignup: the provider's `allow_signup`.
    public static func decide(
        identityUser: User?, emailUser: User?, profile: UpstreamProfile, normalizedEmail: String?,
        accountLinking: String, allowSignup: Bool
    ) -> FederatedSignInDecision {
        if let user = identityUser { return user.disabled ? .refuse(.userDisabled) : .signIn(user.id) }
        guard normalizedEmail != nil else { return .refuse(.missingEmail) }
        if let user = emailUser {
            guard accountLinking == "verified_email", profile.emailVerified, user.emailVerified, !user.disabled else {
                return .refuse(.accountExists)
            }
            return .linkToExisting(user.id)
        }
        return allowSignup ? .createUser : .refuse(.signupClosed)
    }
}

/// RFC 8176 authentication method references after an upstream sign-in.
public enum FederatedAMR {
    /// Values that name a second factor.
    static let secondFactors: Set<String> = ["otp", "sms", "tel", "hwk", "swk", "sc", "fpt", "face", "iris", "retina", "vbm"]

    /// Whether an upstream `amr` shows multi-factor authentication: `mfa`, or a second factor
    /// together with another method.
    public static func showsMFA(_ amr: [String]) -> Bool {
        amr.contains("mfa") || (Set(amr).count >= 2 && amr.contains(where: secondFactors.contains))
    }

    /// Our `amr` for a sign-in through a provider: `fed`, plus the upstream methods (and `mfa`)
    /// only when the provider is trusted for MFA and its `amr` shows it; never a method not used.
    public static func amr(upstream: [String], trustUpstreamMFA: Bool) -> [String] {
        guard trustUpstreamMFA, showsMFA(upstream) else { return ["fed"] }
        var result = ["fed"]
        for value in upstream where !result.contains(value) && value.utf8.count <= 32 { result.append(value) }
        if !result.contains("mfa") { result.append("mfa") }
        return result
    }
}
