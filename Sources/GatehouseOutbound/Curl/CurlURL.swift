internal import CCurl

/// A URL parsed by libcurl's own URL API (`CURLU`), so the host the SSRF guard inspects is the
/// host curl will connect to: no parser differential between the check and the use.
final class CurlURL {
    let handle: OpaquePointer

    /// Parses an absolute URL (a host may be missing: check ``host``). Unknown schemes are accepted here so that they can be reported
    /// as ``OutboundError/schemeNotAllowed(_:)`` rather than as a parse failure.
    /// - Throws: ``OutboundError/invalidURL(_:)``.
    init(_ text: String) throws(OutboundError) {
        try CurlRuntime.ensureInitialized()
        guard let handle = curl_url() else { throw .transport("curl_url() failed") }
        self.handle = handle
        let code = curl_url_set(handle, CURLUPART_URL, text, UInt32(CURLU_NON_SUPPORT_SCHEME))
        guard code == CURLUE_OK else {
            throw .invalidURL("\(Redaction.url(text)): \(String(cString: curl_url_strerror(code)))")
        }
    }

    deinit { curl_url_cleanup(handle) }

    private func part(_ which: CURLUPart, flags: Int32 = 0) -> String? {
        var pointer: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, which, &pointer, UInt32(flags)) == CURLUE_OK, let pointer else { return nil }
        defer { curl_free(pointer) }
        return String(cString: pointer)
    }

    /// The whole URL, normalised by curl.
    var text: String { part(CURLUPART_URL) ?? "" }
    /// The scheme, lower case.
    var scheme: String { (part(CURLUPART_SCHEME) ?? "").lowercased() }
    /// The host as curl will use it; IPv6 literals keep their brackets.
    var host: String? { part(CURLUPART_HOST) }
    /// The port, or the scheme's default port.
    var port: Int { part(CURLUPART_PORT, flags: CURLU_DEFAULT_PORT).flatMap { Int($0) } ?? 0 }
    /// `scheme://host:port` in a comparable form (RFC 6454 origin).
    var origin: String { "\(scheme)://\((host ?? "").lowercased()):\(port)" }
}
