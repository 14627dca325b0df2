internal import COpenSSLCrypto

/// Turns OpenSSL's thread-local error queue into a ``CryptoError``.
enum OpenSSLError {
    /// Takes the earliest queued OpenSSL error as text, then empties the queue so stale errors
    /// never leak into later, unrelated calls on this thread.
    static func drain() -> String {
        let code = ERR_get_error()
        defer { ERR_clear_error() }
        guard code != 0 else { return "no OpenSSL error queued" }
        var buffer = [CChar](repeating: 0, count: 256)
        return buffer.withUnsafeMutableBufferPointer { buffer in
            ERR_error_string_n(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }

    /// ``CryptoError/operationFailed(_:)`` for `operation`, with the queued OpenSSL reason.
    static func failed(_ operation: String) -> CryptoError {
        .operationFailed("\(operation): \(drain())")
    }

    /// ``CryptoError/invalidKey(_:)`` for `what`, with the queued OpenSSL reason.
    static func invalidKey(_ what: String) -> CryptoError {
        .invalidKey("\(what): \(drain())")
    }
}
