import Foundation
import GatehouseCrypto
import Synchronization

/// The public keys of each provider (its JWKS), cached, and fetched again when a token names a
/// key the cache does not have (key rotation), at most once per refetch interval.
final class KeySetCache: Sendable {
    struct Entry {
        var verifiers: [SignatureVerifier]
        /// Monotonic seconds of the fetch.
        var fetchedAt: Double
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// A JWKS document; keys that cannot verify signatures here (`oct`, `enc`, unknown curves)
    /// are skipped, not fatal.
    struct KeySet: Decodable {
        struct Lenient: Decodable {
            let jwk: JWK?
            init(from decoder: any Decoder) throws { jwk = try? JWK(from: decoder) }
        }
        let keys: [Lenient]
    }

    static func verifiers(from body: [UInt8]) throws(FederationError) -> [SignatureVerifier] {
        guard let set = try? JSONDecoder().decode(KeySet.self, from: Data(body)) else {
            throw FederationError(.invalidResponse, "the provider's JWKS is not a JSON key set")
        }
        return set.keys.compactMap { $0.jwk }.compactMap { try? SignatureVerifier(jwk: $0) }
    }

    /// The verifier for a token's header: same `alg`, and same `kid` when the header names one
    /// (without a `kid`, the only key of that algorithm).
    static func match(_ header: JWSHeader, in verifiers: [SignatureVerifier]) -> SignatureVerifier? {
        let candidates = verifiers.filter { $0.algorithm.rawValue == header.alg && (header.kid == nil || $0.jwk.kid == header.kid) }
        return candidates.count == 1 || header.kid != nil ? candidates.first : nil
    }

    /// Finds the key that must have signed a token with `header`.
    /// - Parameters:
    ///   - key: the cache key (tenant, provider and its version).
    ///   - now: monotonic seconds.
    ///   - fetch: downloads the JWKS.
    /// - Throws: ``FederationError`` `invalidToken` for an unsupported algorithm or an unknown key.
    func verifier(
        for header: JWSHeader, key: String, now: Double, maxAge: Double, refetchInterval: Double,
        fetch: () async throws(FederationError) -> [UInt8]
    ) async throws(FederationError) -> SignatureVerifier {
        guard JWSAlgorithm(rawValue: header.alg) != nil else {
            throw .invalidToken("it is signed with \(header.alg), which is not accepted (EdDSA, ES256, RS256)")
        }
        var entry = entries.withLock { $0[key] }
        if let cached = entry, now - cached.fetchedAt >= maxAge { entry = nil }
        var fresh = false
        if entry == nil {
            entry = Entry(verifiers: try Self.verifiers(from: try await fetch()), fetchedAt: now)
            fresh = true
            store(entry!, key: key)
        }
        if let found = Self.match(header, in: entry!.verifiers) { return found }
        if !fresh, now - entry!.fetchedAt >= refetchInterval {
            // An unknown kid: the provider may have rotated its keys.
            let refetched = Entry(verifiers: try Self.verifiers(from: try await fetch()), fetchedAt: now)
            store(refetched, key: key)
            if let found = Self.match(header, in: refetched.verifiers) { return found }
        }
        throw .invalidToken("it is signed by a key the provider does not publish (kid \(header.kid ?? "none"))")
    }

    private func store(_ entry: Entry, key: String) {
        entries.withLock { entries in
            entries[key] = entry
            if entries.count > 4096 { entries.removeAll() }
        }
    }

    /// Drops cached key sets whose key starts with `prefix` (a provider changed or was deleted).
    func forget(prefix: String) {
        entries.withLock { entries in entries = entries.filter { !$0.key.hasPrefix(prefix) } }
    }
}
