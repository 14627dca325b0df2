import Foundation
import GatehouseOutbound
import Testing

/// Each ``OutboundPolicy`` limit, proved against the live local server. The timeout row proves
/// itself by its error: `/slow` answers after 6 s, so only a timeout that fired first yields
/// `timedOut` (a wall-clock bound flaked at 8 s on a loaded machine).
@Suite(.localHTTPServer, .serialized)
struct HTTPPolicyTests {
    let server = LocalHTTPServer.running

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var policy: OutboundPolicy
        var path: String
        var expected: ErrorKind?
        var testDescription: String { rule }
    }

    static let rows: [Row] = [
        Row(
            rule: "a body over maxResponseBytes announced by Content-Length is refused",
            policy: .loopback, path: "/big", expected: .responseTooLarge),
        Row(
            rule: "a chunked body is aborted once it crosses maxResponseBytes",
            policy: .loopback, path: "/big-chunked", expected: .responseTooLarge),
        Row(
            rule: "a body within maxResponseBytes is returned",
            policy: OutboundPolicy(maxResponseBytes: 3 << 20, allowPrivateDestinations: true, allowedSchemes: ["http"]),
            path: "/big", expected: nil),
        Row(
            rule: "the total timeout ends a slow response",
            policy: OutboundPolicy(totalTimeout: 1, allowPrivateDestinations: true, allowedSchemes: ["http"]),
            path: "/slow", expected: .timedOut),
        Row(
            rule: "redirects up to maxRedirects are followed",
            policy: .loopback, path: "/redirect-chain/3", expected: nil),
        Row(
            rule: "one redirect more than maxRedirects fails with tooManyRedirects",
            policy: .loopback, path: "/redirect-chain/4", expected: .tooManyRedirects),
        Row(
            rule: "http is refused when only https is allowed",
            policy: OutboundPolicy(allowPrivateDestinations: true, allowedSchemes: ["https"]),
            path: "/ok", expected: .schemeNotAllowed),
    ]

    @Test(arguments: rows)
    func policyLimit(row: Row) async throws {
        let client = HTTPClient(policy: row.policy)
        let kind = await errorKind { try await client.get(url: "\(server.base)\(row.path)") }
        #expect(kind == row.expected)
    }

    @Test("redirects are followed and effectiveURL is the last hop")
    func redirectsReportEffectiveURL() async throws {
        let response = try await HTTPClient(policy: .loopback).get(url: "\(server.base)/redirect-chain/2")
        #expect(response.status == 200)
        #expect(response.effectiveURL == "\(server.base)/redirect-chain/0")
        #expect(response.bodyText == #"{"done":true}"#)
    }

    @Test("maxRedirects 0 returns the redirect response itself")
    func zeroRedirectsReturnsTheRedirect() async throws {
        let client = HTTPClient(policy: OutboundPolicy(maxRedirects: 0, allowPrivateDestinations: true, allowedSchemes: ["http"]))
        let response = try await client.get(url: "\(server.base)/redirect-chain/1")
        #expect(response.status == 302)
        #expect(response.header("Location") == "/redirect-chain/0")
    }

    @Test("connecting to a closed port fails with connectionFailed")
    func closedPortFails() async throws {
        let port = try ClosedPort.make()
        let kind = await errorKind { try await HTTPClient(policy: .loopback).get(url: "http://127.0.0.1:\(port)/") }
        #expect(kind == .connectionFailed)
    }

    struct RedirectRow: Sendable, CustomTestStringConvertible {
        var rule: String
        var status: Int
        var method: String
        var expectedMethod: String
        var expectsBody: Bool
        var testDescription: String { rule }
    }

    @Test(arguments: [
        RedirectRow(rule: "303 turns POST into a bodiless GET", status: 303, method: "POST", expectedMethod: "GET", expectsBody: false),
        RedirectRow(rule: "302 turns POST into a bodiless GET", status: 302, method: "POST", expectedMethod: "GET", expectsBody: false),
        RedirectRow(rule: "307 keeps POST and its body", status: 307, method: "POST", expectedMethod: "POST", expectsBody: true),
        RedirectRow(rule: "308 keeps PATCH and its body", status: 308, method: "PATCH", expectedMethod: "PATCH", expectsBody: true),
    ])
    func redirectMethodRules(row: RedirectRow) async throws {
        let target = FormEncoding.component("\(server.base)/echo")
        let response = try await HTTPClient(policy: .loopback).send(
            OutboundRequest(
                method: row.method, url: "\(server.base)/redirect-to?status=\(row.status)&url=\(target)",
                headers: [("Content-Type", "text/plain")], body: Array("payload".utf8)))
        let echo = try JSONDecoder().decode(HTTPClientTests.Echo.self, from: Data(response.body))
        #expect(echo.method == row.expectedMethod)
        #expect(echo.body == (row.expectsBody ? "payload" : ""))
    }

    @Test(
        "a redirect to another origin drops Authorization and Cookie; a same-origin one keeps them",
        arguments: [
            ("127.0.0.1", true), ("localhost", false),
        ])
    func crossOriginRedirectDropsCredentials(targetHost: String, keeps: Bool) async throws {
        let target = FormEncoding.component("http://\(targetHost):\(server.httpPort)/echo")
        let response = try await HTTPClient(policy: .loopback).send(
            OutboundRequest(
                url: "\(server.base)/redirect-to?url=\(target)",
                headers: [("Authorization", "Bearer s3cret"), ("Cookie", "sid=1"), ("X-Other", "kept")]))
        let echo = try JSONDecoder().decode(HTTPClientTests.Echo.self, from: Data(response.body))
        #expect((echo.header("Authorization") != nil) == keeps)
        #expect((echo.header("Cookie") != nil) == keeps)
        #expect(echo.header("X-Other") == "kept")
    }

    @Test("cancelling the calling task aborts a transfer in progress")
    func cancellationAbortsTransfer() async throws {
        let client = HTTPClient(policy: .loopback)
        let url = "\(server.base)/sleep/10000"
        let started = ContinuousClock.now
        let task = Task { try await client.get(url: url) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let kind = await errorKind { try await task.value }
        #expect(kind == .cancelled)
        // The response would take 10 s; cancellation must end the transfer long before.
        #expect(ContinuousClock.now - started < .milliseconds(9500))
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on: bound by the kernel's choice, then closed.
enum ClosedPort {
    static func make() throws -> Int {
        let script = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let line = try TestProcess.readLine(pipe.fileHandleForReading)
        process.waitUntilExit()
        return Int(line)!
    }
}
