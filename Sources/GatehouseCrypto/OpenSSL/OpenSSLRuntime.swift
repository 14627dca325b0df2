internal import COpenSSLCrypto

/// Process-wide OpenSSL settings.
public enum OpenSSLRuntime {
    /// Initialises libcrypto without its `atexit` cleanup. By default OpenSSL frees its global state
    /// in an `atexit` handler, which runs on the thread that calls `exit` while other threads (Swift
    /// concurrency, libcurl) may still use that state: the CLI crashed about once in 600 runs with
    /// heap corruption at exit. The operating system reclaims the memory anyway. Call first thing in
    /// `main`, before anything else initialises OpenSSL (the handler is registered on the first
    /// initialisation).
    public static func skipCleanupAtExit() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
    }
}
