import Foundation
import GatehouseCore
import GatehouseStoreTesting
import GatehouseCrypto
import Testing

/// `at_hash` computed independently: base64url of the left half of the JWS algorithm's hash of the
/// access token's ASCII octets (OIDC Core §3.1.3.6); SHA-512 for EdDSA with Ed25519, SHA-256 for ES256.
func expectedAtHash(_ accessToken: String, algorithm: JWSAlgorithm) -> String {
    let digest = algorithm == .eddsa ? Digest.sha512(Array(accessToken.utf8)) : Digest.sha256(Array(accessToken.utf8))
    return Base64URL.encode(Array(digest[..<(digest.count / 2)]))
}

private let verifier = PKCEVector.all[0].verifier
private let challenge = PKCEVector.all[0].challenge

@Suite("Authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5–4.6, OIDC Core §3.1.3)")
struct AuthorizationCodeGrantTests {
    @Test("a valid code yields an access token, a refresh token and an ID token (RFC 6749 §5.1, OIDC Core §3.1.3.3)")
    func success() async throws {
        let f = try TokenFixture()
        let issued = try await f.issueCode(to: .web, nonce: "n-0S6_WzA2Mj")
        let response = try await f.token(f.codeRequest(issued), as: .web)
        let now = f.clock.now.numericDate
        let signer = try #require(f.keys.signing[.eddsa])

        #expect(response.tokenType == "Bearer")
        #expect(response.expiresIn == 900)
        #expect(response.scope == "email openid profile")
        #expect(response.refreshToken.map { $0.count >= 43 } == true)

        // Access token: RFC 9068 §2.1 header, §2.2 claims.
        let access = try decodeJWT(response.accessToken, as: AccessTokenClaims.self)
        #expect(access.header == JWSHeader(alg: "EdDSA", kid: signer.kid, typ: "at+jwt"))
        #expect(access.parsed.verify(with: signer.verifier))
        #expect(access.claims.iss == f.issuer)
        #expect(access.claims.sub == f.user.id.rawValue)
        #expect(access.claims.aud == TestClient.web.clientID)
        #expect(access.claims.clientID == TestClient.web.clientID)
        #expect(access.claims.iat == now)
        #expect(access.claims.exp == now + 900)
        #expect(access.claims.scope == "email openid profile")
        #expect(access.claims.tid == f.tenant.id.rawValue)
        #expect(access.claims.sid == f.session.id.rawValue)
        #expect(access.claims.authTime == f.session.authTime.numericDate)
        #expect(access.claims.grantID == issued.grant.id)

        // ID token: OIDC Core §2 and §3.1.3.6.
        let id = try decodeJWT(try #require(response.idToken), as: IDTokenClaims.self)
        #expect(id.header == JWSHeader(alg: "EdDSA", kid: signer.kid, typ: "JWT"))
        #expect(id.parsed.verify(with: signer.verifier))
        #expect(id.claims.iss == f.issuer)
        #expect(id.claims.sub == f.user.id.rawValue)
        #expect(id.claims.aud == TestClient.web.clientID)
        #expect(id.claims.azp == TestClient.web.clientID)
        #expect(id.claims.nonce == "n-0S6_WzA2Mj")
        #expect(id.claims.authTime == f.session.authTime.numericDate)
        #expect(id.claims.atHash == expectedAtHash(response.accessToken, algorithm: .eddsa))
        #expect(id.claims.atHash?.count == 43, "the left half of SHA-512 is 32 bytes")
        #expect(id.claims.sid == f.session.id.rawValue)
        #expect(id.claims.iat == now)
        #expect(id.claims.exp == now + 3600)
        #expect(id.claims.amr == ["pwd"])
        // OIDC Core §5.4: profile → name, email → email and email_verified.
        #expect(id.claims.email == "alice@example.com")
        #expect(id.claims.emailVerified == true)
        #expect(id.claims.name == "Alice")

        let validated = try await f.tokens.validateAccessToken(response.accessToken, store: f.store)
        #expect(validated == access.claims)
    }

    @Test("the ID token releases only the claims of the granted scopes (OIDC Core §5.4)")
    func claimsFollowScope() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn(.web, scope: ["openid"])
        let id = try decodeJWT(try #require(response.idToken), as: IDTokenClaims.self).claims
        #expect(id.email == nil)
        #expect(id.emailVerified == nil)
        #expect(id.name == nil)
        #expect(id.sub == f.user.id.rawValue)
    }

    @Test("at_hash uses SHA-256 for an ES256 ID token (OIDC Core §3.1.3.6)")
    func es256AtHash() async throws {
        let f = try TokenFixture(signingKeys: [SigningKey.generate(.eddsa), SigningKey.generate(.es256)])
        let response = try await f.signIn(.es256)
        let id = try decodeJWT(try #require(response.idToken), as: IDTokenClaims.self)
        let signer = try #require(f.keys.signing[.es256])
        #expect(id.header.alg == "ES256")
        #expect(id.header.kid == signer.kid)
        #expect(id.parsed.verify(with: signer.verifier))
        #expect(id.claims.atHash == expectedAtHash(response.accessToken, algorithm: .es256))
        #expect(id.claims.atHash?.count == 22, "the left half of SHA-256 is 16 bytes")
    }

    @Test("a request without the openid scope gets no ID token (OIDC Core §3.1.2.1)")
    func oauthOnly() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn(.web, scope: ["profile"])
        #expect(response.idToken == nil)
        #expect(response.scope == "profile")
    }

    @Test("a client without the refresh_token grant gets no refresh token")
    func noRefreshToken() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn(.codeOnly)
        #expect(response.refreshToken == nil)
        #expect(response.idToken != nil)
    }

    @Test("a public client redeems with its PKCE verifier and client_id only (RFC 7636 §4.5, RFC 6749 §3.2.1)")
    func publicClientWithPKCE() async throws {
        let f = try TokenFixture()
        let issued = try await f.issueCode(to: .native, codeChallenge: challenge)
        let response = try await f.token(f.codeRequest(issued, verifier: verifier), as: .native)
        #expect(await f.accessTokenIsValid(response.accessToken))
        #expect(response.refreshToken != nil)
    }

    @Test("redirect_uri may be omitted at the token endpoint when the authorization request omitted it (RFC 6749 §4.1.3)")
    func redirectURIOmitted() async throws {
        let f = try TokenFixture()
        let issued = try await f.issueCode(to: .web, scope: ["profile"], redirectURIWasSent: false)
        let response = try await f.token([("grant_type", "authorization_code"), ("code", issued.code)], as: .web)
        #expect(await f.accessTokenIsValid(response.accessToken))
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let expected: OAuthError.Code
        /// Prepares the fixture and returns the token request and the client sending it.
        let request: @Sendable (TokenFixture) async throws -> (params: [(String, String)], client: TestClient)
    }

    static let failures: [Failure] = [
        Failure(testDescription: "an unknown code is invalid_grant (RFC 6749 §5.2)", expected: .invalidGrant) { f in
            let issued = try await f.issueCode(to: .web)
            var params = f.codeRequest(issued)
            params[1].1 = RandomText.bearerSecret()
            return (params, .web)
        },
        Failure(testDescription: "a missing code is invalid_request (RFC 6749 §4.1.3)", expected: .invalidRequest) { _ in
            ([("grant_type", "authorization_code"), ("redirect_uri", "https://rp.example/cb")], .web)
        },
        Failure(
            testDescription: "a code used after its 60 s lifetime is invalid_grant (RFC 6749 §4.1.2)",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .web)
            f.clock.advance(61)
            return (f.codeRequest(issued), .web)
        },
        Failure(testDescription: "a code presented at exactly its expiry instant is invalid_grant", expected: .invalidGrant) { f in
            let issued = try await f.issueCode(to: .web)
            f.clock.advance(60)
            return (f.codeRequest(issued), .web)
        },
        Failure(
            testDescription: "a redirect_uri different from the authorization request's is invalid_grant (RFC 6749 §4.1.3)",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .web)
            return (f.codeRequest(issued, redirectURI: "https://rp.example/cb/other"), .web)
        },
        Failure(
            testDescription: "a missing redirect_uri when the authorization request had one is invalid_grant (RFC 6749 §4.1.3)",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .web)
            return ([("grant_type", "authorization_code"), ("code", issued.code)], .web)
        },
        Failure(
            testDescription: "a redirect_uri sent at the token endpoint must match even if the request omitted it",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .web, scope: ["profile"], redirectURIWasSent: false)
            return (f.codeRequest(issued, redirectURI: "https://evil.example/cb"), .web)
        },
        Failure(
            testDescription: "a code_verifier that does not match the challenge is invalid_grant (RFC 7636 §4.6)",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .native, codeChallenge: challenge)
            return (f.codeRequest(issued, verifier: String(repeating: "x", count: 43)), .native)
        },
        Failure(
            testDescription: "a missing code_verifier for a code with a challenge is invalid_grant (RFC 7636 §4.6)",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .native, codeChallenge: challenge)
            return (f.codeRequest(issued), .native)
        },
        Failure(
            testDescription: "the challenge itself sent as verifier (plain) is invalid_grant (RFC 7636 §4.6)",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .web, codeChallenge: challenge)
            return (f.codeRequest(issued, verifier: challenge), .web)
        },
        Failure(
            testDescription: "a code_verifier for a code issued without a challenge is invalid_grant (PKCE downgrade, RFC 9700 §2.1.1)",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .web, codeChallenge: nil)
            return (f.codeRequest(issued, verifier: verifier), .web)
        },
        Failure(testDescription: "a code issued to another client is invalid_grant (RFC 6749 §4.1.3)", expected: .invalidGrant) { f in
            let issued = try await f.issueCode(to: .web)
            return (f.codeRequest(issued), .other)
        },
        Failure(
            testDescription: "a public client's code redeemed by a confidential client is invalid_grant",
            expected: .invalidGrant
        ) { f in
            let issued = try await f.issueCode(to: .native, codeChallenge: challenge)
            return (f.codeRequest(issued, redirectURI: "https://rp.example/cb", verifier: verifier), .web)
        },
        Failure(testDescription: "a code whose grant was revoked is invalid_grant", expected: .invalidGrant) { f in
            let issued = try await f.issueCode(to: .web)
            try await f.store.revokeGrant(id: issued.grant.id, at: f.clock.now)
            return (f.codeRequest(issued), .web)
        },
        Failure(testDescription: "a code of a user disabled since is invalid_grant", expected: .invalidGrant) { f in
            let issued = try await f.issueCode(to: .web)
            f.store.disableUser(f.user.id)
            return (f.codeRequest(issued), .web)
        },
        Failure(testDescription: "a wrong client secret is invalid_client (RFC 6749 §5.2)", expected: .invalidClient) { f in
            let issued = try await f.issueCode(to: .web)
            let impostor = TestClient(record: TestClient.web.client, secret: "not-the-secret")
            return (f.codeRequest(issued), impostor)
        },
    ]

    @Test("a code redemption that breaks a rule is refused", arguments: failures)
    func refused(_ row: Failure) async throws {
        let f = try TokenFixture()
        let (params, client) = try await row.request(f)
        let code = await oauthErrorCode { _ = try await f.token(params, as: client) }
        #expect(code == row.expected)
    }

    @Test("code replay is invalid_grant and revokes every token issued from the code (RFC 6749 §4.1.2, RFC 9700 §4.5)")
    func replayRevokes() async throws {
        let f = try TokenFixture()
        let issued = try await f.issueCode(to: .web)
        let first = try await f.token(f.codeRequest(issued), as: .web)
        #expect(await f.accessTokenIsValid(first.accessToken))

        let replay = await oauthErrorCode { _ = try await f.token(f.codeRequest(issued), as: .web) }
        #expect(replay == .invalidGrant)
        #expect(!(await f.accessTokenIsValid(first.accessToken)))
        let refresh = await oauthErrorCode { _ = try await f.refresh(first.refreshToken) }
        #expect(refresh == .invalidGrant)
        #expect(try await f.store.grant(id: issued.grant.id)?.revokedAt == f.clock.now)
        #expect(try await f.introspect(first.accessToken) == .inactive)
    }

    @Test("a refused redemption (wrong code_verifier) does not use the code up: the rightful one still succeeds once (RFC 6749 §5.2)")
    func refusedRedemptionKeepsCode() async throws {
        let f = try TokenFixture()
        let issued = try await f.issueCode(to: .native, codeChallenge: challenge)
        let wrong = await oauthErrorCode {
            _ = try await f.token(f.codeRequest(issued, verifier: String(repeating: "x", count: 43)), as: .native)
        }
        #expect(wrong == .invalidGrant)
        let tokens = try await f.token(f.codeRequest(issued, verifier: verifier), as: .native)
        #expect(!tokens.accessToken.isEmpty)
        let replay = await oauthErrorCode { _ = try await f.token(f.codeRequest(issued, verifier: verifier), as: .native) }
        #expect(replay == .invalidGrant)
    }
}
