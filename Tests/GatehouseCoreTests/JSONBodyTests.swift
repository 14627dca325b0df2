import Foundation
import GatehouseCore
import Testing

/// The hot paths write access token claims, token responses and introspection answers with
/// `JSONObjectWriter` instead of `JSONEncoder`: the two must agree member for member, escapes
/// included.
@Suite("Hand-written JSON bodies equal their Encodable form")
struct JSONBodyTests {
    /// Both serialisations parsed back into JSON values (member order aside).
    static func agree(_ written: [UInt8], _ value: some Encodable) throws -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let reference = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
        let parsed = try JSONDecoder().decode(JSONValue.self, from: Data(written))
        return parsed == reference
    }

    static let awkward =
        "quote \" backslash \\ slash / tab \t newline \n return \r \u{08} \u{0C} nul \u{00} \u{01} \u{1F} del \u{7F} "
        + "line sep \u{2028} para sep \u{2029} é 🔑"

    @Test("exact bytes: members in order, integers in decimal, no member twice")
    func exactBytes() throws {
        let response = TokenResponse(accessToken: "a.b.c", expiresIn: 900, refreshToken: nil, idToken: nil, scope: "openid")
        #expect(String(decoding: response.jsonBody, as: UTF8.self) == #"{"access_token":"a.b.c","token_type":"Bearer","expires_in":900,"scope":"openid"}"#)
        let minimal =
            #"{"iss":"i","sub":"s","aud":"a","client_id":"c","exp":9007199254740993,"iat":-1,"jti":"j","tid":"t","auth_time":0}"#
        let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: Data(minimal.utf8))
        #expect(String(decoding: claims.jsonPayload, as: UTF8.self) == minimal)
        let escaped = TokenResponse(accessToken: "\u{00}\"\\\u{1F}", expiresIn: 1, refreshToken: nil, idToken: nil, scope: "")
        #expect(
            String(decoding: escaped.jsonBody, as: UTF8.self)
                == #"{"access_token":"\u0000\"\\\u001f","token_type":"Bearer","expires_in":1}"#)
    }

    @Test("an empty scope is left out of token responses and introspection answers (RFC 6749 §3.3)")
    func emptyScopeLeftOut() throws {
        let response = TokenResponse(accessToken: "a.b.c", expiresIn: 900, refreshToken: nil, idToken: nil, scope: "")
        let encoded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(response))
        #expect(encoded["scope"] == nil)
        #expect(try JSONDecoder().decode(TokenResponse.self, from: Data(response.jsonBody)) == response)
        var introspected = IntrospectionResponse(active: true, scope: "", clientID: "pk_1")
        #expect(introspected.scope == nil)
        #expect(!String(decoding: introspected.jsonBody, as: UTF8.self).contains("scope"))
        introspected.scope = ""
        #expect(!String(decoding: introspected.jsonBody, as: UTF8.self).contains("scope"))
        #expect(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(introspected))["scope"] == nil)
        // Access tokens: no scope claim when empty; tokens issued with "scope":"" still decode.
        let issued =
            #"{"iss":"i","sub":"s","aud":"a","client_id":"c","exp":2,"iat":1,"jti":"j","scope":"","tid":"t"}"#
        let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: Data(issued.utf8))
        #expect(claims.scope == "")
        #expect(!String(decoding: claims.jsonPayload, as: UTF8.self).contains("scope"))
        #expect(try Self.agree(claims.jsonPayload, claims))
    }

    @Test("access token claims: every member, optional ones absent and present")
    func accessTokenClaims() throws {
        let minimal =
            #"{"iss":"https://id.example.com/t/acme","sub":"pk_live_abc","aud":"pk_live_abc","client_id":"pk_live_abc","exp":1800000900,"iat":1800000000,"jti":"abc","tid":"ten_1"}"#
        var bare = try JSONDecoder().decode(AccessTokenClaims.self, from: Data(minimal.utf8))
        #expect(try Self.agree(bare.jsonPayload, bare))
        var full = bare
        full.sub = Self.awkward
        full.scope = "openid profile"
        full.sid = "ses_1"
        full.authTime = 1_799_999_000
        full.amr = ["pwd", "otp", Self.awkward]
        full.orgID = "org_1"
        full.orgRole = "admin"
        full.orgPermissions = []
        full.act = .object(["sub": .string("svc"), "act": .object(["sub": .string("root")])])
        full.cnf = .init(jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
        #expect(try Self.agree(full.jsonPayload, full))
        bare.orgPermissions = ["a", "b"]
        #expect(try Self.agree(bare.jsonPayload, bare))
        // The verifier reads the claims back unchanged.
        let decoded = try JSONDecoder().decode(AccessTokenClaims.self, from: Data(full.jsonPayload))
        #expect(decoded == full)
    }

    @Test("ID token claims: every member, optional ones absent and present")
    func idTokenClaims() throws {
        var bare = IDTokenClaims(
            iss: "https://id.example.com/t/acme", sub: "usr_1", aud: "pk_live_abc", exp: 1_800_000_900, iat: 1_800_000_000,
            authTime: nil, nonce: nil, atHash: nil, sid: nil, azp: nil, amr: nil, email: nil, emailVerified: nil, name: nil)
        #expect(try Self.agree(bare.jsonPayload, bare))
        #expect(
            String(decoding: bare.jsonPayload, as: UTF8.self)
                == #"{"iss":"https://id.example.com/t/acme","sub":"usr_1","aud":"pk_live_abc","exp":1800000900,"iat":1800000000}"#)
        var full = IDTokenClaims(
            iss: "https://id.example.com/t/acme", sub: Self.awkward, aud: "pk_live_abc", exp: 2, iat: 1, authTime: 0,
            nonce: Self.awkward, atHash: "aGFzaA", sid: "ses_1", azp: "pk_live_abc", amr: ["pwd", "otp"], email: Self.awkward,
            emailVerified: false, name: "Ada", organization: OrganizationClaims(orgID: "org_1", orgRole: "admin", orgPermissions: []))
        full.phoneNumber = "+1 555"
        full.phoneNumberVerified = true
        full.address = PostalAddress(formatted: "1 Main St\nTown", streetAddress: Self.awkward, region: "R", postalCode: "1", country: "X")
        #expect(try Self.agree(full.jsonPayload, full))
        #expect(try JSONDecoder().decode(IDTokenClaims.self, from: Data(full.jsonPayload)) == full)
        bare.amr = []
        bare.emailVerified = true
        #expect(try Self.agree(bare.jsonPayload, bare))
    }

    @Test("token response: with and without the optional members")
    func tokenResponse() throws {
        var response = TokenResponse(accessToken: "a.b.c", expiresIn: 900, refreshToken: nil, idToken: nil, scope: "")
        #expect(try Self.agree(response.jsonBody, response))
        response = TokenResponse(accessToken: "a.b.c", expiresIn: 0, refreshToken: "rt_1", idToken: "x.y.z", scope: Self.awkward)
        response.issuedTokenType = "urn:ietf:params:oauth:token-type:access_token"
        response.tokenType = "DPoP"
        #expect(try Self.agree(response.jsonBody, response))
    }

    @Test("introspection answer: inactive, active with custom claims, reserved names left out")
    func introspectionResponse() throws {
        #expect(try Self.agree(IntrospectionResponse.inactive.jsonBody, IntrospectionResponse.inactive))
        var active = IntrospectionResponse(
            active: true, scope: "openid", clientID: "pk_1", sub: Self.awkward, exp: 2, iat: 1, iss: "https://x/t/a", aud: "pk_1",
            jti: "j", tokenType: "Bearer", sid: "s", tid: "t", orgID: "o", orgRole: "r", orgPermissions: ["p"],
            custom: [
                "plan": .string("pro"), "n": .number(3), "nested": .array([.bool(true), .null]), "sub": .string("spoof"),
                "nbf": .number(1),
            ])
        active.cnf = .init(jkt: "k")
        #expect(try Self.agree(active.jsonBody, active))
        let parsed = try JSONDecoder().decode(JSONValue.self, from: Data(active.jsonBody))
        #expect(parsed["sub"] == .string(Self.awkward))
        #expect(parsed["nbf"] == nil)
        #expect(parsed["plan"] == .string("pro"))
    }
}
