import Foundation
import GatehouseOutbound
import Testing

/// The SSRF guard: with `allowPrivateDestinations == false` no connection is made to a
/// special-purpose address, whether named literally, through a host name, or by a redirect.
///
/// Only loopback is ever actually connected to: refused rows for other ranges (10/8,
/// 169.254/16, …) are stopped before any packet leaves, which is what they prove.
@Suite(.localHTTPServer)
struct SSRFGuardTests {
    let server = LocalHTTPServer.running
    let guarded = HTTPClient(policy: OutboundPolicy(allowedSchemes: ["http", "https"]))

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var url: String
        var testDescription: String { rule }
    }

    static let refusedRows: [Row] = [
        Row(rule: "IPv4 loopback literal is refused", url: "http://127.0.0.1:{port}/ok"),
        Row(rule: "any 127/8 address is refused", url: "http://127.0.0.2:{port}/ok"),
        Row(rule: "private-use 10/8 is refused", url: "http://10.0.0.1/"),
        Row(rule: "private-use 172.16/12 is refused", url: "http://172.20.1.1/"),
        Row(rule: "private-use 192.168/16 is refused", url: "http://192.168.1.1/"),
        Row(rule: "the cloud metadata address 169.254.169.254 is refused", url: "http://169.254.169.254/latest/meta-data/"),
        Row(rule: "CGNAT 100.64/10 is refused", url: "http://100.64.0.1/"),
        Row(rule: "the unspecified address 0.0.0.0 is refused", url: "http://0.0.0.0:{port}/ok"),
        Row(rule: "the broadcast address is refused", url: "http://255.255.255.255/"),
        Row(rule: "IPv6 loopback [::1] is refused", url: "http://[::1]:{port}/ok"),
        Row(rule: "IPv4-mapped IPv6 loopback is refused", url: "http://[::ffff:127.0.0.1]:{port}/ok"),
        Row(rule: "IPv6 unique-local fc00::/7 is refused", url: "http://[fd00::1]/"),
        Row(rule: "IPv6 link-local fe80::/10 is refused", url: "http://[fe80::1]/"),
        Row(rule: "a name resolving to loopback (localhost) is refused at connect time", url: "http://localhost:{port}/ok"),
        Row(rule: "a *.localhost name (curl resolves it to loopback) is refused", url: "http://tenant.localhost:{port}/ok"),
        Row(rule: "a decimal-integer loopback address is refused", url: "http://2130706433:{port}/ok"),
        Row(rule: "a hexadecimal loopback address is refused", url: "http://0x7f.0.0.1:{port}/ok"),
        Row(rule: "a shortened loopback address is refused", url: "http://127.1:{port}/ok"),
    ]

    /// `{port}` in a row's URL stands for the local server's port, known only once it runs.
    @Test(arguments: refusedRows)
    func refusesSpecialPurposeDestination(row: Row) async throws {
        let url = row.url.replacingOccurrences(of: "{port}", with: "\(server.httpPort)")
        #expect(await errorKind { try await guarded.get(url: url) } == .destinationNotAllowed)
    }

    @Test("the refusal names the address and its range")
    func refusalNamesTheRange() async throws {
        await #expect(throws: OutboundError.destinationNotAllowed("169.254.169.254 (link-local)")) {
            try await guarded.get(url: "http://169.254.169.254/latest/meta-data/")
        }
        // localhost has two addresses; whichever curl tried last is named.
        let error = await #expect(throws: OutboundError.self) {
            try await guarded.get(url: "http://localhost:\(server.httpPort)/ok")
        }
        #expect([OutboundError.destinationNotAllowed("127.0.0.1 (loopback)"), .destinationNotAllowed("::1 (loopback)")].contains(error))
    }

    @Test("loopback is reachable when private destinations are allowed", arguments: ["127.0.0.1", "localhost"])
    func allowsLoopbackWhenAllowed(host: String) async throws {
        let response = try await HTTPClient(policy: .loopback).get(url: "http://\(host):\(server.httpPort)/ok")
        #expect(response.status == 200)
    }

    @Test("an allow-listed private network is reachable while the guard stays on")
    func allowListedNetworkIsReachable() async throws {
        let client = HTTPClient(policy: OutboundPolicy(allowedSchemes: ["http"], allowedPrivateNetworks: [IPNetwork("127.0.0.1/32")!]))
        #expect(try await client.get(url: "\(server.base)/ok").status == 200)
        #expect(await errorKind { try await client.get(url: "http://127.0.0.2:\(server.httpPort)/ok") } == .destinationNotAllowed)
    }

    @Test("a redirect to a private address is refused")
    func redirectToPrivateIsRefused() async throws {
        let client = HTTPClient(policy: OutboundPolicy(allowedSchemes: ["http"], allowedPrivateNetworks: [IPNetwork("127.0.0.1/32")!]))
        await #expect(throws: OutboundError.destinationNotAllowed("10.0.0.1 (private-use)")) {
            try await client.get(url: "\(server.base)/redirect-to-private")
        }
    }
}
