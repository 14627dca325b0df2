import GatehouseCrypto
import Logging
import Synchronization

/// Request ids (`X-Request-Id`, the `request_id` of log lines): 16 base64url characters, 4 random
/// bytes drawn once per process followed by a 64-bit keyed hash (Swift's `Hasher`, SipHash with a
/// per-process random seed) of a request counter. Unique within a process and, with overwhelming
/// likelihood, across the nodes of an instance; not sequential, so they do not tell a client how
/// many requests the server answers. They correlate a user's report with the log; they are not
/// secrets and guard nothing, so no random draw (a system call) is spent per request.
public enum RequestIDs {
    /// The id of the request the current task serves (set by `AccessLogMiddleware`).
    @TaskLocal public static var current: String?

    private static let prefix: [UInt8] = SecureRandom.bytes(4)
    private static let counter = Atomic<UInt64>(0)

    /// A new id.
    static func next() -> String {
        var hasher = Hasher()
        hasher.combine(counter.add(1, ordering: .relaxed).newValue)
        let mixed = UInt64(bitPattern: Int64(hasher.finalize()))
        var bytes = prefix
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: mixed >> UInt64(shift))) }
        return Base64URL.encode(bytes)
    }

    /// Adds `request_id` to every log line written while a request is served: pass it to
    /// `LoggingSystem.bootstrap` (the handler asks for it only when it writes a line).
    public static let metadataProvider = Logger.MetadataProvider {
        guard let id = current else { return [:] }
        return ["request_id": .string(id)]
    }
}
