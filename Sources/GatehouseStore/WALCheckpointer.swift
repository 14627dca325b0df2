import Dispatch
import GRDB
internal import GRDBSQLite
import Synchronization

/// Moves a tenant database's WAL checkpoints off its writer (docs/performance.md, WAL checkpoints).
///
/// By default SQLite checkpoints inside the commit that takes the WAL past 1,000 frames, on the
/// writer's queue. That checkpoint syncs the WAL, copies up to 1,000 pages into the database file
/// and syncs that, and every write transaction queued behind it waits.
///
/// Here the writer's WAL hook (`sqlite3_wal_hook`, which replaces the automatic checkpoint) only
/// asks for a checkpoint. One background thread, shared by every tenant, then runs a passive
/// checkpoint (`SQLITE_CHECKPOINT_PASSIVE`, which takes no lock a writer or reader waits on) from a
/// connection of its own. A passive checkpoint alone would never let the WAL restart while writes
/// continue: frames committed during it are always left over. So the writer's next commit after a
/// background pass checkpoints the few frames committed meanwhile (the catch-up). The whole WAL is
/// then backfilled, and the next write transaction restarts it from its beginning.
///
/// If the background falls behind anyway (``limit`` frames), or the tenant is being deleted
/// (``retire()``), the writer checkpoints as SQLite would.
///
/// Shared by every live handle of one tenant (``TenantCaches``); several pools on the same file
/// (a tenant update makes a new handle) share it too.
final class WALCheckpointer: Sendable {
    /// WAL frames (pages) after which a commit asks for a checkpoint: SQLite's default
    /// `wal_autocheckpoint`.
    static let threshold: Int32 = 1000
    /// WAL frames after which the writer checkpoints itself, as SQLite would: the background is not
    /// keeping up. 8,000 frames of 4 KiB pages are a 32 MiB WAL.
    static let limit: Int32 = 8000

    /// The thread every tenant's background checkpoints run on, one at a time.
    private static let queue = DispatchQueue(label: "gatehouse.wal-checkpoint", qos: .utility)

    /// The database file, learnt from the writer the hook was installed on.
    private let path = Mutex<String?>(nil)
    /// A background pass is queued or running.
    private let scheduled = Atomic(false)
    /// A background pass finished since the WAL last restarted: the next commit beyond the
    /// threshold catches up.
    private let passed = Atomic(false)
    /// The tenant is being deleted: no background connection opens again.
    private let retired = Atomic(false)
    /// Checkpoints this checkpointer ran in the background.
    let backgroundCount = Atomic(0)
    /// Checkpoints its writers ran (catch-ups, and a WAL at its limit).
    let onWriterCount = Atomic(0)
    /// Held for the whole of a background pass, so that ``retire()`` can wait for one.
    private let passing = Mutex(())

    init() {}

    /// Returns once every background pass queued before the call has run (for tests).
    static func waitForBackground() { queue.sync {} }

    /// Installs the WAL hook on `db`, a pool's writer connection. The hook holds this checkpointer
    /// unretained: the caller keeps it alive as long as the connection (the pool's configuration
    /// captures it).
    func install(on db: Database) {
        if let file = sqlite3_db_filename(db.sqliteConnection, "main") {
            let name = String(cString: file)
            path.withLock { $0 = name }
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
            // The WAL restarted since the last pass: nothing is left to catch up.
            if passed.load(ordering: .relaxed) { passed.store(false, ordering: .relaxed) }
            return
        }
        if passed.load(ordering: .acquiring) || retired.load(ordering: .acquiring) || frames >= Self.limit {
            // The hook runs after the commit released the write lock. A busy answer only means
            // another connection is checkpointing.
            if sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK {
                onWriterCount.add(1, ordering: .relaxed)
                StoreEvents.walCheckpointsOnWriter.add(1, ordering: .relaxed)
            }
        } else if scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            Self.queue.async { self.pass() }
        }
    }

    /// One background pass: a passive checkpoint from a connection opened for it. It holds no file
    /// open between passes, so an idle or evicted tenant costs no descriptor here.
    private func pass() {
        let done = passing.withLock { _ -> Bool in
            // Checked under the lock: `retire()` sets the flag, then waits for this lock before the
            // tenant's files are removed, so no connection opens on removed files.
            guard !retired.load(ordering: .acquiring), let file = path.withLock({ $0 }) else { return false }
            var connection: OpaquePointer?
            defer { sqlite3_close_v2(connection) }
            // An existing file only (no SQLITE_OPEN_CREATE). One read opens its WAL, which a
            // checkpoint on a fresh connection needs.
            guard sqlite3_open_v2(file, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
                sqlite3_exec(connection, "PRAGMA schema_version", nil, nil, nil) == SQLITE_OK
            else { return false }
            return sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK
        }
        if done {
            backgroundCount.add(1, ordering: .relaxed)
            StoreEvents.walCheckpointsInBackground.add(1, ordering: .relaxed)
            passed.store(true, ordering: .releasing)
        }
        scheduled.store(false, ordering: .releasing)
    }

    /// Stops background passes for good, waiting for one that is running; for a tenant whose
    /// files are about to be removed. Its writers, still open for requests that hold them,
    /// checkpoint themselves from now on.
    func retire() {
        retired.store(true, ordering: .releasing)
        passing.withLock { _ in }
    }
}
