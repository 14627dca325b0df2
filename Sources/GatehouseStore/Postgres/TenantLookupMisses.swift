import Foundation
import Synchronization

/// Hostnames and slugs this node recently looked up in the database and found no tenant for, so
/// that requests with unknown `Host` headers or `/t/{slug}` paths (scanners, junk) do not each
/// cost a query (`PostgresInstanceStore.find(hostname:)`, `find(slug:)`; keys are `Key`s). An
/// entry lives `ttl` seconds; at most `capacity` are kept (when full, expired ones go, and if
/// none expired, all). A tenant created or updated on any node clears it (this node's writes, and
/// the change feed's tenant rows), so a hostname or slug given to a tenant is found within the
/// feed's bound (1 s); a lookup that started before a clear does not record its miss, so it
/// cannot bring back a stale one.
final class TenantLookupMisses: Sendable {
    /// What was looked up: hostnames and slugs are kept apart.
    enum Key: Hashable, Sendable {
        case hostname(String)
        case slug(String)
    }

    private struct State {
        var expiry: [Key: Date] = [:]
        var generation: UInt64 = 0
    }

    /// Seconds a miss is remembered.
    let ttl: TimeInterval
    /// Misses remembered at once, at most.
    let capacity: Int
    private let state = Mutex(State())

    init(ttl: TimeInterval = 5, capacity: Int = 4096) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    /// Whether `key` was found missing less than `ttl` seconds before `now`.
    func contains(_ key: Key, at now: Date) -> Bool {
        state.withLock { ($0.expiry[key].map { $0 > now }) ?? false }
    }

    /// Changes on every `clear()`: read before a lookup, passed to `record`.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Remembers that `key` had no tenant, unless the misses were cleared since `generation`.
    func record(_ key: Key, at now: Date, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.expiry.count >= capacity {
                state.expiry = state.expiry.filter { $0.value > now }
                if state.expiry.count >= capacity { state.expiry.removeAll(keepingCapacity: true) }
            }
            state.expiry[key] = now.addingTimeInterval(ttl)
        }
    }

    /// Forgets every miss (a tenant was created or changed somewhere).
    func clear() {
        state.withLock { state in
            state.generation &+= 1
            state.expiry.removeAll()
        }
    }

    /// Misses remembered now, expired ones included.
    var count: Int { state.withLock { $0.expiry.count } }
}
