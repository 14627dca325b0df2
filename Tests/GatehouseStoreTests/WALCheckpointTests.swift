import Foundation
import GRDB
import GatehouseCore
import Logging
@testable import GatehouseStore
import Synchronization
import Testing

/// Tenant databases checkpoint their WAL off the writer's queue (``WALCheckpointer``), and the WAL
/// still restarts under continuous writes instead of growing without end.
/// Serialized: the checkpoint thread is one for the process, and a test's passes must not wait
/// behind another test's.
@Suite("Tenant databases: WAL checkpoints off the writer", .serialized)
struct WALCheckpointTests {
    /// Bytes of the WAL file next to `file` (0 when there is none). A WAL that restarts is
    /// overwritten from its beginning, so its size is the most frames it ever held.
    static func walBytes(_ file: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: file.path + "-wal"))?[.size] as? Int) ?? 0
    }

    /// `count` write transactions of one `bytes`-byte row each, from four tasks, while `readers`
    /// tasks read the table again and again until the writes are done.
    static func write(_ count: Int, bytes: Int = 5000, readers: Int = 2, through db: TenantDatabase) async throws {
        try await db.pool.base.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        }
        final class Writers: Sendable { let running = Atomic(4) }
        let writers = Writers()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    defer { writers.running.subtract(1, ordering: .relaxed) }
                    for _ in 0..<(count / 4) {
                        try await db.pool.base.write { db in
                            try db.execute(sql: "INSERT INTO filler (body) VALUES (randomblob(?))", arguments: [bytes])
                        }
                    }
                }
            }
            for _ in 0..<readers {
                group.addTask {
                    while writers.running.load(ordering: .relaxed) > 0 {
                        _ = try await db.pool.base.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test(
        "under continuous writes of token-sized rows the background copies the WAL and it restarts: the writer copies a fraction, the WAL stays small"
    )
    func continuousSmallWrites() async throws {
        try await StoreFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("small-writes")
            let db = try await store.database(for: tenant)
            let checkpointer = db.caches.walCheckpointer
            // Refresh-token-sized rows: a commit rewrites a few pages that the next commits rewrite
            // again, so a checkpoint copies few distinct pages and keeps up with the writes.
            try await Self.write(12000, bytes: 300, readers: 0, through: db)
            await WALCheckpointer.drain()
            let passes = checkpointer.passes.load(ordering: .relaxed)
            let inBackground = checkpointer.framesInBackground.load(ordering: .relaxed)
            let onWriter = checkpointer.framesOnWriter.load(ordering: .relaxed)
            let frames = Self.walBytes(fixture.tenantFile(tenant)) / (4096 + 24)
            #expect(passes >= 3)
            // Each pass copies most of the WAL, and its catch-up the frames committed during it.
            #expect(onWriter * 3 < inBackground, "the writer copied \(onWriter) frames, the background \(inBackground)")
            // It restarts: 12,000 commits never pile up (the WAL grows by what is committed while a pass runs).
            #expect(frames < 5 * Int(WALCheckpointer.threshold), "WAL grew to \(frames) frames")
            #expect(try await db.pool.base.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") } == 12000)
        }
    }

    @Test(
        "under continuous bulk writes of new pages, with or without readers, the WAL stays under its limit and no row is lost",
        arguments: [0, 2])
    func continuousBulkWrites(readers: Int) async throws {
        try await StoreFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("bulk-writes")
            let db = try await store.database(for: tenant)
            // Each commit writes about three new pages: the copying and syncing can fall behind,
            // and readers can hold the restart off for a while (as with SQLite's own checkpoint).
            try await Self.write(8000, readers: readers, through: db)
            await WALCheckpointer.drain()
            // 8,000 commits of three pages each are 24,000 frames: without restarts the WAL would hold them all.
            let frames = Self.walBytes(fixture.tenantFile(tenant)) / (4096 + 24)
            #expect(db.caches.walCheckpointer.framesInBackground.load(ordering: .relaxed) > 0)
            // Without readers the limit holds the WAL; readers can hold its restart off a while longer.
            let bound = readers == 0 ? Int(WALCheckpointer.limit) + 100 : 2 * Int(WALCheckpointer.limit)
            #expect(frames < bound, "WAL grew to \(frames) frames")
            #expect(try await db.pool.base.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") } == 8000)
        }
    }

    @Test("when the background does not get to run, the writer checkpoints from the limit on: the WAL stays at it")
    func limitOnWriter() async throws {
        try await StoreFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("limit")
            let db = try await store.database(for: tenant)
            let release = DispatchSemaphore(value: 0)
            WALCheckpointer.hold(until: release)
            // 4,000 commits of three new pages each: 12,000 frames, past the 8,000-frame limit.
            try await Self.write(4000, readers: 0, through: db)
            let onWriter = db.caches.walCheckpointer.framesOnWriter.load(ordering: .relaxed)
            let frames = Self.walBytes(fixture.tenantFile(tenant)) / (4096 + 24)
            release.signal()
            await WALCheckpointer.drain()
            #expect(onWriter >= Int(WALCheckpointer.limit))
            #expect(frames < Int(WALCheckpointer.limit) + 100, "WAL grew to \(frames) frames")
            #expect(try await db.pool.base.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") } == 4000)
        }
    }

    @Test("a deleted tenant leaves no file behind, whatever its background checkpoints were doing; its old handle still writes")
    func deletionDuringCheckpoints() async throws {
        try await StoreFixture.withStore { store, fixture in
            for round in 0..<3 {
                let tenant = try await store.makeTenant("deleted-\(round)")
                let file = fixture.tenantFile(tenant)
                let db = try await store.database(for: tenant)
                // Past the threshold: a background pass is asked for, and may still be queued.
                try await Self.write(800, through: db)
                try await store.deleteTenant(tenant)
                // A request that resolved the tenant before cannot open its database again.
                await #expect(throws: StoreError.tenantGone("the tenant was deleted")) { try await store.database(for: tenant) }
                // A request holding the handle writes on against the unlinked file; its writer
                // checkpoints itself (the background opens nothing for a deleted tenant).
                let before = db.caches.walCheckpointer.framesOnWriter.load(ordering: .relaxed)
                try await Self.write(1600, readers: 0, through: db)
                await WALCheckpointer.drain()
                for suffix in ["", "-wal", "-shm"] {
                    #expect(!FileManager.default.fileExists(atPath: file.path + suffix), "\(file.lastPathComponent)\(suffix) is back")
                }
                #expect(db.caches.walCheckpointer.framesOnWriter.load(ordering: .relaxed) > before)
            }
        }
    }

    @Test("storage.synchronous reaches every pool's writer: GRDB's own NORMAL does not override FULL", arguments: ["normal", "full"])
    func synchronousSetting(setting: String) async throws {
        try await StoreFixture.with { fixture in
            let store = try InstanceStore(
                configuration: StoreConfiguration(dataDirectory: fixture.directory, synchronous: setting),
                masterKey: fixture.masterKey, clock: fixture.clock, logger: .init(label: "test"))
            let expected = setting == "full" ? 2 : 1
            let tenant = try #require(
                try await store.createTenant(slug: "sync", name: "Sync", environment: .dev, settings: TenantSettings(), first: false))
            let tenantLevel = try await store.database(for: tenant).pool.base.writeWithoutTransaction { db in
                try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            let instanceLevel = try await store.instance.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(tenantLevel == expected)
            #expect(instanceLevel == expected)
        }
    }
}
