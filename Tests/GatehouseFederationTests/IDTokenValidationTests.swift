import Foundation
import GatehouseCore
@testable import GatehouseFederation
import Testing

/// The ID token claim rules of OIDC Core §3.1.3.7, one row per rule.
@Suite("Upstream ID token validation")
struct IDTokenValidationTests {
    static let now: Double = 1_800_000_000
    static let issuer = "https://idp.example/t/acme"

    static func claims(_ changes: [String: JSONValue?] = [:]) -> JSONValue {
        var members: [String: JSONValue] = [
            "iss": .string(issuer), "sub": .string("248289761001"), "aud": .string("our-client"),
            "exp": .number(now + 300), "iat": .number(now - 5), "nonce": .string("n-0S6_WzA2Mj"),
            "email": .string("Ada@Example.com"), "email_verified": .bool(true), "name": .string("Ada"), "amr": .array([.string("pwd")]),
        ]
        for (key, value) in changes { members[key] = value }
        return .object(members)
    }

    static let expected = IDTokenExpectations(issuer: issuer, clientID: "our-client", nonce: "n-0S6_WzA2Mj", now: now, leeway: 60)

    struct Row: Sendable, CustomTestStringConvertible {
        let description: String
        let changes: [String: JSONValue?]
        /// A substring of the error message, or nil when the token must be accepted.
        let failure: String?
        var testDescription: String { description }
    }

    @Test(arguments: [
        Row(description: "a correct token is accepted", changes: [:], failure: nil),
        Row(description: "wrong iss is refused", changes: ["iss": .string("https://evil.example/t/acme")], failure: "issuer"),
        Row(description: "iss with a trailing slash is refused (exact match)", changes: ["iss": .string(issuer + "/")], failure: "issuer"),
        Row(description: "missing iss is refused", changes: ["iss": nil], failure: "iss is missing"),
        Row(description: "aud for another client is refused", changes: ["aud": .string("someone-else")], failure: "another client"),
        Row(
            description: "aud array containing us, with azp us, is accepted",
            changes: ["aud": .array([.string("our-client"), .string("api")]), "azp": .string("our-client")], failure: nil),
        Row(
            description: "aud array containing us without azp is refused",
            changes: ["aud": .array([.string("our-client"), .string("api")])], failure: "azp"),
        Row(description: "azp naming another party is refused", changes: ["azp": .string("someone-else")], failure: "azp"),
        Row(description: "missing aud is refused", changes: ["aud": nil], failure: "aud is missing"),
        Row(description: "expired token is refused", changes: ["exp": .number(now - 61)], failure: "expired"),
        Row(description: "expiry within the leeway is accepted", changes: ["exp": .number(now - 30)], failure: nil),
        Row(description: "missing exp is refused", changes: ["exp": nil], failure: "exp is missing"),
        Row(description: "exp as a string is refused", changes: ["exp": .string("1900000000")], failure: "exp is missing"),
        Row(description: "iat in the future is refused", changes: ["iat": .number(now + 3600)], failure: "future"),
        Row(description: "missing iat is refused", changes: ["iat": nil], failure: "iat is missing"),
        Row(description: "nbf in the future is refused", changes: ["nbf": .number(now + 3600)], failure: "nbf"),
        Row(description: "wrong nonce is refused", changes: ["nonce": .string("another")], failure: "nonce does not match"),
        Row(description: "missing nonce is refused", changes: ["nonce": nil], failure: "nonce is missing"),
        Row(description: "empty sub is refused", changes: ["sub": .string("")], failure: "sub"),
        Row(description: "numeric sub is refused", changes: ["sub": .number(42)], failure: "sub"),
        Row(description: "overlong sub is refused", changes: ["sub": .string(String(repeating: "x", count: 256))], failure: "sub"),
    ])
    func rule(_ row: Row) {
        let result = Result { () throws(FederationError) in try IDTokenValidation.validate(Self.claims(row.changes), Self.expected) }
        switch (result, row.failure) {
        case (.success, nil): break
        case (.success, let expected?): Issue.record("accepted; expected a failure mentioning '\(expected)'")
        case (.failure(let error), nil): Issue.record("refused: \(error.message)")
        case (.failure(let error), let expected?):
            #expect(error.reason == .invalidToken)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("accepted claims become the profile: email, email_verified, name, amr")
    func profile() throws {
        let token = try IDTokenValidation.validate(Self.claims(), Self.expected)
        #expect(token.issuer == Self.issuer)
        #expect(token.subject == "248289761001")
        #expect(token.email == "Ada@Example.com")
        #expect(token.emailVerified)
        #expect(token.amr == ["pwd"])
        let stringly = try IDTokenValidation.validate(Self.claims(["email_verified": .string("true")]), Self.expected)
        #expect(stringly.emailVerified)
        let absent = try IDTokenValidation.validate(Self.claims(["email_verified": nil]), Self.expected)
        #expect(!absent.emailVerified)
    }

    @Test("the rules are named, each once")
    func namedChecks() {
        let names = IDTokenValidation.checks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 8)
    }
}

/// Microsoft's multi-tenant issuer `https://login.microsoftonline.com/{tenantid}/v2.0` is matched
/// against the token's `tid`, never skipped.
@Suite("Microsoft {tenantid} issuer template")
struct TenantTemplateTests {
    static let template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    static let tid = "9188040d-6c67-4c5b-b112-36a304b66dad"
    static let now: Double = 1_800_000_000

    static func claims(iss: String, tid: String?) -> JSONValue {
        var members: [String: JSONValue] = [
            "iss": .string(iss), "sub": .string("AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"), "aud": .string("app-id"),
            "exp": .number(now + 300), "iat": .number(now), "nonce": .string("n"),
        ]
        if let tid { members["tid"] = .string(tid) }
        return .object(members)
    }

    static let expected = IDTokenExpectations(issuer: template, clientID: "app-id", nonce: "n", now: now, leeway: 60)

    @Test("iss equal to the template with the token's tid is accepted")
    func matchingTenant() throws {
        let token = try IDTokenValidation.validate(Self.claims(iss: "https://login.microsoftonline.com/\(Self.tid)/v2.0", tid: Self.tid), Self.expected)
        #expect(token.issuer == "https://login.microsoftonline.com/\(Self.tid)/v2.0")
    }

    @Test("iss naming another directory than tid is refused")
    func otherTenant() {
        #expect(throws: FederationError.self) {
            try IDTokenValidation.validate(
                Self.claims(
                    iss: "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0",
                    tid: Self.tid), Self.expected)
        }
    }

    @Test("a token without tid is refused (the template is not skipped)")
    func missingTid() {
        #expect(throws: FederationError.self) {
            try IDTokenValidation.validate(Self.claims(iss: "https://login.microsoftonline.com/\(Self.tid)/v2.0", tid: nil), Self.expected)
        }
    }

    @Test("iss equal to the literal template is refused")
    func literalTemplate() {
        #expect(throws: FederationError.self) {
            try IDTokenValidation.validate(Self.claims(iss: Self.template, tid: "{tenantid}"), Self.expected)
        }
    }

    @Test("a tid that would change the issuer's shape is refused")
    func maliciousTid() {
        #expect(throws: FederationError.self) {
            try IDTokenValidation.validate(
                Self.claims(iss: "https://login.microsoftonline.com/evil.example/x/v2.0", tid: "evil.example/x"),
                Self.expected)
        }
    }

    @Test("RFC 9207 iss parameter matches the template with some directory id, nothing else")
    func authorizationResponseIssuer() {
        #expect(IDTokenValidation.issuerMatches("https://login.microsoftonline.com/\(Self.tid)/v2.0", template: Self.template))
        #expect(!IDTokenValidation.issuerMatches("https://login.microsoftonline.com/v2.0", template: Self.template))
        #expect(!IDTokenValidation.issuerMatches("https://evil.example/\(Self.tid)/v2.0", template: Self.template))
        #expect(!IDTokenValidation.issuerMatches("https://login.microsoftonline.com/a/b/v2.0", template: Self.template))
        #expect(IDTokenValidation.issuerMatches("https://idp.example", template: "https://idp.example"))
        #expect(!IDTokenValidation.issuerMatches("https://idp.example/", template: "https://idp.example"))
    }

    @Test("the Microsoft preset's discovery URL uses the configured directory, common by default")
    func presetDiscovery() {
        let now = Date(timeIntervalSince1970: Self.now)
        var provider = UpstreamProvider(
            id: .generate(at: now), slug: "ms", kind: .microsoft, name: "Microsoft", clientID: "app-id",
            createdAt: now, updatedAt: now)
        #expect(provider.effectiveDiscoveryURL == "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration")
        provider.microsoftTenant = "organizations"
        #expect(provider.effectiveDiscoveryURL == "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration")
    }
}
