internal import CCurl

/// One request's journey: every redirect hop, run synchronously on a ``TransferPool`` thread.
///
/// Redirects are followed here rather than by curl (`CURLOPT_FOLLOWLOCATION` stays off) so that
/// each hop gets the same checks as the first: scheme allow-list, https→http downgrade refusal,
/// SSRF pre-check of literal addresses, the remaining time budget, and RFC 9110 §15.4 method
/// and credential rules.
final class HTTPTransfer: Sendable {
    let request: OutboundRequest
    let policy: OutboundPolicy
    let cancellation = CancellationFlag()

    init(request: OutboundRequest, policy: OutboundPolicy) {
        self.request = request
        self.policy = policy
    }

    /// Headers that carry credentials; dropped when a redirect leaves the origin (RFC 9110 §15.4).
    static let credentialHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization"]

    /// Performs the request, following redirects.
    /// - Throws: ``OutboundError`` or `CancellationError`.
    func run() throws -> OutboundResponse {
        let deadline = ContinuousClock.now + .milliseconds(Milliseconds.from(seconds: policy.totalTimeout))
        var method = request.method
        var headers = request.headers
        var body = request.body
        var url = try CurlURL(request.url)
        var sawHTTPS = false
        var redirects = 0

        while true {
            if cancellation.isRaised { throw CancellationError() }
            try checkSchemeAndHost(of: url, afterHTTPS: sawHTTPS)
            sawHTTPS = sawHTTPS || url.scheme == "https"
            try precheckLiteralAddress(of: url)

            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw OutboundError.timedOut }
            let hop = try performHop(url: url, method: method, headers: headers, body: body, remaining: remaining)

            guard [301, 302, 303, 307, 308].contains(hop.response.status), policy.maxRedirects > 0,
                let location = hop.redirectURL
            else { return hop.response }

            redirects += 1
            guard redirects <= policy.maxRedirects else { throw OutboundError.tooManyRedirects }
            let next = try CurlURL(location)
            // RFC 9110 §15.4.2–4: 301/302 turn POST into GET (what every user agent does);
            // 303 turns anything but HEAD into GET. 307/308 keep method and body.
            let status = hop.response.status
            if (status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST") {
                method = "GET"
                body = nil
                headers.removeAll { $0.name.lowercased() == "content-type" }
            }
            if next.origin != url.origin {
                headers.removeAll { Self.credentialHeaders.contains($0.name.lowercased()) }
            }
            url = next
        }
    }

    private func checkSchemeAndHost(of url: CurlURL, afterHTTPS: Bool) throws(OutboundError) {
        let scheme = url.scheme
        if afterHTTPS, scheme != "https" { throw .insecureRedirect }
        guard ["http", "https"].contains(scheme), policy.allowedSchemes.contains(where: { $0.lowercased() == scheme }) else {
            throw .schemeNotAllowed(scheme)
        }
        guard let host = url.host, !host.isEmpty else { throw .invalidURL("\(Redaction.url(url.text)): no host") }
    }

    /// Refuses an IP-literal host before any DNS or connect. The open-socket callback is the
    /// real guard (it also covers names and rebinding); this only fails fast with a clear reason.
    private func precheckLiteralAddress(of url: CurlURL) throws(OutboundError) {
        guard let host = url.host, let address = IPAddress(host) else { return }
        if let refusal = policy.refusal(for: address) { throw .destinationNotAllowed(refusal) }
    }

    private struct Hop {
        var response: OutboundResponse
        var redirectURL: String?
    }

    private func performHop(
        url: CurlURL, method: String, headers: [OutboundHeader], body: [UInt8]?, remaining: Duration
    ) throws -> Hop {
        let easy = try CurlEasy()
        let policy = self.policy
        let context = TransferContext(
            maxBodyBytes: policy.maxResponseBytes,
            cancellation: cancellation,
            destinationCheck: policy.allowPrivateDestinations ? nil : { policy.refusal(for: $0) }
        )
        try easy.attach(context)
        try easy.set(CURLOPT_CURLU, url: url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)

        // Curl reads 0 as "no timeout", so every value is at least 1 ms.
        let remainingMilliseconds = max(1, Milliseconds.from(remaining))
        try easy.set(CURLOPT_TIMEOUT_MS, remainingMilliseconds)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, max(1, min(remainingMilliseconds, Milliseconds.from(seconds: policy.connectTimeout))))
        // Curl reads 0 as "no limit"; the write callback enforces the limit in every case.
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: max(0, policy.maxResponseBytes))

        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        try easy.set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        if let caBundlePath = policy.caBundlePath { try easy.set(CURLOPT_CAINFO, caBundlePath) }

        var lines = headers.map { $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" }
        lines.append("Expect:")  // no 100-continue round trip
        let effectiveBody = body ?? (["POST", "PUT", "PATCH"].contains(method) ? [] : nil)
        if effectiveBody != nil, !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            lines.append("Content-Type:")  // not curl's application/x-www-form-urlencoded default
        }
        if !headers.contains(where: { $0.name.lowercased() == "user-agent" }) {
            try easy.set(CURLOPT_USERAGENT, policy.userAgent)
        }
        try easy.set(CURLOPT_HTTPHEADER, list: lines)

        if let effectiveBody {
            try easy.setRequestBody(effectiveBody)
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
        } else if method == "GET" {
            try easy.set(CURLOPT_HTTPGET, 1)
        } else if method == "HEAD" {
            try easy.set(CURLOPT_NOBODY, 1)
        } else {
            try easy.set(CURLOPT_CUSTOMREQUEST, method)
        }

        let result = easy.perform(context)
        guard result.succeeded else { throw result.error(context: context) }
        let response = OutboundResponse(
            status: easy.infoLong(CURLINFO_RESPONSE_CODE),
            headers: context.headers,
            body: context.body,
            effectiveURL: easy.infoString(CURLINFO_EFFECTIVE_URL) ?? url.text
        )
        return Hop(response: response, redirectURL: easy.infoString(CURLINFO_REDIRECT_URL))
    }
}
