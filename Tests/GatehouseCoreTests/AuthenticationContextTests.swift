import GatehouseCore
import Testing

/// `acr_values` and `acr` (OIDC Core §3.1.2.1, §2): which requests ask for a second factor, and
/// which class a sign-in achieved.
@Suite("Authentication context classes")
struct AuthenticationContextTests {
    static let sfa = AuthenticationContext.singleFactor, mfa = AuthenticationContext.multiFactor

    @Test(
        "the first supported value decides; unknown values are ignored",
        arguments: [
            ([mfa], true), ([mfa, sfa], true), ([sfa, mfa], false), (["urn:example:gold", mfa], true), (["urn:example:gold"], false),
            ([], false),
        ])
    func demands(_ values: [String], _ expected: Bool) {
        #expect(AuthenticationContext.demandsSecondFactor(values) == expected)
    }

    @Test("the class follows amr: mfa only with a proven second factor (RFC 8176)")
    func achieved() {
        #expect(AuthenticationContext.achieved(amr: ["pwd"]) == Self.sfa)
        #expect(AuthenticationContext.achieved(amr: ["pwd", "otp", "mfa"]) == Self.mfa)
        #expect(AuthenticationContext.achieved(amr: ["fed"]) == Self.sfa)
        #expect(AuthenticationContext.supported == [Self.sfa, Self.mfa])
    }

    @Test("an ID token carries the class of its amr")
    func idToken() {
        let claims = IDTokenClaims(
            iss: "https://i", sub: "usr", aud: "pk", exp: 2, iat: 1, authTime: 1, nonce: nil, atHash: nil, sid: nil, azp: "pk",
            amr: ["pwd", "otp", "mfa"], email: nil, emailVerified: nil, name: nil)
        #expect(claims.acr == Self.mfa)
    }
}
