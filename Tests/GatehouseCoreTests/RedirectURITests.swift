import GatehouseCore
import Testing

@Suite("Redirect URIs (RFC 6749 §3.1.2, RFC 9700 §4.1, RFC 8252 §7)")
struct RedirectURITests {
    static let registered = ["https://rp.example/cb"]

    @Test("an identical redirect URI matches (RFC 9700 §4.1.1 exact string matching)")
    func exactMatch() {
        #expect(RedirectURI.matches("https://rp.example/cb", registered: Self.registered, allowLoopbackPortVariation: false))
        #expect(RedirectURI.matches("https://rp.example/cb", registered: Self.registered, allowLoopbackPortVariation: true))
        #expect(
            RedirectURI.matches(
                "https://b.example/cb", registered: ["https://a.example/cb", "https://b.example/cb"],
                allowLoopbackPortVariation: false))
    }

    struct NearMiss: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let requested: String
    }

    @Test(
        "a near miss never matches, whatever the loopback allowance (RFC 9700 §4.1.1)",
        arguments: [
            NearMiss(testDescription: "an added path segment", requested: "https://rp.example/cb/extra"),
            NearMiss(testDescription: "a path traversal", requested: "https://rp.example/cb/../admin"),
            NearMiss(testDescription: "an added query", requested: "https://rp.example/cb?next=https://evil.com"),
            NearMiss(testDescription: "an empty query", requested: "https://rp.example/cb?"),
            NearMiss(testDescription: "a trailing slash", requested: "https://rp.example/cb/"),
            NearMiss(testDescription: "different case in the path", requested: "https://rp.example/CB"),
            NearMiss(testDescription: "different case in the host", requested: "https://RP.example/cb"),
            NearMiss(testDescription: "different case in the scheme", requested: "HTTPS://rp.example/cb"),
            NearMiss(testDescription: "a host suffix", requested: "https://rp.example.evil.com/cb"),
            NearMiss(testDescription: "a host prefix", requested: "https://evil-rp.example/cb"),
            NearMiss(testDescription: "a subdomain", requested: "https://sub.rp.example/cb"),
            NearMiss(testDescription: "userinfo before another host", requested: "https://rp.example@evil.com/cb"),
            NearMiss(testDescription: "userinfo before the same host", requested: "https://user@rp.example/cb"),
            NearMiss(testDescription: "a scheme downgrade to http", requested: "http://rp.example/cb"),
            NearMiss(testDescription: "a fragment", requested: "https://rp.example/cb#frag"),
            NearMiss(testDescription: "an added port", requested: "https://rp.example:8443/cb"),
            NearMiss(testDescription: "the default port made explicit", requested: "https://rp.example:443/cb"),
            NearMiss(testDescription: "a percent-encoded path character", requested: "https://rp.example/%63b"),
            NearMiss(testDescription: "a percent-encoded host character", requested: "https://rp%2Eexample/cb"),
            NearMiss(testDescription: "an encoded trailing slash", requested: "https://rp.example/cb%2F"),
            NearMiss(testDescription: "a trailing dot on the host", requested: "https://rp.example./cb"),
            NearMiss(testDescription: "leading whitespace", requested: " https://rp.example/cb"),
            NearMiss(testDescription: "the empty string", requested: ""),
        ])
    func nearMissNeverMatches(_ row: NearMiss) {
        #expect(!RedirectURI.matches(row.requested, registered: Self.registered, allowLoopbackPortVariation: false))
        #expect(!RedirectURI.matches(row.requested, registered: Self.registered, allowLoopbackPortVariation: true))
    }

    struct Loopback: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let registered: String
        let requested: String
        /// Whether it matches for a native client (`allowLoopbackPortVariation`).
        let matchesForNativeClient: Bool
    }

    @Test(
        "RFC 8252 §7.3: any port is allowed for a loopback IP literal, everything else must be identical",
        arguments: [
            Loopback(
                testDescription: "127.0.0.1 registered without a port, requested with one",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:51234/callback",
                matchesForNativeClient: true),
            Loopback(
                testDescription: "127.0.0.1 registered with a port, requested with another",
                registered: "http://127.0.0.1:8080/callback", requested: "http://127.0.0.1:9090/callback",
                matchesForNativeClient: true),
            Loopback(
                testDescription: "127.0.0.1 registered with a port, requested without",
                registered: "http://127.0.0.1:8080/callback", requested: "http://127.0.0.1/callback",
                matchesForNativeClient: true),
            Loopback(
                testDescription: "[::1] requested with a port",
                registered: "http://[::1]/callback", requested: "http://[::1]:61000/callback",
                matchesForNativeClient: true),
            Loopback(
                testDescription: "the query is kept while the port varies",
                registered: "http://127.0.0.1/callback?app=1", requested: "http://127.0.0.1:5000/callback?app=1",
                matchesForNativeClient: true),
            Loopback(
                testDescription: "localhost is not an IP literal (RFC 8252 §8.3)",
                registered: "http://localhost/callback", requested: "http://localhost:51234/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "the path must still match",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:51234/other",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "an added path segment is refused",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:51234/callback/x",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "an added query is refused",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:51234/callback?x=1",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "the scheme must still match",
                registered: "http://127.0.0.1/callback", requested: "https://127.0.0.1:51234/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "127.0.0.1 and [::1] are different hosts",
                registered: "http://127.0.0.1/callback", requested: "http://[::1]:51234/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "another loopback address is another host",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.2:51234/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "a host that merely starts with 127.0.0.1",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1.evil.com:51234/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "userinfo after the loopback literal",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:80@evil.com/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "an empty port",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "a port that is not a number",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:80a/callback",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "a fragment after the port",
                registered: "http://127.0.0.1/callback", requested: "http://127.0.0.1:51234/callback#x",
                matchesForNativeClient: false),
            Loopback(
                testDescription: "a non-loopback registration never varies its port",
                registered: "https://rp.example/cb", requested: "https://rp.example:8443/cb",
                matchesForNativeClient: false),
        ])
    func loopbackPortVariation(_ row: Loopback) {
        #expect(
            RedirectURI.matches(row.requested, registered: [row.registered], allowLoopbackPortVariation: true)
                == row.matchesForNativeClient)
        // Without the allowance (confidential clients) only the identical string matches.
        #expect(!RedirectURI.matches(row.requested, registered: [row.registered], allowLoopbackPortVariation: false))
    }

    struct Registration: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let uri: String
        let allowInsecureHTTP: Bool
        /// A phrase every expected problem message contains; empty when the URI is acceptable.
        let problems: [String]
    }

    @Test(
        "registration accepts only safe redirect URIs (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.6)",
        arguments: [
            Registration(
                testDescription: "an https URI is acceptable", uri: "https://rp.example/cb",
                allowInsecureHTTP: false, problems: []),
            Registration(
                testDescription: "an https URI with a query is acceptable", uri: "https://rp.example/cb?tenant=1",
                allowInsecureHTTP: false, problems: []),
            Registration(
                testDescription: "a fragment is refused (RFC 6749 §3.1.2)", uri: "https://rp.example/cb#top",
                allowInsecureHTTP: false, problems: ["fragment"]),
            Registration(
                testDescription: "a wildcard is refused", uri: "https://rp.example/*",
                allowInsecureHTTP: false, problems: ["wildcard"]),
            Registration(
                testDescription: "http for a non-loopback host is refused (RFC 9700 §2.6)",
                uri: "http://rp.example/cb", allowInsecureHTTP: false, problems: ["http for a non-loopback host"]),
            Registration(
                testDescription: "http for 127.0.0.1 is acceptable (RFC 8252 §7.3)",
                uri: "http://127.0.0.1/callback", allowInsecureHTTP: false, problems: []),
            Registration(
                testDescription: "http for [::1] is acceptable (RFC 8252 §7.3)",
                uri: "http://[::1]:8080/callback", allowInsecureHTTP: false, problems: []),
            Registration(
                testDescription: "http for localhost is acceptable", uri: "http://localhost:3000/callback",
                allowInsecureHTTP: false, problems: []),
            Registration(
                testDescription: "a dev tenant may register http for any host",
                uri: "http://rp.example/cb", allowInsecureHTTP: true, problems: []),
            Registration(
                testDescription: "a reverse-domain private-use scheme is acceptable (RFC 8252 §7.1)",
                uri: "com.example.app:/oauth2redirect", allowInsecureHTTP: false, problems: []),
            Registration(
                testDescription: "a private-use scheme without a dot is refused (RFC 8252 §7.1)",
                uri: "myapp:/oauth2redirect", allowInsecureHTTP: false, problems: ["reverse domain name"]),
            Registration(
                testDescription: "javascript: is refused", uri: "javascript:alert(1)",
                allowInsecureHTTP: false, problems: ["reverse domain name", "forbidden scheme"]),
            Registration(
                testDescription: "data: is refused", uri: "data:text/html,hello",
                allowInsecureHTTP: false, problems: ["reverse domain name", "forbidden scheme"]),
            Registration(
                testDescription: "https userinfo is refused", uri: "https://user:pw@rp.example/cb",
                allowInsecureHTTP: false, problems: ["user information"]),
            Registration(
                testDescription: "http userinfo is refused even for a dev tenant",
                uri: "http://user@rp.example/cb", allowInsecureHTTP: true, problems: ["user information"]),
            Registration(
                testDescription: "https without a host is refused", uri: "https:/cb",
                allowInsecureHTTP: false, problems: ["no host"]),
            Registration(
                testDescription: "a relative reference is refused (RFC 6749 §3.1.2: absolute URI)",
                uri: "/cb", allowInsecureHTTP: false, problems: ["not an absolute URI"]),
            Registration(
                testDescription: "a URI longer than 2000 characters is refused",
                uri: "https://rp.example/" + String(repeating: "a", count: 2000), allowInsecureHTTP: false,
                problems: ["not an absolute URI"]),
            Registration(
                testDescription: "every problem is reported at once",
                uri: "http://rp.example/*#frag", allowInsecureHTTP: false,
                problems: ["fragment", "wildcard", "http for a non-loopback host"]),
        ])
    func registrationProblems(_ row: Registration) {
        let problems = RedirectURI.registrationProblems(row.uri, allowInsecureHTTP: row.allowInsecureHTTP)
        #expect(problems.count == row.problems.count, "\(problems)")
        for phrase in row.problems {
            #expect(problems.contains { $0.contains(phrase) }, "no problem mentions '\(phrase)': \(problems)")
        }
    }
}
