import Foundation
import GatehouseCore
import GatehouseStoreTesting
import GatehouseCrypto
import Testing

@Suite("Refresh token grant with rotation (RFC 6749 §6, RFC 9700 §4.14.2)")
struct RefreshTokenGrantTests {
    @Test("a refresh rotates: a new refresh token and a new valid access token (RFC 9700 §4.14.2)")
    func rotation() async throws {
        let f = try TokenFixture()
        let first = try await f.signIn()
        let firstRefresh = try #require(first.refreshToken)
        f.clock.advance(30)
        let second = try await f.refresh(firstRefresh)
        let secondRefresh = try #require(second.refreshToken)
        #expect(secondRefresh != firstRefresh)
        #expect(second.accessToken != first.accessToken)
        #expect(second.scope == first.scope)
        #expect(await f.accessTokenIsValid(second.accessToken))
        // The successor works in turn; the rotated one is recorded as such.
        f.clock.advance(30)
        let third = try await f.refresh(secondRefresh)
        #expect(third.refreshToken != nil)
        #expect(try await f.store.refreshToken(hash: SecretHash.of(firstRefresh))?.rotatedAt != nil)
    }

    @Test("reuse of a rotated token within the grace window is invalid_grant and the grant survives")
    func reuseWithinGrace() async throws {
        let f = try TokenFixture(reuseGrace: 10)
        let first = try await f.signIn()
        let second = try await f.refresh(first.refreshToken)
        f.clock.advance(5)
        let reuse = await oauthErrorCode { _ = try await f.refresh(first.refreshToken) }
        #expect(reuse == .invalidGrant)
        #expect(await f.accessTokenIsValid(second.accessToken))
        let third = try await f.refresh(second.refreshToken)
        #expect(await f.accessTokenIsValid(third.accessToken))
    }

    @Test("reuse of a rotated token after the grace window is invalid_grant and revokes the grant (RFC 9700 §4.14.2)")
    func reuseAfterGrace() async throws {
        let f = try TokenFixture(reuseGrace: 10)
        let first = try await f.signIn()
        let second = try await f.refresh(first.refreshToken)
        f.clock.advance(11)
        let reuse = await oauthErrorCode { _ = try await f.refresh(first.refreshToken) }
        #expect(reuse == .invalidGrant)
        // "the authorization server cannot determine which party submitted the invalid refresh token":
        // the live successor and every access token of the grant stop working.
        let successor = await oauthErrorCode { _ = try await f.refresh(second.refreshToken) }
        #expect(successor == .invalidGrant)
        #expect(!(await f.accessTokenIsValid(first.accessToken)))
        #expect(!(await f.accessTokenIsValid(second.accessToken)))
    }

    @Test("scope may be narrowed on refresh (RFC 6749 §6)")
    func narrowing() async throws {
        let f = try TokenFixture()
        let first = try await f.signIn(scope: ["openid", "profile", "email"])
        let narrowed = try await f.refresh(first.refreshToken, scope: "openid email")
        #expect(narrowed.scope == "email openid")
        let claims = try await f.tokens.validateAccessToken(narrowed.accessToken, store: f.store)
        #expect(claims.scopeSet == ["openid", "email"])
        // The grant keeps its scope: the next refresh may ask for all of it again.
        let full = try await f.refresh(narrowed.refreshToken)
        #expect(full.scope == "email openid profile")
    }

    @Test(
        "scope beyond the original grant is invalid_scope (RFC 6749 §6: MUST NOT include any scope not originally granted)",
        arguments: ["openid offline_access", "openid admin", "openid pro\\file"])
    func widening(_ scope: String) async throws {
        let f = try TokenFixture()
        let first = try await f.signIn(scope: ["openid", "profile"])
        let code = await oauthErrorCode { _ = try await f.refresh(first.refreshToken, scope: scope) }
        #expect(code == .invalidScope)
    }

    @Test("a refused scope widening leaves the refresh token usable (RFC 6749 §5.2: an error response issues nothing)")
    func wideningKeepsToken() async throws {
        let f = try TokenFixture()
        let first = try await f.signIn(scope: ["openid", "profile"])
        let code = await oauthErrorCode { _ = try await f.refresh(first.refreshToken, scope: "openid offline_access") }
        #expect(code == .invalidScope)
        f.clock.advance(60)
        let retry = try await f.refresh(first.refreshToken)
        #expect(retry.refreshToken != nil)
    }

    @Test("a refreshed ID token keeps sub, aud and the original auth_time, and has no nonce (OIDC Core §12.2)")
    func refreshedIDToken() async throws {
        let f = try TokenFixture()
        let issued = try await f.issueCode(to: .web, nonce: "n-0S6_WzA2Mj")
        let first = try await f.token(f.codeRequest(issued), as: .web)
        let original = try decodeJWT(try #require(first.idToken), as: IDTokenClaims.self).claims
        #expect(original.nonce == "n-0S6_WzA2Mj")

        f.clock.advance(600)
        let refreshed = try await f.refresh(first.refreshToken)
        let id = try decodeJWT(try #require(refreshed.idToken), as: IDTokenClaims.self).claims
        #expect(id.iss == original.iss)
        #expect(id.sub == original.sub)
        #expect(id.aud == original.aud)
        #expect(id.azp == original.azp)
        #expect(id.authTime == original.authTime)
        #expect(id.authTime == f.session.authTime.numericDate)
        #expect(id.nonce == nil)
        #expect(id.iat == original.iat + 600)
        #expect(id.atHash == expectedAtHash(refreshed.accessToken, algorithm: .eddsa))
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let expected: OAuthError.Code
        /// Prepares the fixture after sign-in and returns the refresh request's token and client.
        let request: @Sendable (TokenFixture, TokenResponse) async throws -> (token: String?, client: TestClient)
    }

    static let failures: [Failure] = [
        Failure(testDescription: "a missing refresh_token is invalid_request (RFC 6749 §6)", expected: .invalidRequest) { _, _ in
            (nil, .web)
        },
        Failure(testDescription: "an unknown refresh token is invalid_grant (RFC 6749 §5.2)", expected: .invalidGrant) { _, _ in
            (RandomText.bearerSecret(), .web)
        },
        Failure(testDescription: "a refresh token of another client is invalid_grant (RFC 6749 §6)", expected: .invalidGrant) {
            _, response in (response.refreshToken, .other)
        },
        Failure(testDescription: "an expired refresh token is invalid_grant", expected: .invalidGrant) { f, response in
            f.clock.advance(TimeInterval(f.tenant.settings.refreshTokenTTL))
            return (response.refreshToken, .web)
        },
        Failure(testDescription: "a refresh token of a revoked grant is invalid_grant", expected: .invalidGrant) { f, response in
            let claims = try await f.tokens.validateAccessToken(response.accessToken, store: f.store)
            try await f.store.revokeGrant(id: try #require(claims.grantID), at: f.clock.now)
            return (response.refreshToken, .web)
        },
        Failure(
            testDescription: "a refresh token outlives no logout: an ended session ends its grants (RP-Initiated Logout §2)",
            expected: .invalidGrant
        ) { f, response in
            try await f.store.endSession(id: f.session.id, at: f.clock.now)
            return (response.refreshToken, .web)
        },
        Failure(testDescription: "a refresh token of a user disabled since is invalid_grant", expected: .invalidGrant) { f, response in
            f.store.disableUser(f.user.id)
            return (response.refreshToken, .web)
        },
    ]

    @Test("a refresh that breaks a rule is refused", arguments: failures)
    func refused(_ row: Failure) async throws {
        let f = try TokenFixture()
        let response = try await f.signIn()
        let (token, client) = try await row.request(f, response)
        let code = await oauthErrorCode { _ = try await f.refresh(token, as: client) }
        #expect(code == row.expected)
    }

    @Test("a refused refresh by another client leaves the token usable by its own client")
    func otherClientDoesNotBurn() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn()
        _ = await oauthErrorCode { _ = try await f.refresh(response.refreshToken, as: .other) }
        let refreshed = try await f.refresh(response.refreshToken)
        #expect(await f.accessTokenIsValid(refreshed.accessToken))
    }

    @Test("ending the session ends its offline_access grant too: no token keeps the ended sid alive")
    func offlineEndsWithSession() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn(scope: ["openid", "offline_access"])
        try await f.store.endSession(id: f.session.id, at: f.clock.now)
        #expect(await oauthErrorCode { _ = try await f.refresh(response.refreshToken) } == .invalidGrant)
        #expect(await f.accessTokenIsValid(response.accessToken) == false)
    }

    @Test("the refresh token expiry slides: each rotation starts a new lifetime")
    func slidingExpiry() async throws {
        let f = try TokenFixture()
        var response = try await f.signIn(scope: ["openid", "offline_access"])
        let ttl = TimeInterval(f.tenant.settings.refreshTokenTTL)
        for _ in 0..<3 {
            f.clock.advance(ttl - 1)
            response = try await f.refresh(response.refreshToken)
        }
        #expect(await f.accessTokenIsValid(response.accessToken))
    }
}
