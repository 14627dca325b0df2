#if canImport(Glibc)
    internal import CMalloc
#endif

/// The C heap of this process (glibc malloc: Swift objects, NIO buffers, SQLite's page caches).
///
/// glibc keeps memory that was freed inside its arenas; under a steady load of short-lived
/// allocations from many threads the arenas' free space is returned to the system only at their
/// top. `trim()` hands every free page back (`malloc_trim(0)`, which also `madvise`s free
/// pages inside the arenas), so resident memory follows what is in use instead of the highest
/// it ever was. Housekeeping calls it once a minute; `/metrics` reports both figures.
enum HeapMemory {
    /// Bytes in use (`uordblks + hblkhd`) and reserved from the system (`arena + hblkhd`), from
    /// glibc's `mallinfo2`; nil where it is unavailable.
    static func usage() -> (inUse: Int, reserved: Int)? {
        #if canImport(Glibc)
            let info = mallinfo2()
            return (Int(info.uordblks + info.hblkhd), Int(info.arena + info.hblkhd))
        #else
            return nil
        #endif
    }

    /// Caps the number of malloc arenas (`mallopt(M_ARENA_MAX, count)`). glibc makes up to eight
    /// per core, one per thread that meets contention; every arena keeps its own free space, so
    /// with the NIO, cooperative and hashing threads of a server the free space scattered over
    /// them grows with the load's history. Two arenas keep it in two places at the cost of a
    /// little lock contention (measured with `bench/soak`). Call before the first threads start.
    static func limitArenas(to count: Int32) {
        #if canImport(Glibc)
            _ = mallopt(M_ARENA_MAX, count)
        #endif
    }

    /// Returns free heap pages to the system (`malloc_trim(0)`).
    static func trim() {
        #if canImport(Glibc)
            _ = malloc_trim(0)
        #endif
    }
}
