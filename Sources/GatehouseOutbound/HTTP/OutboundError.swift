/// Why an outbound HTTP exchange (or the transport under an SMTP delivery) failed.
///
/// A response with a non-2xx status is *not* an error. Associated strings are for humans and
/// logs; they never contain header values or bodies.
///
/// `connectionFailed` means no connection was established (nothing was sent, so even a
/// non-idempotent request may be retried); `transport` means the exchange broke after that.
public enum OutboundError: Error, Equatable, Sendable {
    /// The URL could not be parsed, or has no host.
    case invalidURL(String)
    /// The URL's scheme (or a redirect target's) is not in ``OutboundPolicy/allowedSchemes``.
    case schemeNotAllowed(String)
    /// SSRF guard: the destination address is loopback, private, link-local, … and
    /// ``OutboundPolicy/allowPrivateDestinations`` is off. The string names the address and range.
    case destinationNotAllowed(String)
    /// ``OutboundPolicy/connectTimeout`` or ``OutboundPolicy/totalTimeout`` elapsed.
    case timedOut
    /// The host could not be resolved or no connection could be made.
    case connectionFailed(String)
    /// TLS handshake or certificate verification failed.
    case tlsFailure(String)
    /// The response body exceeded ``OutboundPolicy/maxResponseBytes``; the transfer was aborted.
    case responseTooLarge
    /// More than ``OutboundPolicy/maxRedirects`` redirects.
    case tooManyRedirects
    /// A redirect from `https` to a non-`https` URL.
    case insecureRedirect
    /// The request itself is malformed: a method that is not a token, a header name that is not
    /// a token, or a header value containing CR, LF or NUL (header injection).
    case invalidRequest(String)
    /// Any other failure after the connection was made (connection reset, protocol error, …).
    case transport(String)
}
