import Foundation
import GatehouseCore
import Synchronization

/// The revoked grants and access-token ids of one tenant, held in memory so that validating an
/// access token (userinfo, introspection) needs no database read.
///
/// Loaded from the tenant database when it opens and updated by every revocation this process
/// makes; the database stays the source of truth. Entries older than the longest access-token
/// lifetime are pruned, since no token they could revoke is still alive.
final class RevocationIndex: Sendable {
    private struct State {
        var grants: [String: Date] = [:]
        var accessTokens: [String: Date] = [:]
    }
    private let state = Mutex(State())

    /// The longest access token lifetime (TenantSettings allows at most one day).
    static let horizon: TimeInterval = 86400

    func load(grants: [(String, Date)], accessTokens: [(String, Date)]) {
        state.withLock {
            for (id, at) in grants { $0.grants[id] = at }
            for (jti, exp) in accessTokens { $0.accessTokens[jti] = exp }
        }
    }

    func revokeGrants(_ ids: [String], at: Date) {
        state.withLock { for id in ids { $0.grants[id] = at } }
    }

    func revokeAccessToken(_ jti: String, expiresAt: Date) {
        state.withLock { $0.accessTokens[jti] = expiresAt }
    }

    func isRevoked(jti: String, grantID: String?) -> Bool {
        state.withLock { s in
            if s.accessTokens[jti] != nil { return true }
            if let grantID, s.grants[grantID] != nil { return true }
            return false
        }
    }

    /// Forgets entries that can no longer matter at `now`.
    func prune(now: Date) {
        state.withLock { s in
            s.grants = s.grants.filter { now.timeIntervalSince($0.value) < Self.horizon }
            s.accessTokens = s.accessTokens.filter { $0.value > now }
        }
    }
}
