import Dispatch
import GRDB
internal import GRDBSQLite
import Synchronization

/// Moves a tenant database's WAL checkpoints off its writer (docs/performance.md, WAL checkpoints
/// off the writer).
///
/// By default SQLite checkpoints inside the commit that takes the WAL past 1,000 frames, on the
/// writer's queue. That checkpoint syncs the WAL, copies up to 1,000 pages into the database file
/// and syncs that, and every write transaction queued behind it waits.
///
/// Here the writer's WAL hook (`sqlite3_wal_hook`, which replaces the automatic checkpoint) only
/// asks for a checkpoint. One background thread, shared by all tenants, then runs a passive
/// checkpoint (`SQLITE_CHECKPOINT_PASSIVE`, which takes no lock a writer or reader waits on) from a
/// connection opened for it. A passive checkpoint alone would never let the WAL restart while
/// writes continue: frames committed during it are always left over, and SQLite restarts a WAL only
/// when a write transaction begins with every frame copied. So after a background pass each commit
/// of the writer copies what is left (the catch-up, a few dozen frames), until the WAL restarts:
/// without readers, at the very next write transaction.
///
/// A pass that fails (the file cannot be opened, the tenant is being deleted) leaves the whole
/// copy to the catch-ups, which is SQLite's own behaviour. When writes outpace the copying and
/// syncing (bulk writes of new pages, a slow disk), the WAL reaches ``limit`` frames; then the
/// writer waits for the running pass and copies the rest itself, so that the WAL stays bounded
/// and the writes slow to the disk's pace, as with SQLite's own checkpoint.
///
/// Shared by every live handle of one tenant (``TenantCaches``); several pools on the same file
/// (a tenant update makes a new handle) share it too.
final class WALCheckpointer: Sendable {
    /// WAL frames (pages) after which a commit asks for a checkpoint: SQLite's default
    /// `wal_autocheckpoint`.
    static let threshold: Int32 = 1000
    /// WAL frames from which the writer checkpoints on each commit, waiting for a background pass
    /// that is running: the background is not keeping up. 8,000 frames of 4 KiB pages are a
    /// 32 MiB WAL.
    static let limit: Int32 = 8000

    /// A background checkpoint that copied fewer frames than this ends its pass: what was committed
    /// meanwhile is left to the writer.
    static let handOver = 128

    /// The thread every tenant's background checkpoints run on, one at a time.
    private static let queue = DispatchQueue(label: "gatehouse.wal-checkpoint", qos: .utility)

    /// The database file and whether its tenant is being deleted, from the first writer the hook
    /// was installed on (every pool sharing this checkpointer opens the same file).
    private struct Target: Sendable {
        let path: String
        let isDeleted: @Sendable () -> Bool
    }

    private let target = Mutex<Target?>(nil)
    /// A background pass is queued or running.
    private let scheduled = Atomic(false)
    /// A background pass finished since the WAL last restarted: commits beyond the threshold catch up.
    private let passed = Atomic(false)
    /// Frames of the current WAL copied into the database, as the last checkpoint reported.
    private let backfilled = Atomic(0)
    /// Held by a background pass while it checkpoints; a writer at ``limit`` waits for it.
    private let checkpointing = Mutex(())
    /// Background passes that ran a checkpoint.
    let passes = Atomic(0)
    /// Frames copied by background passes, and by writers (catch-ups and checkpoints at the limit).
    let framesInBackground = Atomic(0)
    let framesOnWriter = Atomic(0)

    init() {}

    /// Installs the WAL hook on `db`, a pool's writer connection. The hook holds this checkpointer
    /// unretained: the caller keeps it alive as long as the connection (the pool's configuration
    /// captures it).
    /// - Parameter isDeleted: whether the tenant is being deleted; checked before each background pass.
    func install(on db: Database, isDeleted: @escaping @Sendable () -> Bool) {
        if let file = sqlite3_db_filename(db.sqliteConnection, "main") {
            let found = Target(path: String(cString: file), isDeleted: isDeleted)
            target.withLock { $0 = $0 ?? found }
        }
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, connection, name, frames in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
                    .committed(frames: frames, connection: connection, name: name)
                return SQLITE_OK
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called on the writer's thread after each commit, with the WAL's length in frames.
    private func committed(frames: Int32, connection: OpaquePointer?, name: UnsafePointer<CChar>?) {
        guard frames >= Self.threshold else {
            // The WAL restarted (after a pass, or after the writer's own checkpoint at the limit):
            // nothing is left to catch up, nothing of it is copied yet.
            if passed.load(ordering: .relaxed) { passed.store(false, ordering: .relaxed) }
            if backfilled.load(ordering: .relaxed) != 0 { backfilled.store(0, ordering: .relaxed) }
            return
        }
        if frames >= Self.limit {
            // Writes outpace the background's copying and syncing: the writer waits for the pass
            // that is running and copies the rest itself, which holds its next transactions back
            // as SQLite's own checkpoint would.
            checkpointing.withLock { _ in checkpointOnWriter(connection, name) }
        } else if passed.load(ordering: .acquiring) {
            checkpointOnWriter(connection, name)
        } else if scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            Self.queue.async { self.pass() }
        }
    }

    /// A passive checkpoint on the writer's connection, inside its WAL hook: after the commit
    /// released the write lock. A busy answer only means another connection is checkpointing.
    private func checkpointOnWriter(_ connection: OpaquePointer?, _ name: UnsafePointer<CChar>?) {
        var backfilled: Int32 = 0
        guard sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, nil, &backfilled) == SQLITE_OK else { return }
        let frames = record(backfilled: backfilled)
        framesOnWriter.add(frames, ordering: .relaxed)
        StoreEvents.walFramesCheckpointedOnWriter.add(frames, ordering: .relaxed)
    }

    /// One background pass: passive checkpoints from a connection opened for it and closed after.
    /// The frames committed while a checkpoint copied and synced are left over, so the pass
    /// checkpoints again (at most four rounds) until a round copies fewer than ``handOver`` frames
    /// or no fewer than the round before: what it leaves to the writer's catch-up stays small.
    private func pass() {
        defer {
            // Succeeded or not, the writer's commits copy what is left from now on.
            passed.store(true, ordering: .releasing)
            scheduled.store(false, ordering: .releasing)
        }
        // A deletion marks the tenant, then drains this queue (``drain()``) before it removes the
        // files: a pass either ran before the removal or sees the mark and opens nothing.
        guard let target = target.withLock({ $0 }), !target.isDeleted() else { return }
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        // No SQLITE_OPEN_CREATE: the database file must exist (its `-wal` and `-shm` open as any
        // connection's do). One read opens the WAL, which a checkpoint on a fresh connection needs.
        guard sqlite3_open_v2(target.path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
            sqlite3_exec(connection, "PRAGMA schema_version", nil, nil, nil) == SQLITE_OK
        else { return }
        var total = 0
        var rounds = 0
        checkpointing.withLock { _ in
            var previous = Int.max
            for _ in 0..<4 {
                var backfilled: Int32 = 0
                guard sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, &backfilled) == SQLITE_OK else { break }
                rounds += 1
                let frames = record(backfilled: backfilled)
                total += frames
                // Each round copies what was committed during the one before. Done when that was
                // little, or when writes outpace the copying (no fewer than the round before).
                if frames < Self.handOver || frames >= previous { break }
                previous = frames
            }
        }
        guard rounds > 0 else { return }
        passes.add(1, ordering: .relaxed)
        framesInBackground.add(total, ordering: .relaxed)
        StoreEvents.walFramesCheckpointedInBackground.add(total, ordering: .relaxed)
    }

    /// Notes that `total` frames of the WAL are now copied and returns how many this checkpoint
    /// copied: the growth since the last one, or all of them when the WAL restarted in between.
    private func record(backfilled total: Int32) -> Int {
        let now = Int(total)
        let before = backfilled.exchange(now, ordering: .relaxed)
        return now >= before ? now - before : now
    }

    /// Holds the checkpoint thread until `release` is signalled (for tests of a background that
    /// does not keep up).
    static func hold(until release: DispatchSemaphore) { queue.async { release.wait() } }

    /// Returns once every background pass queued before the call has run: a tenant's files are
    /// removed only after this, so that no pass has them open.
    static func drain() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in queue.async { done.resume() } }
    }
}
