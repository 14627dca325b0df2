import GatehouseCore
import Testing

@Suite("application/x-www-form-urlencoded parameters (RFC 6749 §3.1, Appendix B)")
struct FormParametersTests {
    struct Decoding: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let encoded: String
        let pairs: [Pair]
    }

    struct Pair: Sendable, Equatable, CustomStringConvertible {
        let name: String
        let value: String
        init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
        var description: String { "\(name)=\(value)" }
    }

    @Test(
        "decoding reads '+' as space and percent escapes as UTF-8 (RFC 6749 Appendix B)",
        arguments: [
            Decoding(
                testDescription: "plain pairs keep their order", encoded: "b=2&a=1",
                pairs: [Pair("b", "2"), Pair("a", "1")]),
            Decoding(testDescription: "'+' is a space", encoded: "scope=openid+profile", pairs: [Pair("scope", "openid profile")]),
            Decoding(testDescription: "%2B is a literal plus", encoded: "s=a%2Bb", pairs: [Pair("s", "a+b")]),
            Decoding(testDescription: "%20 is a space", encoded: "s=a%20b", pairs: [Pair("s", "a b")]),
            Decoding(
                testDescription: "escaped separators stay inside the value", encoded: "s=%26%3D%25",
                pairs: [Pair("s", "&=%")]),
            Decoding(testDescription: "multi-byte UTF-8 escapes decode", encoded: "name=Jos%C3%A9", pairs: [Pair("name", "José")]),
            Decoding(testDescription: "names are decoded too", encoded: "client%5Fid=x", pairs: [Pair("client_id", "x")]),
            Decoding(testDescription: "only the first '=' separates name and value", encoded: "a=b=c", pairs: [Pair("a", "b=c")]),
            Decoding(testDescription: "a name without '=' has an empty value", encoded: "flag", pairs: [Pair("flag", "")]),
            Decoding(testDescription: "empty segments are skipped", encoded: "&&a=1&&", pairs: [Pair("a", "1")]),
            Decoding(testDescription: "the empty string has no pairs", encoded: "", pairs: []),
        ])
    func decoding(_ row: Decoding) throws {
        let parameters = try FormParameters(encoded: row.encoded)
        #expect(parameters.pairs.map { Pair($0.name, $0.value) } == row.pairs)
    }

    @Test(
        "malformed percent-encoding is invalid_request",
        arguments: [
            "a=%zz", "a=100%", "a=%4", "%zz=1", "a=%E9", "a=%C3%28",
        ])
    func malformedThrows(_ encoded: String) {
        #expect(throws: OAuthError.invalidRequest("")) { try FormParameters(encoded: encoded) }
    }

    @Test("a parameter sent without a value is treated as omitted (RFC 6749 §3.1)")
    func emptyValueIsAbsent() throws {
        let parameters = try FormParameters(encoded: "state=&scope=openid&nonce")
        #expect(parameters["state"] == nil)
        #expect(parameters["nonce"] == nil)
        #expect(parameters["scope"] == "openid")
        #expect(parameters["missing"] == nil)
        #expect(parameters.dictionary == ["scope": "openid"])
    }

    @Test("an empty occurrence does not hide a non-empty one")
    func emptyThenValue() throws {
        let parameters = try FormParameters(encoded: "state=&state=xyz")
        #expect(parameters["state"] == "xyz")
        #expect(parameters.duplicatedNames.isEmpty)
    }

    struct Duplicates: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let encoded: String
        let duplicated: [String]
    }

    @Test(
        "parameters included more than once are detected (RFC 6749 §3.1)",
        arguments: [
            Duplicates(testDescription: "distinct names are not duplicates", encoded: "a=1&b=2", duplicated: []),
            Duplicates(testDescription: "two values of one name", encoded: "a=1&a=2", duplicated: ["a"]),
            Duplicates(testDescription: "the same value twice is still a duplicate", encoded: "a=1&a=1", duplicated: ["a"]),
            Duplicates(testDescription: "an empty repetition counts as omitted", encoded: "a=1&a=", duplicated: []),
            Duplicates(
                testDescription: "an escaped name is the same name", encoded: "client_id=x&client%5Fid=y",
                duplicated: ["client_id"]),
            Duplicates(
                testDescription: "every duplicated name is listed, sorted", encoded: "b=1&a=1&b=2&a=2&c=3",
                duplicated: ["a", "b"]),
        ])
    func duplicates(_ row: Duplicates) throws {
        let parameters = try FormParameters(encoded: row.encoded)
        #expect(parameters.duplicatedNames == row.duplicated)
        if row.duplicated.isEmpty {
            #expect(throws: Never.self) { try parameters.rejectDuplicates() }
        } else {
            #expect(throws: OAuthError.invalidRequest("")) { try parameters.rejectDuplicates() }
        }
    }

    @Test(
        "encode then decode returns the same pairs",
        arguments: [
            [("code", "SplxlOBeZQQYbYS6WxSbIA"), ("state", "xyz")],
            [("redirect_uri", "https://rp.example/cb?x=1&y=2#f")],
            [("secret", "a:b%c+d e&f=g")],
            [("name", "Zoë 東京 🙂")],
            [("unreserved", "AZaz09-._~")],
            [("a b", "c d"), ("a b", "e")],
        ])
    func encodeRoundTrip(_ pairs: [(String, String)]) throws {
        let encoded = FormParameters.encode(pairs)
        let decoded = try FormParameters(encoded: encoded)
        #expect(decoded == form(pairs))
    }

    @Test("encoding escapes everything but RFC 3986 unreserved characters")
    func encodeEscapes() {
        #expect(FormParameters.encode([("q", "a b+c&d=e/f~g")]) == "q=a%20b%2Bc%26d%3De%2Ff~g")
        #expect(FormParameters.encode([("k", "é")]) == "k=%C3%A9")
        #expect(FormParameters.encode([("a", "1"), ("b", "2")]) == "a=1&b=2")
        #expect(FormParameters.encode([]) == "")
    }
}
