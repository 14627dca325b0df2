#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// systemd's readiness protocol (`Type=notify`, sd_notify(3)): one datagram `READY=1` to the
/// unix socket named by `NOTIFY_SOCKET`, sent once the server listens. Without `NOTIFY_SOCKET`
/// (not started by systemd) it does nothing.
enum SystemdNotify {
    /// Sends `state` (e.g. `READY=1`); returns whether a datagram was sent.
    @discardableResult
    static func send(_ state: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        #if canImport(Glibc)
            guard var path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return false }
            // An abstract socket name starts with '@', sent as a leading NUL.
            let abstract = path.hasPrefix("@")
            if abstract { path.removeFirst() }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard bytes.count + (abstract ? 1 : 0) < capacity else { return false }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: (abstract ? [0] : []) + bytes)
            }
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
            let sent = Array(state.utf8).withUnsafeBytes { message in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, message.baseAddress, message.count, Int32(MSG_NOSIGNAL), $0, length)
                    }
                }
            }
            return sent == state.utf8.count
        #else
            return false
        #endif
    }
}
