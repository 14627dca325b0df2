/// Limits and safety rules that an ``HTTPClient`` applies to every request and every redirect hop.
///
/// The defaults suit fetches of third-party URLs (OIDC discovery, JWKS, webhooks): HTTPS only,
/// no private destinations, small bodies, short timeouts. The admin CLI, which talks to the
/// server on loopback, uses ``OutboundPolicy/init(connectTimeout:totalTimeout:maxResponseBytes:maxRedirects:caBundlePath:allowPrivateDestinations:allowedSchemes:allowedPrivateNetworks:userAgent:)``
/// with `allowPrivateDestinations: true` and `allowedSchemes: ["http", "https"]`.
///
/// TLS peer and host-name verification are always on; there is no switch to turn them off.
public struct OutboundPolicy: Sendable {
    /// Seconds allowed to establish a connection (DNS, TCP and TLS). Default 5.
    public var connectTimeout: Double
    /// Seconds allowed for the whole exchange, all redirect hops included. Default 15.
    public var totalTimeout: Double
    /// Largest response body accepted, in bytes; a larger one aborts the transfer with
    /// ``OutboundError/responseTooLarge`` as soon as the limit is crossed (or at once when
    /// `Content-Length` announces it). Default 1 MiB.
    public var maxResponseBytes: Int
    /// Redirects followed (301, 302, 303, 307, 308) before ``OutboundError/tooManyRedirects``.
    /// Default 3. `0` means redirects are not followed: the 3xx response is returned as is.
    public var maxRedirects: Int
    /// A PEM file of trusted CA certificates (CURLOPT_CAINFO); `nil` uses the system store.
    public var caBundlePath: String?
    /// SSRF guard switch. `false` (default) refuses every destination whose *connected*
    /// address is special-purpose: loopback, private-use, link-local (cloud metadata),
    /// unspecified, CGNAT, multicast, broadcast, documentation, … (see ``IPAddress/specialPurposeRange``).
    public var allowPrivateDestinations: Bool
    /// URL schemes accepted for the request and every redirect hop (lower case). Only `http`
    /// and `https` are supported. Default `["https"]`.
    public var allowedSchemes: Set<String>
    /// Exceptions to the SSRF guard when ``allowPrivateDestinations`` is `false`: special-purpose
    /// addresses inside these networks are allowed (e.g. an identity provider at `10.1.2.3/32`).
    /// Default empty.
    public var allowedPrivateNetworks: [IPNetwork]
    /// Sent as `User-Agent` unless the request has its own. Default `"Gatehouse"`.
    public var userAgent: String

    /// Creates a policy; every parameter has the default documented on its property.
    public init(
        connectTimeout: Double = 5,
        totalTimeout: Double = 15,
        maxResponseBytes: Int = 1 << 20,
        maxRedirects: Int = 3,
        caBundlePath: String? = nil,
        allowPrivateDestinations: Bool = false,
        allowedSchemes: Set<String> = ["https"],
        allowedPrivateNetworks: [IPNetwork] = [],
        userAgent: String = "Gatehouse"
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
        self.maxRedirects = maxRedirects
        self.caBundlePath = caBundlePath
        self.allowPrivateDestinations = allowPrivateDestinations
        self.allowedSchemes = allowedSchemes
        self.allowedPrivateNetworks = allowedPrivateNetworks
        self.userAgent = userAgent
    }

    /// HTTPS only, SSRF guard on, 5 s connect, 15 s total, 1 MiB, 3 redirects.
    public static let `default` = OutboundPolicy()

    /// Whether the SSRF guard lets the client connect to `address`.
    /// - Returns: `nil` when allowed, else a reason such as `"10.0.0.1 (private-use)"`.
    public func refusal(for address: IPAddress) -> String? {
        if allowPrivateDestinations { return nil }
        guard let range = address.specialPurposeRange else { return nil }
        let plain = address.unmappedIPv4 ?? address
        if allowedPrivateNetworks.contains(where: { $0.contains(plain) || $0.contains(address) }) { return nil }
        return "\(address) (\(range))"
    }
}
