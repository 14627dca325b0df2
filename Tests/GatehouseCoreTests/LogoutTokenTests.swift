import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

/// Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4): header, claims, lifetime, the
/// algorithm of the client's ID tokens, a fresh `iat` at each attempt with the same `jti`.
@Suite("Back-channel logout tokens")
struct LogoutTokenTests {
    static func delivery(_ f: TokenFixture, client: Client) -> LogoutDelivery {
        .new(clientID: client.clientID, userID: f.user.id, sessionID: f.session.id, at: f.clock.now)
    }

    @Test("§2.4: typ logout+jwt, iss, aud, iat, exp = iat + 120, jti, events, sub, sid; never nonce")
    func claims() throws {
        let f = try TokenFixture()
        let client = TestClient.web.client
        let delivery = Self.delivery(f, client: client)
        let token = try f.tokens.mintLogoutToken(for: client, delivery: delivery)
        let parsed = try JWS.parse(token)
        #expect(parsed.header.typ == "logout+jwt" && parsed.header.alg == "EdDSA" && parsed.header.kid != nil)
        guard case .object(let claims)? = JSONValue.parse(parsed.payload) else {
            Issue.record("not a JSON object")
            return
        }
        #expect(Set(claims.keys) == ["iss", "aud", "iat", "exp", "jti", "events", "sub", "sid"])
        #expect(claims["iss"] == .string(f.issuer) && claims["aud"] == .string(client.clientID))
        #expect(claims["sub"] == .string(f.user.id.rawValue) && claims["sid"] == .string(f.session.id.rawValue))
        #expect(claims["jti"] == .string(delivery.jti))
        #expect(claims["events"] == .object([LogoutTokenClaims.event: .object([:])]))
        let iat = Double(f.clock.now.numericDate)
        #expect(claims["iat"] == .number(iat) && claims["exp"] == .number(iat + 120))
        #expect(f.tokens.verifiedPayload(token, as: LogoutTokenClaims.self, expectedType: "logout+jwt")?.jti == delivery.jti)
    }

    @Test("signed with the algorithm of the client's ID tokens, afresh at each attempt with the same jti")
    func algorithmAndRetry() throws {
        let f = try TokenFixture(signingKeys: [try SigningKey.generate(.eddsa), try SigningKey.generate(.es256)])
        let client = TestClient.es256.client
        let delivery = Self.delivery(f, client: client)
        let first = try f.tokens.mintLogoutToken(for: client, delivery: delivery)
        #expect(try JWS.parse(first).header.alg == "ES256")
        f.clock.advance(600)
        let later = try #require(
            f.tokens.verifiedPayload(try f.tokens.mintLogoutToken(for: client, delivery: delivery), as: LogoutTokenClaims.self, expectedType: nil))
        #expect(later.iat == f.clock.now.numericDate && later.exp == later.iat + 120 && later.jti == delivery.jti)
    }
}
