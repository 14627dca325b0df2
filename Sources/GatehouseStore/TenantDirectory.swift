import Foundation
import GatehouseCore
import Synchronization

/// What an instance store keeps in memory about its tenants, the same for every backend: the
/// registry (by id, slug and hostname, with the CORS origin counts), the publishable key → tenant
/// cache, the least-recently-used set of open tenant handles (`maxOpen` at most) and each tenant's
/// live caches (`TenantCaches`, shared by every handle of the tenant). `InstanceStore` and
/// `PostgresInstanceStore` each hold one; only this type and the stores make a `ResolvedTenant`
/// (docs/architecture.md, Tenancy in the types). Every member is safe to call from any thread.
final class TenantDirectory<Handle: TenantHandle & Sendable>: Sendable {
    private let registry = Mutex(Registry())
    /// client_id → tenant id, filled on first lookup (client ids never move between tenants).
    private let clientTenants = Mutex<[String: TenantID]>([:])
    private let open: Mutex<LRU<TenantID, Handle>>
    private let liveCaches = Mutex(LiveTenantCaches())
    /// Tenant handles being opened, by tenant: a deletion removes the files only once none is.
    private let opening = Mutex<[TenantID: Int]>([:])

    /// - Parameter maxOpen: handles kept open at once (at least 1); the least recently used beyond it are dropped.
    init(maxOpen: Int) {
        open = Mutex(LRU(capacity: max(1, maxOpen)))
    }

    // MARK: Registry

    func resolve(slug: String) -> ResolvedTenant? {
        registry.withLock { $0.bySlug[slug] }.map(ResolvedTenant.init)
    }

    /// The tenant served on `hostname` (lowercase, no port).
    func resolve(hostname: String) -> ResolvedTenant? {
        registry.withLock { $0.byHostname[hostname] }.map(ResolvedTenant.init)
    }

    func resolve(id: TenantID) -> ResolvedTenant? {
        registry.withLock { $0.tenant(id: id) }.map(ResolvedTenant.init)
    }

    /// Every tenant, ordered by slug.
    func tenants() -> [Tenant] {
        registry.withLock { Array($0.bySlug.values) }.sorted { $0.slug < $1.slug }
    }

    func isOriginAllowedByAnyTenant(_ origin: String) -> Bool {
        registry.withLock { ($0.originCounts[origin] ?? 0) > 0 }
    }

    /// Adds the registry as read when the store opens.
    func load(_ tenants: [Tenant]) {
        registry.withLock { r in for tenant in tenants { r.insert(tenant) } }
    }

    /// Adds a new tenant (created or copied by this process; a tombstone of its id is lifted).
    @discardableResult
    func insert(_ tenant: Tenant) -> ResolvedTenant {
        registry.withLock { r in
            r.deleted.remove(tenant.id)
            r.insert(tenant)
        }
        return ResolvedTenant(tenant)
    }

    /// Adds `tenant` unless a tenant with its id is known already (a value read from the database
    /// must not replace a newer one the change feed brought) or this process deleted it.
    /// - Returns: nil when the tenant was deleted by this process (a read that began before the
    ///   deletion committed).
    func insertIfAbsent(_ tenant: Tenant) -> ResolvedTenant? {
        let kept = registry.withLock { r -> Bool in
            guard !r.deleted.contains(tenant.id) else { return false }
            if r.tenant(id: tenant.id) == nil { r.insert(tenant) }
            return true
        }
        return kept ? ResolvedTenant(tenant) : nil
    }

    /// Marks tenant `id` as being deleted by this process, before it is forgotten: no value read
    /// before the deletion committed brings it back (``insertIfAbsent(_:)``, ``replace(with:)``).
    /// - Returns: whether this call placed the tombstone (false: another deletion had).
    func placeTombstone(_ id: TenantID) -> Bool {
        registry.withLock { $0.deleted.insert(id).inserted }
    }

    /// Whether this process is deleting or deleted tenant `id` (``placeTombstone(_:)``).
    func isDeleted(_ id: TenantID) -> Bool {
        registry.withLock { $0.deleted.contains(id) }
    }

    /// Runs `open` counted as an open of tenant `id` in flight (``isOpening(_:)``).
    func opening<T>(_ id: TenantID, _ open: () async throws -> T) async rethrows -> T {
        opening.withLock { $0[id, default: 0] += 1 }
        defer {
            opening.withLock { counts in
                counts[id, default: 1] -= 1
                if counts[id] == 0 { counts[id] = nil }
            }
        }
        return try await open()
    }

    /// Whether an open of tenant `id` is in flight.
    func isOpening(_ id: TenantID) -> Bool { opening.withLock { $0[id] != nil } }

    /// Lifts the tombstone of a deletion that failed.
    func liftTombstone(_ id: TenantID) {
        registry.withLock { _ = $0.deleted.remove(id) }
    }

    /// Replaces a tenant's registry value with `updated` (same id). Its open handle carries the
    /// old value and is dropped, so the next request opens one with the new; the key ring is
    /// dropped too, as it may depend on the settings (signing algorithms).
    /// A tenant this process is deleting (``placeTombstone(_:)``) is left out: the value was read
    /// or written before the deletion committed.
    /// - Returns: the tenant as now registered; nil when it is being deleted.
    @discardableResult
    func replace(with updated: Tenant) -> ResolvedTenant? {
        let deleted = registry.withLock { r -> Bool in
            guard !r.deleted.contains(updated.id) else { return true }
            if let old = r.tenant(id: updated.id) { r.remove(old) }
            r.insert(updated)
            return false
        }
        guard !deleted else { return nil }
        _ = open.withLock { $0.remove(updated.id) }
        liveCaches.withLock { $0.existing(updated.id) }?.keyRing.withLock { $0 = nil }
        return ResolvedTenant(updated)
    }

    /// Drops a deleted tenant: its registry entry, live caches, client keys and open handle.
    /// Requests still holding the handle finish with it.
    func forget(_ tenant: Tenant) {
        registry.withLock { $0.remove(tenant) }
        liveCaches.withLock { $0.remove(tenant.id) }
        clientTenants.withLock { $0 = $0.filter { $0.value != tenant.id } }
        _ = open.withLock { $0.remove(tenant.id) }
    }

    // MARK: Publishable keys

    /// The tenant id of publishable key `clientID`: the cache, else `lookup` (cached when found).
    func tenantID(ofClient clientID: String, lookup: () async throws -> TenantID?) async rethrows -> TenantID? {
        if let id = clientTenants.withLock({ $0[clientID] }) { return id }
        guard let id = try await lookup() else { return nil }
        clientTenants.withLock { $0[clientID] = id }
        return id
    }

    /// Forgets the cached tenant of a deleted or changed client.
    func forgetClient(_ clientID: String) {
        clientTenants.withLock { $0[clientID] = nil }
    }

    // MARK: Open handles

    /// The open handle of `tenant` when it was opened for the tenant's current value.
    func handle(for tenant: ResolvedTenant) -> Handle? {
        open.withLock { $0.get(tenant.id) }.flatMap { $0.tenant == tenant ? $0 : nil }
    }

    /// Keeps a freshly opened handle, evicting the least recently used beyond `maxOpen`; when
    /// another request opened one for the same value meanwhile, that one is returned instead.
    func keep(_ handle: Handle) -> Handle {
        open.withLock { lru in
            if let existing = lru.get(handle.tenant.id), existing.tenant == handle.tenant { return existing }
            lru.set(handle.tenant.id, handle)
            return handle
        }
    }

    /// Drops the open handle of tenant `id` (the next request opens a new one).
    func close(_ id: TenantID) {
        _ = open.withLock { $0.remove(id) }
    }

    var openCount: Int { open.withLock { $0.count } }

    /// The open handles that no request used since the previous call but one did before it
    /// (``LRU/sweepIdle()``): each idle handle once per idle spell.
    func idleHandles() -> [Handle] { open.withLock { $0.sweepIdle() } }

    /// Every open handle.
    var handles: [Handle] { open.withLock { $0.values } }

    /// The live caches of tenant `id`, created when no handle of it is alive.
    func caches(for id: TenantID) -> TenantCaches {
        liveCaches.withLock { $0.caches(for: id) }
    }

    /// The live caches of tenant `id`, if a handle of it is alive.
    func existingCaches(of id: TenantID) -> TenantCaches? {
        liveCaches.withLock { $0.existing(id) }
    }
}

extension Tenant {
    /// This tenant with another name and settings (an update).
    func with(name: String, settings: TenantSettings) -> Tenant {
        var updated = self
        updated.name = name
        updated.settings = settings
        return updated
    }
}
