import Foundation
import GatehouseCrypto

/// A tenant's signing keys (RFC 7517 JWKs, sealed at rest) and the cache of access tokens verified
/// with them.
public protocol KeyStore: Sendable {
    /// Every key record, oldest first (expired ones included until they are purged).
    func signingKeyRecords() async throws -> [SigningKeyRecord]
    /// Starts a rotation: a new key per algorithm, published now and activated after the
    /// pre-publication window; an algorithm that already has a key waiting keeps it.
    /// - Returns: the new (or already pending) keys, one per distinct algorithm.
    @discardableResult
    func rotateSigningKeys(algorithms requested: [JWSAlgorithm], at now: Date) async throws -> [SigningKeyRecord]
    /// Rebuilds the key ring now, creating the keys the tenant's settings and clients need.
    func ensureSigningKeys(at now: Date) async throws
    /// The tenant's published keys at `now`, unsealed; cached until the next scheduled change.
    /// - Throws: when a private key cannot be unsealed (wrong master key).
    func keyRing(at now: Date) async throws -> KeyRing
    /// Access tokens of this tenant already verified (shared by the tenant's live handles).
    var verifiedTokens: VerifiedTokenCache { get }
}
