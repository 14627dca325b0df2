import Synchronization

/// Counts of storage events that `/metrics` reports; per process, for every tenant together.
public enum StoreEvents {
    /// Rotated refresh tokens presented again after the grace window (each revoked its grant).
    public static let refreshTokenReuse = Atomic<Int>(0)
}
