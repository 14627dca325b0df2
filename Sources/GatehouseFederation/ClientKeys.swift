import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseOutbound

/// The public keys of `private_key_jwt` clients (RFC 7523, OIDC Core §9): a `jwks_uri` is fetched
/// like a provider's JWKS, through the same ``HTTPClient`` and SSRF guard, cached per tenant and
/// client, and fetched again once when an assertion names a key the cache lacks.
extension FederationService {
    /// Seconds a client's `jwks_uri` document is kept before it is fetched again.
    public static let clientKeysMaxAge: Double = 300

    /// The key of the client's `jwks_uri` that must have signed an assertion with `header`.
    /// - Parameters:
    ///   - cacheKey: names the tenant, the client and the URI, so that nothing is shared between
    ///     tenants and a changed URI starts afresh.
    /// - Throws: ``FederationError``: `invalidToken` for an algorithm other than EdDSA, ES256 or
    ///   RS256 or a key the document lacks; `destinationRefused`, `unreachable`, `timedOut` or
    ///   `invalidResponse` when the document cannot be fetched.
    public func clientKey(for header: JWSHeader, jwksURI: String, cacheKey: String) async throws(FederationError) -> SignatureVerifier {
        try await clientKeySets.verifier(
            for: header, key: cacheKey, now: monotonicNow, maxAge: Self.clientKeysMaxAge,
            refetchInterval: settings.jwksRefetchIntervalSeconds
        ) { () async throws(FederationError) -> [UInt8] in
            try await self.get(jwksURI, what: "the client's jwks_uri").body
        }
    }

    /// The key of an inline `jwks` that must have signed an assertion with `header`: same `alg`,
    /// and same `kid` when the header names one (without a `kid`, the only key of that
    /// algorithm); keys that cannot verify (`oct`, `enc`, unknown curves) are skipped.
    public static func clientKey(for header: JWSHeader, in keys: [JWK]) -> SignatureVerifier? {
        KeySetCache.match(header, in: keys.compactMap { try? SignatureVerifier(jwk: $0) })
    }

    /// Drops the cached `jwks_uri` documents whose cache keys start with `prefix`.
    public func forgetClientKeys(prefix: String) {
        clientKeySets.forget(prefix: prefix)
    }
}
