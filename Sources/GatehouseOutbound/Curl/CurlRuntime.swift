internal import CCurl

/// Process-wide libcurl initialisation, done exactly once before the first handle is made.
enum CurlRuntime {
    /// `curl_global_init(CURL_GLOBAL_DEFAULT)`; Swift runs a `static let` initialiser once, thread-safely.
    /// `CURL_GLOBAL_DEFAULT` is a function-like macro chain, so its value (SSL | WIN32 = 3) is spelled out.
    private static let initialized: Bool = curl_global_init(3) == CURLE_OK

    /// Ensures libcurl is initialised. - Throws: ``OutboundError/transport(_:)`` if it could not be.
    static func ensureInitialized() throws(OutboundError) {
        guard initialized else { throw .transport("curl_global_init failed") }
    }
}

/// Conversions of configured durations to curl's millisecond options, safe for any `Double`.
enum Milliseconds {
    /// One day: the ceiling for any configured timeout.
    static let ceiling = 86_400_000

    /// `seconds` in whole milliseconds, clamped to 0…one day (NaN → 0, ∞ → one day).
    static func from(seconds: Double) -> Int {
        guard !seconds.isNaN else { return 0 }
        return Int(min(max(seconds * 1000, 0), Double(ceiling)))
    }

    /// `duration` in whole milliseconds, clamped to 0…one day.
    static func from(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(ceiling / 1000) else { return ceiling }
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
