import Foundation
import GatehouseOutbound
import Testing

/// Round trips against the live local server: what is sent arrives, what is answered is returned.
@Suite(.localHTTPServer)
struct HTTPClientTests {
    let server = LocalHTTPServer.running
    let client = HTTPClient(policy: .loopback)

    struct Echo: Decodable {
        var method: String
        var path: String
        var headers: [[String]]
        var body: String
        func header(_ name: String) -> String? { headers.first { $0[0].lowercased() == name.lowercased() }?[1] }
    }

    func echo(_ request: OutboundRequest) async throws -> (OutboundResponse, Echo) {
        let response = try await client.send(request)
        return (response, try JSONDecoder().decode(Echo.self, from: Data(response.body)))
    }

    struct MethodRow: Sendable, CustomTestStringConvertible {
        var method: String
        var body: String?
        var testDescription: String { "\(method) \(body == nil ? "without" : "with") a body arrives with method and body intact" }
    }

    @Test(arguments: [
        MethodRow(method: "GET", body: nil),
        MethodRow(method: "POST", body: #"{"a":1}"#),
        MethodRow(method: "PATCH", body: #"{"name":"new"}"#),
        MethodRow(method: "PUT", body: "plain"),
        MethodRow(method: "DELETE", body: nil),
    ])
    func methodRoundTrip(row: MethodRow) async throws {
        let request = OutboundRequest(
            method: row.method, url: "\(server.base)/echo?x=1",
            headers: [("Content-Type", "application/json")], body: row.body.map { Array($0.utf8) })
        let (response, echo) = try await echo(request)
        #expect(response.status == 200)
        #expect(echo.method == row.method)
        #expect(echo.path == "/echo?x=1")
        #expect(echo.body == (row.body ?? ""))
        if let body = row.body { #expect(echo.header("Content-Length") == "\(body.utf8.count)") }
    }

    @Test("request headers are sent in order, duplicates kept, and an empty value is sent as empty")
    func requestHeadersAreSent() async throws {
        let (_, echo) = try await echo(
            OutboundRequest(
                url: "\(server.base)/echo",
                headers: [
                    ("Authorization", "Bearer s3cret"), ("X-Multi", "one"), ("X-Multi", "two"), ("X-Empty", ""),
                ]))
        #expect(echo.header("Authorization") == "Bearer s3cret")
        #expect(echo.headers.filter { $0[0] == "X-Multi" }.map { $0[1] } == ["one", "two"])
        #expect(echo.header("X-Empty") == "")
        #expect(echo.header("User-Agent") == "Gatehouse")
        #expect(echo.header("Expect") == nil)
    }

    @Test("a body without Content-Type is not labelled as a form by curl")
    func bodyWithoutContentTypeIsUnlabelled() async throws {
        let (_, echo) = try await echo(OutboundRequest(method: "POST", url: "\(server.base)/echo", body: Array("raw".utf8)))
        #expect(echo.header("Content-Type") == nil)
        #expect(echo.body == "raw")
    }

    @Test("POST without a body sends Content-Length: 0")
    func emptyPostHasZeroLength() async throws {
        let (_, echo) = try await echo(OutboundRequest(method: "POST", url: "\(server.base)/echo"))
        #expect(echo.header("Content-Length") == "0")
    }

    @Test("response headers are returned in order with duplicates, looked up case-insensitively")
    func responseHeadersAreReturned() async throws {
        let response = try await client.get(url: "\(server.base)/headers")
        #expect(response.header("x-trace") == "abc")
        #expect(response.header("X-TRACE") == "abc")
        #expect(response.headers(named: "set-cookie") == ["a=1", "b=2"])
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.effectiveURL == "\(server.base)/headers")
    }

    @Test("a non-2xx status is a response, not an error", arguments: [201, 204, 400, 401, 404, 418, 500, 503])
    func statusCodesAreResponses(status: Int) async throws {
        let response = try await client.get(url: "\(server.base)/status/\(status)")
        #expect(response.status == status)
        #expect(response.isSuccess == (200..<300).contains(status))
    }

    @Test("HEAD returns the headers and no body")
    func headHasNoBody() async throws {
        let response = try await client.send(OutboundRequest(method: "HEAD", url: "\(server.base)/ok"))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.header("Content-Length") == "11")
    }

    @Test("postForm encodes pairs as application/x-www-form-urlencoded")
    func postFormEncodes() async throws {
        let response = try await client.postForm(
            url: "\(server.base)/echo",
            form: [
                ("grant_type", "authorization_code"), ("code", "a b&c=d/é"), ("redirect_uri", "https://rp.example/cb?x=1"),
            ])
        let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
        #expect(echo.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(echo.body == "grant_type=authorization_code&code=a+b%26c%3Dd%2F%C3%A9&redirect_uri=https%3A%2F%2Frp.example%2Fcb%3Fx%3D1")
    }

    @Test("postJSON sends JSON with JSON content negotiation headers")
    func postJSONSendsJSON() async throws {
        struct Payload: Encodable { var name: String }
        let response = try await client.postJSON(url: "\(server.base)/echo", encoding: Payload(name: "gatehouse"))
        let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
        #expect(echo.header("Content-Type") == "application/json")
        #expect(echo.header("Accept") == "application/json")
        #expect(echo.body == #"{"name":"gatehouse"}"#)
    }

    @Test("many concurrent requests complete through a pool smaller than their number")
    func concurrentRequestsShareThePool() async throws {
        let client = HTTPClient(policy: .loopback, maxConcurrentTransfers: 2)
        let base = server.base
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<24 {
                group.addTask { try await client.get(url: "\(base)/status/\(200 + index % 3)").status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 24)
        #expect(Set(statuses) == [200, 201, 202])
    }

    @Test("no more than maxConcurrentTransfers transfers run at once")
    func concurrencyIsBounded() async throws {
        let client = HTTPClient(policy: .loopback, maxConcurrentTransfers: 2)
        let base = server.base
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await client.get(url: "\(base)/sleep/300") } }
            try await group.waitForAll()
        }
        // Four 300 ms responses through two slots take at least two rounds.
        #expect(ContinuousClock.now - started >= .milliseconds(600))
    }

    @Test("transfers in flight do not block the Swift cooperative thread pool")
    func transfersDoNotBlockCooperativePool() async throws {
        let client = HTTPClient(policy: .loopback, maxConcurrentTransfers: 8)
        let base = server.base
        // Eight 8 s transfers, more than the cooperative pool has threads (one per core).
        let transfers = Task {
            try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        _ = try await client.get(url: "\(base)/sleep/8000")
                        return ContinuousClock.now
                    }
                }
                return try await group.reduce(into: [ContinuousClock.Instant]()) { $0.append($1) }
            }
        }
        try await Task.sleep(for: .milliseconds(200))  // all eight are now blocked inside curl
        let probe = await Task.detached { (0..<1000).reduce(0, +) }.value
        let probeDone = ContinuousClock.now
        #expect(probe == 499_500)
        // Had curl blocked the pool's threads, the probe could only run once a transfer had ended.
        // Compared with the first transfer's end rather than a fixed time, the check holds however
        // long other suites of a parallel run keep the pool busy (short of 8 s).
        let firstDone = try #require(try await transfers.value.min())
        #expect(probeDone < firstDone, "a cooperative-pool task ran while curl blocked")
    }
}
