import Foundation
import GatehouseCore
import GatehouseOutbound
@testable import GatehouseWeb
import Testing

@Suite struct ClientAddressTests {
    let resolver = ClientAddressResolver(trustedProxies: ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"].map { IPNetwork($0)! })

    @Test func untrustedPeerHeadersAreIgnored() {
        #expect(resolver.clientAddress(peer: "192.0.2.7", forwarded: [], xForwardedFor: ["198.51.100.1"]) == "192.0.2.7")
        #expect(resolver.clientAddress(peer: "192.0.2.7", forwarded: ["for=198.51.100.1"], xForwardedFor: []) == "192.0.2.7")
    }

    @Test func rightmostUntrustedHopOfXForwardedFor() {
        // The client wrote 203.0.113.9 itself; 198.51.100.1 is what our first proxy saw.
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: [], xForwardedFor: ["203.0.113.9, 198.51.100.1, 10.1.2.3"]) == "198.51.100.1")
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: [], xForwardedFor: ["203.0.113.9", "198.51.100.1"]) == "198.51.100.1")
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: [], xForwardedFor: []) == "127.0.0.1")
    }

    @Test func forwardedHeaderWinsAndParsesRFC7239Forms() {
        #expect(
            resolver.clientAddress(
                peer: "127.0.0.1", forwarded: ["for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\""],
                xForwardedFor: ["198.51.100.1"]) == "2001:db8::1")
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: ["for=\"192.0.2.60:8080\";by=10.0.0.1"], xForwardedFor: []) == "192.0.2.60")
    }

    @Test func malformedHeadersFallBackToPeer() {
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: [], xForwardedFor: ["not-an-ip, 198.51.100.1"]) == "127.0.0.1")
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: ["for=unknown"], xForwardedFor: []) == "127.0.0.1")
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: ["for=_hidden"], xForwardedFor: []) == "127.0.0.1")
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: [], xForwardedFor: [""]) == "127.0.0.1")
    }

    @Test func allTrustedChainGivesLeftmost() {
        #expect(resolver.clientAddress(peer: "127.0.0.1", forwarded: [], xForwardedFor: ["10.0.0.5, 10.0.0.6"]) == "10.0.0.5")
    }

    @Test func limitKeyIsTheSlash64OfIPv6() {
        #expect(ClientAddressResolver.limitKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(ClientAddressResolver.limitKey("2001:db8:1:2:bbbb::9") == ClientAddressResolver.limitKey("2001:db8:1:2:aaaa::1"))
        #expect(ClientAddressResolver.limitKey("2001:db8:1:3::1") != ClientAddressResolver.limitKey("2001:db8:1:2::1"))
        #expect(ClientAddressResolver.limitKey("192.0.2.1") == "192.0.2.1")
        #expect(ClientAddressResolver.limitKey("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientAddressResolver.limitKey(nil) == "-")
    }

    @Test func ipv6ClientsInOneSlash64ShareABudget() {
        let limiter = ActionRateLimiter(burst: 1, interval: 3600)
        let tenant = TenantID.generate(at: Date())
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "2001:db8::1", now: .init()) == nil)
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "2001:db8::2", now: .init()) != nil)
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "2001:db8:0:1::1", now: .init()) == nil)
    }

    @Test func configurationValidatesTrustedProxies() {
        var config = GatehouseConfiguration()
        config.trustedProxies = ["127.0.0.1/32", "::1", "10.0.0.0/33", "nginx"]
        let problems = config.validate().filter { $0.key == "server.trusted_proxies" }
        #expect(problems.count == 2)
    }
}
