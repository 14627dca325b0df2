import Foundation
import GatehouseCore
import Synchronization

/// The in-memory state of one tenant that every open handle of its database must agree on: the
/// revocation index, the client cache and the key ring.
///
/// Two handles of one tenant can be alive at once (a request still holding a handle the LRU has
/// evicted, or one dropped by a tenant update). They share this object, so a revocation or a
/// client change made through one is seen by the other at once. The instance store keeps only a
/// weak reference: when the last handle goes, so does this, and the next handle reloads from disk.
final class TenantCaches: Sendable {
    let revocations = RevocationIndex()
    let clients = Mutex<[String: Client]>([:])
    let keyRing = Mutex<(ring: KeyRing, validUntil: Date)?>(nil)
    let verifiedTokens = VerifiedTokenCache()
    /// The tenant's template overrides, loaded on first use and replaced on every change.
    let templateOverrides = Mutex<TemplateOverrideSet?>(nil)
    /// Whether `revocations` was loaded from the database.
    let loaded = Mutex(false)
    /// The WAL checkpoints of the tenant's SQLite file (unused on PostgreSQL).
    let walCheckpointer = WALCheckpointer()
}

/// Weak references to the live `TenantCaches`, by tenant.
struct LiveTenantCaches {
    private final class Box: @unchecked Sendable {
        weak var caches: TenantCaches?
        init(_ caches: TenantCaches) { self.caches = caches }
    }
    private var boxes: [TenantID: Box] = [:]

    /// The live caches of `tenant`, or new ones.
    mutating func caches(for tenant: TenantID) -> TenantCaches {
        if let live = boxes[tenant]?.caches { return live }
        let fresh = TenantCaches()
        boxes[tenant] = Box(fresh)
        if boxes.count > 64, boxes.count.isMultiple(of: 64) { boxes = boxes.filter { $0.value.caches != nil } }
        return fresh
    }

    mutating func remove(_ tenant: TenantID) { boxes[tenant] = nil }

    /// The caches of `tenant` if a handle is alive.
    func existing(_ tenant: TenantID) -> TenantCaches? { boxes[tenant]?.caches }
}
