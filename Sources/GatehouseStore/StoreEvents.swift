import Synchronization

/// Counts of storage events that `/metrics` reports; per process, for every tenant together.
public enum StoreEvents {
    /// Rotated refresh tokens presented again after the grace window (each revoked its grant).
    public static let refreshTokenReuse = Atomic<Int>(0)
    /// WAL checkpoints of tenant databases run by the background thread (``WALCheckpointer``).
    public static let walCheckpointsInBackground = Atomic<Int>(0)
    /// WAL checkpoints of tenant databases run on a writer: catch-ups after a background pass,
    /// and checkpoints of a WAL the background let grow to its limit.
    public static let walCheckpointsOnWriter = Atomic<Int>(0)
}
