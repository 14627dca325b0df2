import Foundation
public import GatehouseOutbound

/// Instance-wide rules for talking to upstream providers: the `[federation]` table of gatehouse.toml.
public struct FederationSettings: Sendable {
    /// Seconds allowed to connect (DNS, TCP, TLS) to a provider. Default 5.
    public var connectTimeout: Double = 5
    /// Seconds allowed for one whole exchange with a provider, redirects included. Default 10.
    public var totalTimeout: Double = 10
    /// Largest response accepted from a provider, in bytes. Default 1 MiB.
    public var maxResponseBytes: Int = 1 << 20
    /// PEM file of trusted CA certificates; nil uses the system store. TLS is always verified.
    public var caBundlePath: String?
    /// SSRF guard switch: `true` lets providers live on loopback, private and link-local addresses.
    /// Default false.
    public var allowPrivateDestinations = false
    /// Networks allowed despite the SSRF guard (e.g. `10.1.2.3/32` for an in-house provider).
    public var allowedPrivateNetworks: [IPNetwork] = []
    /// Whether `http://` provider URLs are accepted (labs and tests only). Default false.
    public var allowHTTP = false
    /// Seconds a provider's discovery document and JWKS are cached. Default 3600.
    public var metadataCacheSeconds: Double = 3600
    /// Least seconds between two JWKS fetches caused by an unknown `kid` (bounds the fetches a
    /// forged token can cause). Default 10.
    public var jwksRefetchIntervalSeconds: Double = 10
    /// Clock skew allowed when checking `exp`, `iat` and `nbf`, in seconds. Default 60.
    public var clockSkewSeconds: Double = 60

    public init() {}

    /// The outbound HTTP policy for provider calls.
    public var outboundPolicy: OutboundPolicy {
        OutboundPolicy(
            connectTimeout: connectTimeout, totalTimeout: totalTimeout, maxResponseBytes: maxResponseBytes, maxRedirects: 3,
            caBundlePath: caBundlePath, allowPrivateDestinations: allowPrivateDestinations,
            allowedSchemes: allowHTTP ? ["http", "https"] : ["https"], allowedPrivateNetworks: allowedPrivateNetworks,
            userAgent: "Gatehouse")
    }
}
