/// An OAuth 2.0 scope value set (RFC 6749 §3.3): space-delimited, case-sensitive, order-free.
public struct ScopeSet: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public private(set) var values: Set<String>

    public init(_ values: some Sequence<String>) { self.values = Set(values) }
    public init(arrayLiteral elements: String...) { self.values = Set(elements) }

    /// Parses a `scope` parameter.
    /// - Throws: `invalid_scope` when a token contains characters outside RFC 6749 §3.3's `scope-token`
    ///   (%x21 / %x23-5B / %x5D-7E).
    public init(parsing string: String) throws {
        var set = Set<String>()
        for token in string.split(separator: " ", omittingEmptySubsequences: true) {
            guard token.utf8.allSatisfy({ $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }) else {
                throw OAuthError.invalidScope("scope contains a character outside scope-token")
            }
            set.insert(String(token))
        }
        self.values = set
    }

    public func contains(_ scope: String) -> Bool { values.contains(scope) }
    public var isEmpty: Bool { values.isEmpty }
    public func isSubset(of other: ScopeSet) -> Bool { values.isSubset(of: other.values) }
    public func intersection(_ other: ScopeSet) -> ScopeSet { ScopeSet(values.intersection(other.values)) }
    public func union(_ other: ScopeSet) -> ScopeSet { ScopeSet(values.union(other.values)) }

    /// Sorted, space-delimited: the wire form.
    public var description: String { values.sorted().joined(separator: " ") }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        try self.init(parsing: c.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The scopes this provider understands for end users (OIDC Core §5.4, §11).
public enum StandardScope {
    public static let openid = "openid"
    public static let profile = "profile"
    public static let email = "email"
    public static let offlineAccess = "offline_access"
    /// `address` and `phone` (OIDC Core §5.4): the user's postal address, and phone number.
    public static let address = "address"
    public static let phone = "phone"
    /// Every scope a user-facing client may request.
    public static let all: ScopeSet = [openid, profile, email, address, phone, offlineAccess]
    /// Asks for an organization context (docs/contract.md A8): the user acts within one of their
    /// organizations, and tokens carry `org_id`, `org_role` and `org_permissions`. Not in ``all``:
    /// a client without an allow-list may request it (`Client.requestableScopes`); a client with
    /// one must list it.
    public static let organization = "organization"
    /// What discovery lists as `scopes_supported`.
    public static var supported: ScopeSet { all.union([organization]) }

    /// A one-line human description for the consent page.
    public static func describe(_ scope: String) -> String {
        switch scope {
        case openid: return "Sign you in and know who you are"
        case profile: return "See your name"
        case email: return "See your email address"
        case offlineAccess: return "Stay signed in when you are away"
        case address: return "See your postal address"
        case phone: return "See your phone number"
        case organization: return "Act within one of your organizations"
        default: return scope
        }
    }
}

extension ScopeSet {
    /// The `scope` member as token responses, access tokens and introspection answers write it:
    /// nil (the member left out) for an empty scope, which RFC 6749 §3.3's grammar does not allow.
    static func member(_ scope: String?) -> String? { scope?.isEmpty == false ? scope : nil }
}
