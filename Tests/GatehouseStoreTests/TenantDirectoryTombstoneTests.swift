import Foundation
import GatehouseCore
@testable import GatehouseStore
import Testing

/// A tenant this process deletes stays deleted in its registry: a value read from the database
/// before the deletion committed (a PostgreSQL change-feed reload, a lookup) must not bring it back.
@Suite("Tenant directory: tombstones of deleted tenants")
struct TenantDirectoryTombstoneTests {
    static func tenant(_ slug: String) -> Tenant {
        Tenant(
            id: .generate(at: Date()), slug: slug, name: slug, environment: .dev, settings: TenantSettings(),
            createdAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("a stale read neither re-inserts nor replaces a tenant being deleted; a failed deletion lifts the tombstone")
    func staleReadsDoNotResurrect() {
        let directory = TenantDirectory<TenantDatabase>(maxOpen: 4)
        let acme = Self.tenant("acme")
        let other = Self.tenant("other")
        directory.insert(acme)
        directory.insert(other)
        #expect(directory.placeTombstone(acme.id))
        #expect(!directory.placeTombstone(acme.id))  // a second deletion does not own the tombstone
        directory.forget(acme)
        #expect(directory.resolve(slug: "acme") == nil)
        #expect(directory.insertIfAbsent(acme) == nil)
        directory.replace(with: acme)
        #expect(directory.resolve(slug: "acme") == nil)
        #expect(directory.resolve(id: acme.id) == nil)
        // Other tenants are untouched.
        #expect(directory.resolve(slug: "other") != nil)
        #expect(directory.insertIfAbsent(other) != nil)
        // The deletion failed: the row decides again.
        directory.liftTombstone(acme.id)
        directory.replace(with: acme)
        #expect(directory.resolve(slug: "acme") != nil)
    }

    @Test("a tenant created or copied again by this process lifts its tombstone")
    func insertLiftsTheTombstone() {
        let directory = TenantDirectory<TenantDatabase>(maxOpen: 4)
        let acme = Self.tenant("acme")
        directory.insert(acme)
        _ = directory.placeTombstone(acme.id)
        directory.forget(acme)
        directory.insert(acme)
        #expect(directory.resolve(slug: "acme") != nil)
        #expect(directory.insertIfAbsent(acme) != nil)
    }

    @Test("the LRU's idle sweep returns each value once, at the first sweep after a whole period without use")
    func idleSweep() {
        var lru = LRU<String, Int>(capacity: 4)
        lru.set("a", 1)
        lru.set("b", 2)
        #expect(lru.sweepIdle().isEmpty)  // the first sweep: nothing was idle for a whole period
        _ = lru.get("a")
        #expect(lru.sweepIdle() == [2])
        lru.set("c", 3)
        #expect(lru.sweepIdle() == [1])  // b stays idle and is not returned again
        #expect(lru.sweepIdle() == [3])
        #expect(lru.sweepIdle().isEmpty)
        _ = lru.get("b")
        #expect(lru.sweepIdle().isEmpty)  // b was used since the last sweep
        #expect(lru.sweepIdle() == [2])  // and idle since the one before
    }
}
