import GatehouseCore
import Testing

@Suite("Host names that end in a number (WHATWG URL)")
struct HostNameTests {
    @Test(
        "the IPv4 forms resolvers accept end in a number",
        arguments: [
            "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0X7F000001", "0177.0.0.1", "example.0x", "example.123", "example.123.",
            "1.2.3.0xAbC",
        ])
    func number(_ host: String) {
        #expect(HostName.endsInANumber(host))
    }

    @Test(
        "names whose last label has a letter do not",
        arguments: [
            "example.com", "login.acme.example", "123.example", "0x7f.example", "example.1a", "example.0xg1", "example.com.", "x", "",
            ".", "0xg",
        ])
    func name(_ host: String) {
        #expect(!HostName.endsInANumber(host))
    }

    @Test("one rule for tenant host names and webhook destinations")
    func sharedRule() {
        #expect(!TenantSettings.isValidHostname("login.0x1f"))
        #expect(!TenantSettings.isValidHostname("acme.2130706433"))
        #expect(TenantSettings.isValidHostname("0x1f.example"))
    }
}
