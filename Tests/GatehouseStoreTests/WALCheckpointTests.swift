import Foundation
import GRDB
import GatehouseCore
@testable import GatehouseStore
import Synchronization
import Testing

/// Tenant databases checkpoint their WAL off the writer's queue (``WALCheckpointer``), and the WAL
/// still restarts under continuous writes instead of growing without end.
@Suite("Tenant databases: WAL checkpoints off the writer")
struct WALCheckpointTests {
    /// Bytes of the WAL file next to `file` (0 when there is none). A WAL that restarts is
    /// overwritten from its beginning, so its size is the most frames it ever held.
    static func walBytes(_ file: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: file.path + "-wal"))?[.size] as? Int) ?? 0
    }

    /// `count` write transactions of about three pages each, from four tasks, while `readers` tasks
    /// read the table again and again.
    static func write(_ count: Int, readers: Int = 2, through db: TenantDatabase) async throws {
        try await db.pool.base.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<(count / 4) {
                        try await db.pool.base.write { db in
                            try db.execute(sql: "INSERT INTO filler (body) VALUES (randomblob(5000))")
                        }
                    }
                }
            }
            for _ in 0..<readers {
                group.addTask {
                    for _ in 0..<(count / 8) {
                        _ = try await db.pool.base.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test(
        "under continuous writes the background checkpoints the WAL and it restarts: it stays near its threshold without readers, under its limit with them, and no row is lost",
        arguments: [0, 2])
    func continuousWrites(readers: Int) async throws {
        try await StoreFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("writes")
            let db = try await store.database(for: tenant)
            let checkpointer = db.caches.walCheckpointer
            try await Self.write(8000, readers: readers, through: db)
            WALCheckpointer.waitForBackground()
            // 8,000 commits of three pages each are 24,000 frames: without restarts the WAL would hold them all.
            let background = checkpointer.backgroundCount.load(ordering: .relaxed)
            let onWriter = checkpointer.onWriterCount.load(ordering: .relaxed)
            let frames = Self.walBytes(fixture.tenantFile(tenant)) / (4096 + 24)
            #expect(background >= 3)
            if readers == 0 {
                // Nothing holds an old snapshot: each background pass and its catch-up restart the WAL.
                #expect(frames < 2 * Int(WALCheckpointer.threshold), "WAL grew to \(frames) frames")
                #expect(onWriter <= 2 * background)
            } else {
                // Readers can hold the restart off for a while (as with SQLite's own checkpoints).
                #expect(frames < Int(WALCheckpointer.limit), "WAL grew to \(frames) frames")
            }
            #expect(try await db.pool.base.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") } == 8000)
        }
    }

    @Test("a deleted tenant leaves no file behind, whatever its background checkpoints were doing")
    func deletionDuringCheckpoints() async throws {
        try await StoreFixture.withStore { store, fixture in
            for round in 0..<3 {
                let tenant = try await store.makeTenant("deleted-\(round)")
                let file = fixture.tenantFile(tenant)
                let db = try await store.database(for: tenant)
                // Past the threshold: a background pass is asked for, and may still be queued.
                try await Self.write(800, through: db)
                try await store.deleteTenant(tenant)
                // The handle still open writes on against the unlinked file and checkpoints itself.
                try await Self.write(800, through: db)
                WALCheckpointer.waitForBackground()
                for suffix in ["", "-wal", "-shm"] {
                    #expect(!FileManager.default.fileExists(atPath: file.path + suffix), "\(file.lastPathComponent)\(suffix) is back")
                }
                #expect(db.caches.walCheckpointer.onWriterCount.load(ordering: .relaxed) >= 1)
            }
        }
    }
}
