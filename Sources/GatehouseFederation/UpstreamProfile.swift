/// Who signed in at the provider, as the provider vouches for it.
public struct UpstreamProfile: Sendable, Equatable {
    /// The upstream issuer that keys the identity (the ID token's `iss`, or the configured issuer).
    public var issuer: String
    /// The upstream subject (`sub` or the mapped subject field); never empty.
    public var subject: String
    /// The email address the provider reported, if any (not normalized).
    public var email: String?
    /// Whether the provider says it verified `email`.
    public var emailVerified: Bool
    public var name: String?
    /// The provider's `amr` (RFC 8176), when it sends one.
    public var amr: [String]

    public init(issuer: String, subject: String, email: String?, emailVerified: Bool, name: String?, amr: [String] = []) {
        self.issuer = issuer
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.amr = amr
    }
}
