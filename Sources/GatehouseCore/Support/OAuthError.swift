/// An OAuth 2.0 / OpenID Connect error as a value (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1;
/// RFC 7009 §2.2.1; OIDC Core §3.1.2.6).
///
/// `code` is an open set of wire codes; `description` is the human-readable
/// `error_description` (never contains secrets). Two errors are equal when their codes are equal.
/// The HTTP status is derived in the web layer, in one place.
public struct OAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `error` parameter value.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        // RFC 6749 §4.1.2.1 and §5.2
        public static let invalidRequest: Code = "invalid_request"
        public static let invalidClient: Code = "invalid_client"
        public static let invalidGrant: Code = "invalid_grant"
        public static let unauthorizedClient: Code = "unauthorized_client"
        public static let unsupportedGrantType: Code = "unsupported_grant_type"
        public static let invalidScope: Code = "invalid_scope"
        public static let accessDenied: Code = "access_denied"
        public static let unsupportedResponseType: Code = "unsupported_response_type"
        public static let serverError: Code = "server_error"
        public static let temporarilyUnavailable: Code = "temporarily_unavailable"
        // RFC 6750 §3.1
        public static let invalidToken: Code = "invalid_token"
        public static let insufficientScope: Code = "insufficient_scope"
        // RFC 7009 §2.2.1
        public static let unsupportedTokenType: Code = "unsupported_token_type"
        // OIDC Core §3.1.2.6
        public static let loginRequired: Code = "login_required"
        public static let consentRequired: Code = "consent_required"
        public static let interactionRequired: Code = "interaction_required"
        public static let requestNotSupported: Code = "request_not_supported"
        public static let requestURINotSupported: Code = "request_uri_not_supported"
        public static let registrationNotSupported: Code = "registration_not_supported"
        // Gatehouse: the client or resource is not found (admin/headless planes)
        public static let slowDown: Code = "slow_down"
    }

    public let code: Code
    /// `error_description`: printable ASCII for the client developer (RFC 6749 §5.2).
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public static func invalidRequest(_ d: String) -> Self { .init(.invalidRequest, d) }
    public static func invalidClient(_ d: String) -> Self { .init(.invalidClient, d) }
    public static func invalidGrant(_ d: String) -> Self { .init(.invalidGrant, d) }
    public static func unauthorizedClient(_ d: String) -> Self { .init(.unauthorizedClient, d) }
    public static func unsupportedGrantType(_ d: String) -> Self { .init(.unsupportedGrantType, d) }
    public static func invalidScope(_ d: String) -> Self { .init(.invalidScope, d) }
    public static func accessDenied(_ d: String) -> Self { .init(.accessDenied, d) }
    public static func unsupportedResponseType(_ d: String) -> Self { .init(.unsupportedResponseType, d) }
    public static func serverError(_ d: String) -> Self { .init(.serverError, d) }
    public static func temporarilyUnavailable(_ d: String) -> Self { .init(.temporarilyUnavailable, d) }
    public static func invalidToken(_ d: String) -> Self { .init(.invalidToken, d) }
    public static func loginRequired(_ d: String) -> Self { .init(.loginRequired, d) }
    public static func consentRequired(_ d: String) -> Self { .init(.consentRequired, d) }
    public static func interactionRequired(_ d: String) -> Self { .init(.interactionRequired, d) }
    public static func unsupportedTokenType(_ d: String) -> Self { .init(.unsupportedTokenType, d) }
}
