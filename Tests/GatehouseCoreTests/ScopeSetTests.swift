import Foundation
import GatehouseCore
import Testing

@Suite("Scope values (RFC 6749 §3.3)")
struct ScopeSetTests {
    struct Parse: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let raw: String
        /// nil when parsing must fail with invalid_scope.
        let values: Set<String>?
    }

    @Test(
        "scope is space-delimited scope-tokens of %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3)",
        arguments: [
            Parse(testDescription: "space-delimited tokens", raw: "openid profile email", values: ["openid", "profile", "email"]),
            Parse(testDescription: "repeated spaces are delimiters", raw: "  openid   profile ", values: ["openid", "profile"]),
            Parse(testDescription: "a repeated token is one value", raw: "openid openid", values: ["openid"]),
            Parse(testDescription: "the empty string is the empty set", raw: "", values: []),
            Parse(
                testDescription: "every allowed punctuation character", raw: "!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
                values: ["!#$%&'()*+,-./:;<=>?@[]^_`{|}~"]),
            Parse(testDescription: "URIs are scope tokens", raw: "https://api.example/read", values: ["https://api.example/read"]),
            Parse(testDescription: "scope values are case-sensitive", raw: "OpenID openid", values: ["OpenID", "openid"]),
            Parse(testDescription: "a double quote (%x22) is refused", raw: "open\"id", values: nil),
            Parse(testDescription: "a backslash (%x5C) is refused", raw: "open\\id", values: nil),
            Parse(testDescription: "a tab is not a delimiter and is refused", raw: "openid\tprofile", values: nil),
            Parse(testDescription: "a newline is refused", raw: "openid\nprofile", values: nil),
            Parse(testDescription: "DEL (%x7F) is refused", raw: "openid\u{7F}", values: nil),
            Parse(testDescription: "non-ASCII is refused", raw: "profilé", values: nil),
        ])
    func parsing(_ row: Parse) throws {
        if let values = row.values {
            #expect(try ScopeSet(parsing: row.raw).values == values)
        } else {
            #expect(throws: OAuthError.invalidScope("")) { try ScopeSet(parsing: row.raw) }
        }
    }

    @Test("the wire form is sorted and space-delimited, and is order-free")
    func wireForm() throws {
        let scope = try ScopeSet(parsing: "profile openid email")
        #expect(scope.description == "email openid profile")
        #expect(scope == ScopeSet(["email", "profile", "openid"]))
        #expect(ScopeSet([]).description == "")
    }

    @Test("subset, intersection and union follow set semantics")
    func setOperations() {
        let granted: ScopeSet = ["openid", "profile", "email"]
        #expect(ScopeSet(["openid"]).isSubset(of: granted))
        #expect(ScopeSet([]).isSubset(of: granted))
        #expect(!ScopeSet(["openid", "offline_access"]).isSubset(of: granted))
        #expect(granted.intersection(["email", "phone"]) == ["email"])
        #expect(granted.union(["phone"]) == ["openid", "profile", "email", "phone"])
    }

    @Test("Codable uses the wire string and validates it")
    func codable() throws {
        let data = try JSONEncoder().encode(["scope": ScopeSet(["profile", "openid"])])
        #expect(String(decoding: data, as: UTF8.self) == #"{"scope":"openid profile"}"#)
        #expect(try JSONDecoder().decode([String: ScopeSet].self, from: data)["scope"] == ["openid", "profile"])
        #expect(throws: OAuthError.invalidScope("")) {
            try JSONDecoder().decode([String: ScopeSet].self, from: Data(#"{"scope":"bad\\scope"}"#.utf8))
        }
    }

    @Test("a client without an allow-list may request every standard scope (OIDC Core §5.4)")
    func permittedScopes() {
        #expect(TestClient.web.client.permittedScopes == StandardScope.all)
        #expect(StandardScope.all == ["openid", "profile", "email", "address", "phone", "offline_access"])
        #expect(TestClient.machine.client.permittedScopes == ["api.read", "api.write", "openid"])
    }
}
