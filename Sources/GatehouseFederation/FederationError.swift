import GatehouseOutbound

/// Why an upstream sign-in failed. `message` is written for the person signing in and for the
/// relying party's `error_description`: it names the provider's problem, never a secret.
public struct FederationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for mapping to OAuth error codes and for tests.
    public enum Reason: String, Sendable {
        /// The user denied consent or cancelled at the provider (its `error=access_denied`).
        case accessDenied = "access_denied"
        /// The provider answered with another OAuth error.
        case upstreamError = "upstream_error"
        /// The provider could not be reached (refused, no route, DNS, TLS).
        case unreachable
        /// The provider did not answer in time.
        case timedOut = "timed_out"
        /// The SSRF guard refused the destination (private, loopback or link-local address,
        /// redirect to one, or to plain http).
        case destinationRefused = "destination_refused"
        /// The provider's answer was malformed (bad JSON, missing fields, bad status).
        case invalidResponse = "invalid_response"
        /// The ID token failed validation (signature, iss, aud, exp, nonce, …).
        case invalidToken = "invalid_token"
        /// The authorization response's `iss` (RFC 9207) is not the provider's issuer.
        case issuerMismatch = "issuer_mismatch"
        /// The provider's configuration is unusable (e.g. no discovery URL).
        case misconfigured
        /// The provider did not share an email address.
        case missingEmail = "missing_email"
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.reason == rhs.reason }

    static func invalidToken(_ message: String) -> Self { .init(.invalidToken, "the ID token was rejected: \(message)") }

    /// Maps a transport failure talking to `what` (e.g. "the token endpoint of Acme SSO").
    static func transport(_ error: any Error, talkingTo what: String) -> Self {
        guard let outbound = error as? OutboundError else {
            if error is CancellationError { return .init(.unreachable, "the request to \(what) was cancelled") }
            return .init(.unreachable, "\(what) could not be reached")
        }
        switch outbound {
        case .timedOut: return .init(.timedOut, "\(what) did not answer in time")
        case .destinationNotAllowed:
            // Shown to end users: the internal address itself is not repeated.
            return .init(.destinationRefused, "refused to connect to \(what): its address is on a private, loopback or link-local network")
        case .insecureRedirect: return .init(.destinationRefused, "refused to follow \(what) from https to http")
        case .schemeNotAllowed(let scheme): return .init(.destinationRefused, "refused to connect to \(what): scheme \(scheme) is not allowed")
        case .tooManyRedirects: return .init(.invalidResponse, "\(what) redirected too many times")
        case .responseTooLarge: return .init(.invalidResponse, "the answer of \(what) is too large")
        case .tlsFailure: return .init(.unreachable, "the TLS connection to \(what) failed")
        case .connectionFailed: return .init(.unreachable, "\(what) could not be reached")
        case .invalidURL: return .init(.misconfigured, "the URL of \(what) is invalid")
        case .invalidRequest, .transport: return .init(.unreachable, "the exchange with \(what) failed")
        }
    }
}
