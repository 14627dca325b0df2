internal import CCurl
import Synchronization

/// A set-once flag that a cancelled Swift task raises and curl's progress callback reads.
final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// State shared with curl's C callbacks during one `curl_easy_perform`. Used on one thread only.
final class TransferContext {
    /// Largest body accepted (bytes); beyond it the write callback aborts the transfer.
    let maxBodyBytes: Int
    let cancellation: CancellationFlag
    /// SSRF guard: returns a refusal reason for an address, or `nil` to allow the connection.
    let destinationCheck: ((IPAddress) -> String?)?

    var body: [UInt8] = []
    var headers: [OutboundHeader] = []
    var bodyTooLarge = false
    /// The reason the SSRF guard gave when it refused a connection, if it did.
    var refusedDestination: String?
    /// For uploads (SMTP): the bytes to send and how many were handed to curl already.
    var upload: [UInt8] = []
    var uploadOffset = 0

    init(maxBodyBytes: Int, cancellation: CancellationFlag, destinationCheck: ((IPAddress) -> String?)? = nil) {
        self.maxBodyBytes = maxBodyBytes
        self.cancellation = cancellation
        self.destinationCheck = destinationCheck
    }

    fileprivate func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Int {
        if body.count + chunk.count > maxBodyBytes {
            bodyTooLarge = true
            return 0  // any count other than chunk.count makes curl abort with CURLE_WRITE_ERROR
        }
        body.append(contentsOf: chunk)
        return chunk.count
    }

    /// Header lines arrive one per call, status lines included (RFC 9112 §2.1).
    fileprivate func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        var text = String(decoding: line, as: UTF8.self)
        while let last = text.last, last.isNewline { text.removeLast() }
        if text.hasPrefix("HTTP/") {
            headers.removeAll()  // a new response (after a 1xx interim one) starts over
        } else if let first = text.first, first == " " || first == "\t", !headers.isEmpty {
            headers[headers.count - 1].value += " " + text.trimmingWhitespace()  // obsolete line folding
        } else if let colon = text.firstIndex(of: ":") {
            let name = String(text[..<colon])
            let value = text[text.index(after: colon)...].trimmingWhitespace()
            headers.append((name: name, value: value))
        }
    }

    fileprivate func readUpload(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + uploadOffset, byteCount: count)
        }
        uploadOffset += count
        return count
    }

    fileprivate func openSocket(_ address: UnsafeMutablePointer<curl_sockaddr>) -> curl_socket_t {
        if let destinationCheck {
            var raw = [UInt8](repeating: 0, count: 16)
            let length = Int(ccurl_sockaddr_ip(address, &raw))
            guard let ip = IPAddress(bytes: Array(raw.prefix(length))) else {
                refusedDestination = "non-IP address family \(address.pointee.family)"
                return ccurl_socket_bad()
            }
            if let refusal = destinationCheck(ip) {
                refusedDestination = refusal
                return ccurl_socket_bad()
            }
        }
        return ccurl_open_socket(address)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        return String(String.UnicodeScalarView(scalars))
    }
}

/// Owns one `CURL*` easy handle, the C strings and lists it points to, and its error buffer.
///
/// Every setter throws instead of ignoring curl's return code: an option that silently failed
/// to apply (a TLS or protocol restriction, say) must stop the transfer.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(OutboundError) {
        try CurlRuntime.ensureInitialized()
        guard let handle = curl_easy_init() else { throw .transport("curl_easy_init failed") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), CURLOPT_ERRORBUFFER)
        // Threads + timeouts: curl must not use signals (SIGALRM) for DNS timeouts.
        try set(CURLOPT_NOSIGNAL, 1)
        // Never go through an environment-configured proxy: the SSRF guard checks the address
        // actually connected to, which through a proxy would be the proxy's.
        try set(CURLOPT_PROXY, "")
    }

    deinit {
        curl_easy_cleanup(handle)
        for list in lists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(OutboundError) {
        guard code == CURLE_OK else {
            throw .transport("curl option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    func set(_ option: CURLoption, _ value: Int) throws(OutboundError) {
        try check(ccurl_setopt_long(handle, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) throws(OutboundError) {
        try check(ccurl_setopt_string(handle, option, value), option)  // curl copies strings
    }

    func set(_ option: CURLoption, offset value: Int) throws(OutboundError) {
        try check(ccurl_setopt_off_t(handle, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, url: CurlURL) throws(OutboundError) {
        try check(ccurl_setopt_pointer(handle, option, UnsafeMutableRawPointer(url.handle)), option)
    }

    /// Sets the request body: `CURLOPT_POSTFIELDSIZE_LARGE`, then `CURLOPT_COPYPOSTFIELDS`,
    /// which copies the bytes (NULs included, since the size is known).
    func setRequestBody(_ body: [UInt8]) throws(OutboundError) {
        try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: body.count)
        let code =
            body.isEmpty
            ? ccurl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
            : body.withUnsafeBytes { ccurl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
        try check(code, CURLOPT_COPYPOSTFIELDS)
    }

    /// Sets a `curl_slist` option; the list lives as long as this handle.
    func set(_ option: CURLoption, list items: [String]) throws(OutboundError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for item in items {
            guard let appended = curl_slist_append(list, item) else {
                if let list { curl_slist_free_all(list) }
                throw .transport("curl_slist_append failed")
            }
            list = appended
        }
        guard let list else { return }
        lists.append(list)
        try check(ccurl_setopt_slist(handle, option, list), option)
    }

    /// Connects `context` to the body, header, progress and open-socket callbacks, and, when
    /// `upload` is true, to the read callback. `context` must outlive ``perform(_:)``.
    func attach(_ context: TransferContext, upload: Bool = false) throws(OutboundError) {
        let pointer = Unmanaged.passUnretained(context).toOpaque()
        try check(
            ccurl_setopt_write_function(handle) { data, size, count, user in
                let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
                return context.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
            }, CURLOPT_WRITEFUNCTION)
        try check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, pointer), CURLOPT_WRITEDATA)
        try check(
            ccurl_setopt_header_function(handle) { data, size, count, user in
                let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
                context.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            }, CURLOPT_HEADERFUNCTION)
        try check(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, pointer), CURLOPT_HEADERDATA)
        // Progress callback: curl calls it at least once a second, so a cancelled task aborts
        // the transfer within about a second (CURLE_ABORTED_BY_CALLBACK).
        try check(
            ccurl_setopt_xferinfo_function(handle) { user, _, _, _, _ in
                let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
                return context.cancellation.isRaised ? 1 : 0
            }, CURLOPT_XFERINFOFUNCTION)
        try check(ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, pointer), CURLOPT_XFERINFODATA)
        try set(CURLOPT_NOPROGRESS, 0)
        // Every connection curl makes goes through here: the SSRF guard sees the resolved address.
        try check(
            ccurl_setopt_opensocket_function(handle) { user, purpose, address in
                let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
                return context.openSocket(address!)
            }, CURLOPT_OPENSOCKETFUNCTION)
        try check(ccurl_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, pointer), CURLOPT_OPENSOCKETDATA)
        if upload {
            try check(
                ccurl_setopt_read_function(handle) { buffer, size, count, user in
                    let context = Unmanaged<TransferContext>.fromOpaque(user!).takeUnretainedValue()
                    return context.readUpload(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
                }, CURLOPT_READFUNCTION)
            try check(ccurl_setopt_pointer(handle, CURLOPT_READDATA, pointer), CURLOPT_READDATA)
        }
    }

    /// Runs the transfer on the calling thread (blocking) and returns curl's result code.
    func perform(_ context: TransferContext) -> CurlResult {
        errorBuffer[0] = 0
        let code = withExtendedLifetime(context) { curl_easy_perform(handle) }
        let detail = errorBuffer[0] == 0 ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
        return CurlResult(code: code, detail: detail)
    }

    func infoLong(_ info: CURLINFO) -> Int {
        var value = 0
        return ccurl_getinfo_long(handle, info, &value) == CURLE_OK ? value : 0
    }

    func infoString(_ info: CURLINFO) -> String? {
        var pointer: UnsafeMutablePointer<CChar>?
        guard ccurl_getinfo_string(handle, info, &pointer) == CURLE_OK, let pointer else { return nil }
        return String(cString: pointer)
    }
}

/// The outcome of `curl_easy_perform`: the code and curl's human-readable detail.
struct CurlResult {
    let code: CURLcode
    let detail: String

    var succeeded: Bool { code == CURLE_OK }

    /// Maps a failed transfer to the error callers see. SSRF refusals, oversize bodies and
    /// cancellation are recognised from `context` first, because curl reports them only as
    /// "couldn't connect", "write error" and "aborted by callback".
    func error(context: TransferContext) -> any Error {
        if code == CURLE_ABORTED_BY_CALLBACK, context.cancellation.isRaised { return CancellationError() }
        if let refusal = context.refusedDestination, code == CURLE_COULDNT_CONNECT {
            return OutboundError.destinationNotAllowed(refusal)
        }
        if context.bodyTooLarge || code == CURLE_FILESIZE_EXCEEDED { return OutboundError.responseTooLarge }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return OutboundError.timedOut
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY:
            return OutboundError.connectionFailed(detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_USE_SSL_FAILED, CURLE_SSL_CLIENTCERT:
            return OutboundError.tlsFailure(detail)
        case CURLE_UNSUPPORTED_PROTOCOL:
            return OutboundError.schemeNotAllowed(detail)
        case CURLE_URL_MALFORMAT:
            return OutboundError.invalidURL(detail)
        default:
            return OutboundError.transport("\(detail) (curl \(code.rawValue))")
        }
    }
}
