import Synchronization

/// Counts of storage events that `/metrics` reports; per process, for every tenant together.
public enum StoreEvents {
    /// Rotated refresh tokens presented again after the grace window (each revoked its grant).
    public static let refreshTokenReuse = Atomic<Int>(0)
    /// WAL frames (pages) of tenant databases copied into their files by the background
    /// checkpoint thread (``WALCheckpointer``).
    public static let walFramesCheckpointedInBackground = Atomic<Int>(0)
    /// WAL frames of tenant databases copied by checkpoints on a writer: catch-ups after a
    /// background pass (or after one that failed, e.g. for a tenant being deleted), and
    /// checkpoints of a WAL past its 8,000-frame limit.
    public static let walFramesCheckpointedOnWriter = Atomic<Int>(0)
}
