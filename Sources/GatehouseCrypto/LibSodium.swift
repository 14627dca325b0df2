internal import CSodium

/// One-time libsodium initialisation.
///
/// `sodium_init()` must run before any other libsodium call; it picks the fastest implementations
/// for this CPU and seeds the random generator. A `static let` is initialised exactly once, thread
/// safely, on first access, so every libsodium entry point reads `LibSodium.ready` first.
enum LibSodium {
    /// `true` once `sodium_init()` has succeeded (it returns 0, or 1 if already initialised).
    static let isReady: Bool = sodium_init() >= 0

    /// Runs `sodium_init()` on first use; traps if libsodium cannot initialise (no usable entropy source).
    @inline(__always)
    static func ensureReady() {
        precondition(isReady, "libsodium failed to initialise (sodium_init() < 0)")
    }
}
