import GatehouseOutbound
import Testing

/// Requests are checked before anything is sent. The URL used would reach only loopback port 9
/// (discard, closed here) even if a check failed to stop it.
struct RequestValidationTests {
    let client = HTTPClient(policy: .loopback)
    static let target = "http://127.0.0.1:9/"

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var request: OutboundRequest
        var expected: ErrorKind
        var testDescription: String { rule }
    }

    static let rows: [Row] = [
        Row(
            rule: "a CR LF in a header value is rejected (header injection)",
            request: OutboundRequest(url: target, headers: [("X-A", "v\r\nX-Injected: 1")]), expected: .invalidRequest),
        Row(
            rule: "a bare LF in a header value is rejected",
            request: OutboundRequest(url: target, headers: [("X-A", "v\nX-Injected: 1")]), expected: .invalidRequest),
        Row(
            rule: "a bare CR in a header value is rejected",
            request: OutboundRequest(url: target, headers: [("X-A", "v\rX")]), expected: .invalidRequest),
        Row(
            rule: "a NUL in a header value is rejected",
            request: OutboundRequest(url: target, headers: [("X-A", "v\u{0}x")]), expected: .invalidRequest),
        Row(
            rule: "a CR LF in a header name is rejected",
            request: OutboundRequest(url: target, headers: [("X-A\r\nX-B", "v")]), expected: .invalidRequest),
        Row(
            rule: "a header name with a colon or space is rejected",
            request: OutboundRequest(url: target, headers: [("X A:", "v")]), expected: .invalidRequest),
        Row(
            rule: "an empty header name is rejected",
            request: OutboundRequest(url: target, headers: [("", "v")]), expected: .invalidRequest),
        Row(
            rule: "a caller-set Content-Length is rejected",
            request: OutboundRequest(method: "POST", url: target, headers: [("Content-Length", "1")], body: [1, 2]), expected: .invalidRequest),
        Row(
            rule: "a caller-set Transfer-Encoding is rejected",
            request: OutboundRequest(method: "POST", url: target, headers: [("transfer-encoding", "chunked")]), expected: .invalidRequest),
        Row(
            rule: "a method with CR LF is rejected",
            request: OutboundRequest(method: "GET / HTTP/1.1\r\nX: y", url: target), expected: .invalidRequest),
        Row(
            rule: "an empty method is rejected",
            request: OutboundRequest(method: "", url: target), expected: .invalidRequest),
        Row(
            rule: "a URL that does not parse is invalidURL",
            request: OutboundRequest(url: "not a url"), expected: .invalidURL),
        Row(
            rule: "a URL without a host is invalidURL",
            request: OutboundRequest(url: "http://"), expected: .invalidURL),
        Row(
            rule: "a URL with a space is invalidURL",
            request: OutboundRequest(url: "http://127.0.0.1:9/a b"), expected: .invalidURL),
        Row(
            rule: "a file: URL is schemeNotAllowed",
            request: OutboundRequest(url: "file:///etc/passwd"), expected: .schemeNotAllowed),
        Row(
            rule: "an ftp: URL is schemeNotAllowed",
            request: OutboundRequest(url: "ftp://127.0.0.1:9/x"), expected: .schemeNotAllowed),
        Row(
            rule: "an unknown scheme is schemeNotAllowed",
            request: OutboundRequest(url: "gatehouse://127.0.0.1:9/x"), expected: .schemeNotAllowed),
    ]

    @Test(arguments: rows)
    func rejectsBeforeSending(row: Row) async {
        #expect(await errorKind { try await client.send(row.request) } == row.expected)
    }

    @Test("http is refused by the default policy, which allows https only")
    func defaultPolicyIsHTTPSOnly() async {
        #expect(await errorKind { try await HTTPClient().get(url: "http://127.0.0.1:9/") } == .schemeNotAllowed)
        #expect(OutboundPolicy.default.allowedSchemes == ["https"])
        #expect(OutboundPolicy.default.allowPrivateDestinations == false)
        #expect(OutboundPolicy.default.maxResponseBytes == 1 << 20)
        #expect(OutboundPolicy.default.maxRedirects == 3)
        #expect(OutboundPolicy.default.connectTimeout == 5)
        #expect(OutboundPolicy.default.totalTimeout == 15)
    }

    @Test("a request's description shows no header values, query or body")
    func descriptionIsRedacted() {
        let request = OutboundRequest(
            method: "POST", url: "https://user:pw@idp.example/token?code=abc#frag",
            headers: [("Authorization", "Basic c2VjcmV0"), ("Cookie", "sid=xyz")], body: Array("client_secret=shh".utf8))
        for text in [request.description, String(reflecting: request), "\(request)"] {
            #expect(text == "POST https://idp.example/token [Authorization,Cookie], body 17 bytes" || text.hasPrefix("OutboundRequest("))
            for secret in ["c2VjcmV0", "sid=xyz", "shh", "code=abc", "pw", "frag"] { #expect(!text.contains(secret)) }
        }
    }

    @Test(
        "form encoding follows application/x-www-form-urlencoded",
        arguments: [
            ("a b", "a+b"), ("a+b", "a%2Bb"), ("é", "%C3%A9"), ("*-._", "*-._"), ("~", "%7E"), ("a=b&c", "a%3Db%26c"),
        ])
    func formComponent(input: String, encoded: String) {
        #expect(FormEncoding.component(input) == encoded)
    }
}
