import Foundation
import GatehouseCore
import Testing

/// The `claims` request parameter (OIDC Core §5.5): parsing, refusals, the `acr` demand and the
/// claims it releases.
@Suite("Claims request parameter")
struct ClaimsRequestTests {
    @Test("members are null or objects; userinfo and id_token are kept, others ignored")
    func parses() throws {
        let request = try ClaimsRequest(
            parsing:
                #"{"id_token":{"email":null,"acr":{"essential":true,"values":["urn:gatehouse:acr:mfa"]}},"userinfo":{"name":{"essential":false}},"other":1}"#)
        #expect(Set(request.idToken.keys) == ["email", "acr"] && Set(request.userinfo.keys) == ["name"])
        #expect(request.idToken["email"] == ClaimsRequest.Member())
        #expect(request.demandsSecondFactor)
        #expect(try !ClaimsRequest(parsing: #"{"id_token":{"acr":{"values":["urn:gatehouse:acr:mfa"]}}}"#).demandsSecondFactor)
        #expect(try ClaimsRequest(parsing: #"{"userinfo":{"acr":{"essential":true,"value":"urn:gatehouse:acr:mfa"}}}"#).demandsSecondFactor)
    }

    @Test(
        "malformed parameters are refused",
        arguments: [
            "not json", "[]", #"{"userinfo":[]}"#, #"{"userinfo":{"email":5}}"#, #"{"id_token":{"acr":{"essential":"yes"}}}"#,
            #"{"id_token":{"acr":{"values":"x"}}}"#, "{\"userinfo\":{\"n\":\"" + String(repeating: "x", count: 5000) + "\"}}",
        ])
    func refuses(_ text: String) {
        #expect(throws: ClaimsRequest.Malformed.self) { try ClaimsRequest(parsing: text) }
    }

    @Test("a requested claim is released when the client may ask for its scope")
    func releases() {
        let user = User(
            id: .generate(at: .now), email: "a@example.com", emailVerified: true, name: "Ada", passwordHash: nil, phoneNumber: "+14155550123",
            createdAt: .now, updatedAt: .now)
        let claims = UserClaims(user: user, scope: ["openid"], requested: ["email", "phone_number"], permitted: ["openid", "email"])
        #expect(claims.email == "a@example.com" && claims.emailVerified == nil && claims.phoneNumber == nil && claims.name == nil)
        let scoped = UserClaims(user: user, scope: ["openid", "phone"])
        #expect(scoped.phoneNumber == "+14155550123" && scoped.phoneNumberVerified == false)
    }
}
