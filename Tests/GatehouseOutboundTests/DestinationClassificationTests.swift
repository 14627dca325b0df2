import GatehouseOutbound
import Testing

/// ``IPAddress/specialPurposeRange``: the table the SSRF guard consults for every connection.
struct DestinationClassificationTests {
    @Test(
        "special-purpose addresses are classified; global unicast is not",
        arguments: [
            ("8.8.8.8", nil), ("1.1.1.1", nil), ("172.32.0.1", nil), ("100.128.0.1", nil), ("192.169.0.1", nil),
            ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"),
            ("10.0.0.1", "private-use"), ("10.255.255.255", "private-use"),
            ("172.16.0.1", "private-use"), ("172.31.255.255", "private-use"), ("192.168.1.1", "private-use"),
            ("169.254.169.254", "link-local"), ("169.254.0.1", "link-local"),
            ("100.64.0.1", "shared-address-space"), ("100.127.255.255", "shared-address-space"),
            ("0.0.0.0", "this-network"), ("0.1.2.3", "this-network"),
            ("255.255.255.255", "reserved"), ("240.0.0.1", "reserved"),
            ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"),
            ("192.0.2.1", "documentation"), ("198.18.0.1", "benchmarking"),
            ("::", "unspecified"), ("::1", "loopback"), ("[::1]", "loopback"),
            ("::ffff:127.0.0.1", "IPv4-mapped loopback"), ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
            ("::ffff:10.1.2.3", "IPv4-mapped private-use"), ("::ffff:8.8.8.8", nil),
            ("::127.0.0.1", "IPv4-compatible"),
            ("64:ff9b::a00:1", "NAT64 private-use"), ("64:ff9b::808:808", nil),
            ("2002:7f00:1::", "6to4 loopback"), ("2002:808:808::", nil),
            ("fc00::1", "unique-local"), ("fd12:3456::1", "unique-local"),
            ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"), ("febf::1", "link-local"),
            ("fec0::1", "site-local"), ("ff02::1", "multicast"), ("2001:db8::1", "documentation"),
            ("2606:4700:4700::1111", nil), ("2a00:1450:4001::200e", nil),
        ] as [(String, String?)])
    func classify(address: String, range: String?) throws {
        let parsed = try #require(IPAddress(address))
        #expect(parsed.specialPurposeRange == range)
    }

    @Test(
        "only canonical IP text parses as an address",
        arguments: [
            "localhost", "127.1", "2130706433", "0x7f000001", "1.2.3.4.5", "", "[]", "::g", "256.0.0.1",
        ])
    func rejectsNonAddresses(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        "addresses print in conventional form",
        arguments: [
            ("10.0.0.1", "10.0.0.1"), ("[::1]", "::1"), ("::ffff:127.0.0.1", "::ffff:127.0.0.1"), ("FE80:0::1", "fe80::1"),
        ])
    func printsConventionally(text: String, printed: String) throws {
        #expect(try #require(IPAddress(text)).description == printed)
    }

    @Test(
        "a CIDR network contains exactly its addresses",
        arguments: [
            ("10.0.0.0/8", "10.255.0.1", true), ("10.0.0.0/8", "11.0.0.1", false),
            ("10.1.2.3/16", "10.1.99.99", true), ("127.0.0.1", "127.0.0.1", true), ("127.0.0.1", "127.0.0.2", false),
            ("0.0.0.0/0", "8.8.8.8", true), ("0.0.0.0/0", "::1", false),
            ("fd00::/8", "fd12::1", true), ("fd00::/8", "fe80::1", false), ("::1/128", "::1", true),
            ("172.16.0.0/12", "172.31.0.1", true), ("172.16.0.0/12", "172.32.0.1", false),
        ])
    func networkContains(cidr: String, address: String, contained: Bool) throws {
        let network = try #require(IPNetwork(cidr))
        #expect(network.contains(try #require(IPAddress(address))) == contained)
    }

    @Test("malformed CIDR text is rejected", arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "10.0.0/8", "x/8", "10.0.0.0/8/1"])
    func rejectsMalformedCIDR(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test("host bits are cleared in a network's address")
    func clearsHostBits() throws {
        #expect(try #require(IPNetwork("10.1.2.3/16")).description == "10.1.0.0/16")
    }
}
