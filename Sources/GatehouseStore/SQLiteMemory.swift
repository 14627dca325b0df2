internal import GRDBSQLite

/// The heap memory SQLite holds in this process, over every connection to every database
/// (instance and tenant files): page caches (bounded per connection by `PRAGMA cache_size`),
/// prepared statements and parsed schemas. Part of the C heap that `/metrics` reports.
public enum SQLiteMemory {
    /// Bytes currently allocated by SQLite (`sqlite3_memory_used()`).
    public static var inUse: Int { Int(sqlite3_memory_used()) }
}
