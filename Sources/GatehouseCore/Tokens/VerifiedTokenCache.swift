import Foundation
import Synchronization

/// Access tokens whose signature and claims were already verified, per tenant.
///
/// Resource servers introspect the same token many times; verifying an Ed25519 signature and
/// decoding the claims each time costs more than the rest of the request. A hit skips only those
/// two steps: expiry and revocation are still checked on every use. Entries leave at their
/// token's expiry; the cache holds at most `capacity` tokens.
public final class VerifiedTokenCache: Sendable {
    private let entries = Mutex<[String: AccessTokenClaims]>([:])
    public let capacity: Int

    public init(capacity: Int = 4096) { self.capacity = capacity }

    func claims(for token: String) -> AccessTokenClaims? {
        entries.withLock { $0[token] }
    }

    func store(_ claims: AccessTokenClaims, for token: String, now: Int64) {
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.exp > now }
                // Still full of live tokens: forget an arbitrary quarter.
                if entries.count >= capacity {
                    for key in entries.keys.prefix(capacity / 4) { entries[key] = nil }
                }
            }
            entries[token] = claims
        }
    }
}
