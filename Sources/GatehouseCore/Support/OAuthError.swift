/// An OAuth 2.0 / OpenID Connect error as a value (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1;
/// RFC 7009 §2.2.1; OIDC Core §3.1.2.6).
///
/// `code` is an open set of wire codes; `description` is the human-readable
/// `error_description` (never contains secrets). Two errors are equal when their codes are equal.
/// The HTTP status is derived in the web layer, in one place, where the error renders itself as
/// RFC 6749 §5.2 JSON (docs/architecture.md "Errors"); `debugReason` and the throw site
/// (`fileID`, `line`) only reach the log.
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
        /// RFC 9101 §7.1 / OIDC Core §3.1.2.6: a `request_uri` that is unknown, used, expired or another client's.
        public static let invalidRequestURI: Code = "invalid_request_uri"
        /// RFC 9101 §7 / OIDC Core §3.1.2.6: the request object is invalid.
        public static let invalidRequestObject: Code = "invalid_request_object"
        /// RFC 8707 §2 / RFC 8693 §2.2.2: the requested resource or audience is not known here.
        public static let invalidTarget: Code = "invalid_target"
        public static let registrationNotSupported: Code = "registration_not_supported"
        // Gatehouse: the client or resource is not found (admin/headless planes)
        public static let slowDown: Code = "slow_down"
        /// RFC 8628 §3.5: the user has not yet decided on the device authorization.
        public static let authorizationPending: Code = "authorization_pending"
        /// RFC 8628 §3.5: the device code passed its `expires_in`.
        public static let expiredToken: Code = "expired_token"
        /// RFC 9449 §5, §7.1: the DPoP proof is missing, invalid or unacceptable.
        public static let invalidDPoPProof: Code = "invalid_dpop_proof"
        /// RFC 9449 §8, §9: the DPoP proof must carry the server's current nonce (`DPoP-Nonce`).
        public static let useDPoPNonce: Code = "use_dpop_nonce"
    }

    public let code: Code
    /// `error_description`: printable ASCII for the client developer (RFC 6749 §5.2).
    public let description: String
    /// Whether the error may be sent to the client's redirect URI (RFC 6749 §4.1.2.1). Errors about
    /// the `client_id` or `redirect_uri` themselves are not: the user sees an error page instead.
    public let redirectable: Bool
    /// What the server knows beyond `description` (e.g. the underlying failure): logged, never sent.
    public let debugReason: String?
    /// The throw site (`#fileID`), for the log line.
    public let fileID: String
    /// The throw site's line (`#line`), for the log line.
    public let line: Int

    /// - Parameters:
    ///   - code: the `error` wire code.
    ///   - description: the `error_description` sent to the client.
    ///   - redirectable: false for errors about the client or its redirect URI (RFC 6749 §4.1.2.1).
    ///   - debug: a reason for the log only.
    ///   - fileID, line: the throw site; leave the defaults.
    public init(
        _ code: Code, _ description: String, redirectable: Bool = true, debug: String? = nil,
        fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.description = description
        self.redirectable = redirectable
        self.debugReason = debug
        self.fileID = fileID
        self.line = line
    }

    /// The same error, marked as not redirectable (RFC 6749 §4.1.2.1).
    public var notRedirectable: Self {
        Self(code, description, redirectable: false, debug: debugReason, fileID: fileID, line: line)
    }

    /// The throw site and debug reason as log metadata values (never sent to the client).
    public var logDetail: String {
        "\(code.rawValue) at \(fileID):\(line)" + (debugReason.map { ": \($0)" } ?? "")
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public static func invalidRequest(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.invalidRequest, d, debug: debug, fileID: fileID, line: line)
    }
    public static func invalidClient(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.invalidClient, d, debug: debug, fileID: fileID, line: line)
    }
    public static func invalidGrant(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.invalidGrant, d, debug: debug, fileID: fileID, line: line)
    }
    public static func unauthorizedClient(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.unauthorizedClient, d, debug: debug, fileID: fileID, line: line)
    }
    public static func unsupportedGrantType(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.unsupportedGrantType, d, debug: debug, fileID: fileID, line: line)
    }
    public static func invalidScope(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.invalidScope, d, debug: debug, fileID: fileID, line: line)
    }
    public static func accessDenied(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.accessDenied, d, debug: debug, fileID: fileID, line: line)
    }
    public static func unsupportedResponseType(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.unsupportedResponseType, d, debug: debug, fileID: fileID, line: line)
    }
    public static func serverError(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.serverError, d, debug: debug, fileID: fileID, line: line)
    }
    public static func temporarilyUnavailable(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.temporarilyUnavailable, d, debug: debug, fileID: fileID, line: line)
    }
    public static func invalidToken(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.invalidToken, d, debug: debug, fileID: fileID, line: line)
    }
    public static func loginRequired(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.loginRequired, d, debug: debug, fileID: fileID, line: line)
    }
    public static func consentRequired(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.consentRequired, d, debug: debug, fileID: fileID, line: line)
    }
    public static func interactionRequired(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.interactionRequired, d, debug: debug, fileID: fileID, line: line)
    }
    public static func unsupportedTokenType(_ d: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> Self {
        .init(.unsupportedTokenType, d, debug: debug, fileID: fileID, line: line)
    }
}
