import Foundation
import GatehouseCore
import Synchronization

/// The revoked grants and access-token ids of one tenant, held in memory so that validating an
/// access token (userinfo, introspection) needs no database read.
///
/// Loaded from the tenant database when it opens and updated by every revocation this process
/// makes; the database stays the source of truth.
///
/// Memory is bounded by the revocations of one access-token lifetime, not of a day: a revoked
/// grant matters only while an access token issued from it can be alive, and every such token was
/// issued before the revocation. Entries of grants revoked more than `horizon` seconds ago (the
/// tenant's access-token lifetime) are dropped, and `watermark` remembers how far: a token issued
/// at or after the watermark cannot belong to a dropped grant, so the index answers for it alone;
/// an older token that is still unexpired (only possible after the tenant shortened its
/// access-token lifetime) is `.unknown`, and the database decides. Revoked `jti`s leave at their
/// token's expiry. Pruning runs from housekeeping and, amortized, on a grant revocation once the
/// index holds at least `pruneFloor` entries and either `pruneInterval` seconds have passed since
/// the last prune or the index has doubled since then. The interval keeps the index within a few
/// percent of its steady-state size (a pure doubling rule swings between one and two times it).
final class RevocationIndex: Sendable {
    /// What the index knows about one access token.
    enum Answer: Equatable {
        case revoked
        case live
        /// The token predates the watermark and its grant is not in the index: ask the database.
        case unknown
    }

    private struct State {
        var grants: [String: Date] = [:]
        var accessTokens: [String: Date] = [:]
        /// Grants revoked before this moment may be missing from `grants`.
        var watermark: Date = .distantPast
        /// Seconds a revoked grant stays in memory: the tenant's access-token lifetime.
        var horizon: TimeInterval = RevocationIndex.maximumHorizon
        /// Entry count after the last prune; an amortized prune runs at twice as many at the latest.
        var sizeAfterPrune = 0
        /// When the last prune ran.
        var lastPrune: Date = .distantPast
    }
    private let state = Mutex(State())

    /// The longest access-token lifetime a tenant may set (TenantSettings allows at most one day).
    static let maximumHorizon: TimeInterval = 86400
    /// Entries below which no amortized prune runs.
    static let pruneFloor = 1024
    /// Seconds after which a grant revocation prunes again (amortized: one O(n) pass a minute).
    static let pruneInterval: TimeInterval = 60

    /// Sets how long revoked grants are kept, in seconds (the tenant's current access-token
    /// lifetime, clamped to 1…86400). A shorter horizon is safe at any time thanks to the watermark.
    func setHorizon(_ seconds: TimeInterval) {
        state.withLock { $0.horizon = min(max(seconds, 1), Self.maximumHorizon) }
    }

    /// The moment before which revoked grants need not be loaded at `now`.
    func loadFrom(now: Date) -> Date {
        state.withLock { now.addingTimeInterval(-$0.horizon) }
    }

    /// Loads the revocations of the database: grants revoked since `since` (see `loadFrom`) and
    /// unexpired revoked `jti`s. Anything older is behind the watermark.
    func load(grants: [(String, Date)], accessTokens: [(String, Date)], since: Date) {
        state.withLock {
            for (id, at) in grants { $0.grants[id] = at }
            for (jti, exp) in accessTokens { $0.accessTokens[jti] = exp }
            $0.watermark = max($0.watermark, since)
            $0.sizeAfterPrune = $0.grants.count + $0.accessTokens.count
        }
    }

    func revokeGrants(_ ids: [String], at: Date) {
        state.withLock { s in
            for id in ids { s.grants[id] = at }
            Self.pruneIfGrown(&s, now: at)
        }
    }

    func revokeAccessToken(_ jti: String, expiresAt: Date) {
        state.withLock { $0.accessTokens[jti] = expiresAt }
    }

    /// Whether the token `jti` of grant `grantID`, issued at `issuedAt` (nil: unknown), is revoked.
    func answer(jti: String, grantID: String?, issuedAt: Date?) -> Answer {
        state.withLock { s in
            if s.accessTokens[jti] != nil { return .revoked }
            guard let grantID else { return .live }
            if s.grants[grantID] != nil { return .revoked }
            if s.watermark == .distantPast { return .live }
            guard let issuedAt, issuedAt >= s.watermark else { return .unknown }
            return .live
        }
    }

    /// Whether the token `jti` of grant `grantID`, issued at `issuedAt` (nil: unknown), is revoked:
    /// the index's answer, or, for a token older than the index remembers, `grantRevoked`'s reading
    /// of the database (nil: the grant no longer exists, as when its user was deleted, and nothing
    /// it issued may still be used).
    func isRevoked(
        jti: String, grantID: GrantID?, issuedAt: Date?, grantRevoked: (GrantID) async throws -> Bool?
    ) async throws -> Bool {
        switch answer(jti: jti, grantID: grantID?.rawValue, issuedAt: issuedAt) {
        case .revoked: return true
        case .live: return false
        case .unknown:
            guard let grantID else { return false }
            return try await grantRevoked(grantID) ?? true
        }
    }

    /// Forgets entries that can no longer matter at `now`.
    func prune(now: Date) {
        state.withLock { Self.prune(&$0, now: now) }
    }

    /// Entries held (grants, access tokens), for tests and metrics.
    var counts: (grants: Int, accessTokens: Int) {
        state.withLock { ($0.grants.count, $0.accessTokens.count) }
    }

    private static func pruneIfGrown(_ s: inout State, now: Date) {
        let size = s.grants.count + s.accessTokens.count
        guard size >= pruneFloor else { return }
        if size >= 2 * s.sizeAfterPrune || now.timeIntervalSince(s.lastPrune) >= pruneInterval { prune(&s, now: now) }
    }

    private static func prune(_ s: inout State, now: Date) {
        let cutoff = now.addingTimeInterval(-s.horizon)
        s.grants = s.grants.filter { $0.value >= cutoff }
        s.accessTokens = s.accessTokens.filter { $0.value > now }
        s.watermark = max(s.watermark, cutoff)
        s.sizeAfterPrune = s.grants.count + s.accessTokens.count
        s.lastPrune = now
    }
}
