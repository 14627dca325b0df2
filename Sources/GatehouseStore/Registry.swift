import Foundation
import GatehouseCore

/// The in-memory tenant registry with its indexes.
struct Registry {
    private(set) var bySlug: [String: Tenant] = [:]
    private(set) var slugByID: [TenantID: String] = [:]
    /// How many tenants allow each CORS origin.
    private(set) var originCounts: [String: Int] = [:]
    /// Tenants served on their own host, by `settings.hostname`.
    private(set) var byHostname: [String: Tenant] = [:]
    /// Tenants this process is deleting or has deleted (`TenantDirectory.placeTombstone`).
    var deleted: Set<TenantID> = []

    func tenant(id: TenantID) -> Tenant? { slugByID[id].flatMap { bySlug[$0] } }

    mutating func insert(_ tenant: Tenant) {
        bySlug[tenant.slug] = tenant
        slugByID[tenant.id] = tenant.slug
        if let hostname = tenant.settings.hostname { byHostname[hostname] = tenant }
        for origin in Set(tenant.settings.allowedOrigins) { originCounts[origin, default: 0] += 1 }
    }

    mutating func remove(_ removed: Tenant) {
        guard let current = self.tenant(id: removed.id) else { return }
        bySlug[current.slug] = nil
        slugByID[current.id] = nil
        if let hostname = current.settings.hostname { byHostname[hostname] = nil }
        for origin in Set(current.settings.allowedOrigins) {
            originCounts[origin, default: 1] -= 1
            if originCounts[origin] == 0 { originCounts[origin] = nil }
        }
    }
}

/// A small least-recently-used map.
struct LRU<Key: Hashable, Value> {
    private var entries: [Key: (value: Value, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    /// `tick` at the last ``sweepIdle()`` and at the one before.
    private var sweptAt: UInt64 = 0
    private var sweptBefore: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.count }
    var values: [Value] { entries.values.map(\.value) }

    mutating func get(_ key: Key) -> Value? {
        guard let entry = entries[key] else { return nil }
        tick += 1
        entries[key] = (entry.value, tick)
        return entry.value
    }

    mutating func set(_ key: Key, _ value: Value) {
        tick += 1
        entries[key] = (value, tick)
        if entries.count > capacity, let oldest = entries.min(by: { $0.value.tick < $1.value.tick })?.key {
            entries[oldest] = nil
        }
    }

    @discardableResult
    mutating func remove(_ key: Key) -> Value? { entries.removeValue(forKey: key)?.value }

    /// The values that became idle: read or set before the previous call, after the one before
    /// it, and not since. A value that stays idle is returned once, at the first call that finds
    /// it idle; none on the first call.
    mutating func sweepIdle() -> [Value] {
        defer { (sweptBefore, sweptAt) = (sweptAt, tick) }
        return entries.values.filter { $0.tick > sweptBefore && $0.tick <= sweptAt }.map(\.value)
    }
}
