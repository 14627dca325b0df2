import Foundation
import GatehouseCore
import GatehouseStoreTesting
import GatehouseCrypto
import Testing

@Suite("RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2–§3)")
struct LogoutTests {
    static func validate(_ f: TokenFixture, _ params: [(String, String)]) async throws -> LogoutRequest {
        try await LogoutEndpoint.validate(form(params), tokens: f.tokens) { try await f.store.client(clientID: $0) }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// nil when the request is accepted.
        let expected: OAuthError.Code?
        /// Builds the logout request's parameters.
        let params: @Sendable (TokenFixture) async throws -> [(String, String)]
    }

    static func idToken(_ f: TokenFixture, _ client: TestClient = .web) async throws -> String {
        try #require(try await f.signIn(client).idToken)
    }

    static let rows: [Row] = [
        Row(testDescription: "a logout without parameters is accepted (no redirect)", expected: nil) { _ in [] },
        Row(testDescription: "an id_token_hint of this issuer is accepted", expected: nil) { f in
            [("id_token_hint", try await idToken(f))]
        },
        Row(testDescription: "an expired id_token_hint is accepted (RP-Initiated Logout §2)", expected: nil) { f in
            let hint = try await idToken(f)
            f.clock.advance(TimeInterval(f.tenant.settings.idTokenTTL) * 24)
            return [("id_token_hint", hint)]
        },
        Row(testDescription: "an id_token_hint of another tenant is invalid_request", expected: .invalidRequest) { _ in
            [("id_token_hint", try await idToken(TokenFixture(slug: "globex")))]
        },
        Row(testDescription: "an access token is not an id_token_hint", expected: .invalidRequest) { f in
            [("id_token_hint", try await f.signIn().accessToken)]
        },
        Row(testDescription: "a tampered id_token_hint is invalid_request", expected: .invalidRequest) { f in
            let hint = try await idToken(f)
            var claims = try decodeJWT(hint, as: IDTokenClaims.self).claims
            claims.sub = UserID.generate(at: f.clock.now).rawValue
            return [("id_token_hint", reassemble(hint, payload: Array(try JSONEncoder().encode(claims))))]
        },
        Row(testDescription: "a garbage id_token_hint is invalid_request", expected: .invalidRequest) { _ in
            [("id_token_hint", "garbage")]
        },
        Row(testDescription: "client_id equal to the hint's aud is accepted", expected: nil) { f in
            [("id_token_hint", try await idToken(f)), ("client_id", TestClient.web.clientID)]
        },
        Row(
            testDescription: "client_id different from the hint's aud is invalid_request (RP-Initiated Logout §2)",
            expected: .invalidRequest
        ) { f in
            [("id_token_hint", try await idToken(f)), ("client_id", TestClient.other.clientID)]
        },
        Row(testDescription: "an unknown client_id is invalid_request", expected: .invalidRequest) { _ in
            [("client_id", "pk_test_nobody")]
        },
        Row(
            testDescription: "a registered post_logout_redirect_uri with the hint is accepted (RP-Initiated Logout §3)",
            expected: nil
        ) { f in
            [("id_token_hint", try await idToken(f)), ("post_logout_redirect_uri", "https://rp.example/logged-out")]
        },
        Row(testDescription: "a registered post_logout_redirect_uri with client_id is accepted", expected: nil) { _ in
            [("client_id", TestClient.web.clientID), ("post_logout_redirect_uri", "https://rp.example/logged-out")]
        },
        Row(
            testDescription: "an unregistered post_logout_redirect_uri is invalid_request (RP-Initiated Logout §3)",
            expected: .invalidRequest
        ) { f in
            [("id_token_hint", try await idToken(f)), ("post_logout_redirect_uri", "https://evil.example/")]
        },
        Row(
            testDescription: "a near-miss post_logout_redirect_uri is invalid_request (exact match)",
            expected: .invalidRequest
        ) { f in
            [("id_token_hint", try await idToken(f)), ("post_logout_redirect_uri", "https://rp.example/logged-out/")]
        },
        Row(testDescription: "another client's post_logout_redirect_uri is invalid_request", expected: .invalidRequest) { f in
            [("id_token_hint", try await idToken(f)), ("post_logout_redirect_uri", "https://other.example/logged-out")]
        },
        Row(testDescription: "a post_logout_redirect_uri without client_id or hint is invalid_request", expected: .invalidRequest) { _ in
            [("post_logout_redirect_uri", "https://rp.example/logged-out")]
        },
        Row(testDescription: "a duplicated parameter is invalid_request", expected: .invalidRequest) { _ in
            [("client_id", TestClient.web.clientID), ("client_id", TestClient.other.clientID)]
        },
        Row(testDescription: "a state longer than 2048 bytes is invalid_request", expected: .invalidRequest) { _ in
            [("state", String(repeating: "s", count: 2049))]
        },
    ]

    @Test("logout requests are validated before anything is redirected", arguments: rows)
    func validation(_ row: Row) async throws {
        let f = try TokenFixture()
        let params = try await row.params(f)
        let code = await oauthErrorCode { _ = try await Self.validate(f, params) }
        #expect(code == row.expected)
    }

    @Test("a valid hint names its client and its subject")
    func hintResolvesClient() async throws {
        let f = try TokenFixture()
        let request = try await Self.validate(f, [("id_token_hint", try await Self.idToken(f))])
        #expect(request.client?.clientID == TestClient.web.clientID)
        #expect(request.hint?.sub == f.user.id.rawValue)
        #expect(request.hint?.sid == f.session.id.rawValue)
        #expect(request.redirectTarget == nil)
    }

    struct Target: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let uri: String
        let state: String?
        let expected: String
    }

    @Test(
        "the redirect target is the validated URI carrying state (RP-Initiated Logout §3)",
        arguments: [
            Target(
                testDescription: "state is appended as a query", uri: "https://rp.example/logged-out", state: "af0ifjsldkj",
                expected: "https://rp.example/logged-out?state=af0ifjsldkj"),
            Target(
                testDescription: "an existing query is kept", uri: "https://rp.example/bye?from=op", state: "a b&c",
                expected: "https://rp.example/bye?from=op&state=a%20b%26c"),
            Target(
                testDescription: "without state the URI is used as registered", uri: "https://rp.example/logged-out", state: nil,
                expected: "https://rp.example/logged-out"),
        ])
    func redirectTarget(_ row: Target) async throws {
        let f = try TokenFixture()
        var params = [("id_token_hint", try await Self.idToken(f)), ("post_logout_redirect_uri", row.uri)]
        if let state = row.state { params.append(("state", state)) }
        let request = try await Self.validate(f, params)
        #expect(request.postLogoutRedirectURI == row.uri)
        #expect(request.redirectTarget == row.expected)
    }
}

@Suite("UserInfo endpoint (OIDC Core §5.3)")
struct UserinfoTests {
    @Test(
        "UserInfo returns sub and the claims the token's scopes release (OIDC Core §5.3.2, §5.4)",
        arguments: [
            (ScopeSet(["openid"]), false, false),
            (ScopeSet(["openid", "email"]), true, false),
            (ScopeSet(["openid", "profile"]), false, true),
            (ScopeSet(["openid", "profile", "email"]), true, true),
        ])
    func claimsByScope(_ scope: ScopeSet, _ email: Bool, _ profile: Bool) async throws {
        let f = try TokenFixture()
        let token = try await f.signIn(scope: scope).accessToken
        let response = try await UserinfoEndpoint.handle(accessToken: token, tokens: f.tokens, store: f.store)
        #expect(response.sub == f.user.id.rawValue)
        #expect(response.email == (email ? "alice@example.com" : nil))
        #expect(response.emailVerified == (email ? true : nil))
        #expect(response.name == (profile ? "Alice" : nil))
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let expected: OAuthError.Code
        let token: @Sendable (TokenFixture) async throws -> String
    }

    @Test(
        "UserInfo refuses tokens that do not identify an active user (RFC 6750 §3.1, OIDC Core §5.3.3)",
        arguments: [
            Row(testDescription: "a token without openid is insufficient_scope (OIDC Core §5.3.1)", expected: .insufficientScope) { f in
                try await f.signIn(scope: ["profile"]).accessToken
            },
            Row(testDescription: "a client_credentials token is insufficient_scope", expected: .insufficientScope) { f in
                try await f.token([("grant_type", "client_credentials")], as: .machine).accessToken
            },
            Row(testDescription: "a token of a disabled user is invalid_token", expected: .invalidToken) { f in
                let token = try await f.signIn().accessToken
                f.store.disableUser(f.user.id)
                return token
            },
            Row(testDescription: "a revoked token is invalid_token", expected: .invalidToken) { f in
                let token = try await f.signIn().accessToken
                try await f.revoke(token)
                return token
            },
            Row(testDescription: "an ID token is invalid_token", expected: .invalidToken) { f in
                try #require(try await f.signIn().idToken)
            },
        ])
    func refused(_ row: Row) async throws {
        let f = try TokenFixture()
        let token = try await row.token(f)
        let code = await oauthErrorCode { _ = try await UserinfoEndpoint.handle(accessToken: token, tokens: f.tokens, store: f.store) }
        #expect(code == row.expected)
    }
}

@Suite("Discovery metadata (OIDC Discovery 1.0 §3, RFC 8414 §2)")
struct DiscoveryTests {
    static let issuer = "https://id.example.test/t/acme"

    @Test("every endpoint lives under the issuer and the metadata advertises only what is implemented")
    func metadata() {
        let metadata = ProviderMetadata(issuer: Self.issuer, signingAlgorithms: ["EdDSA", "ES256"])
        #expect(metadata.issuer == Self.issuer)
        for endpoint in [
            metadata.authorizationEndpoint, metadata.tokenEndpoint, metadata.userinfoEndpoint, metadata.jwksURI,
            metadata.revocationEndpoint, metadata.introspectionEndpoint, metadata.endSessionEndpoint,
        ] {
            #expect(endpoint.hasPrefix(Self.issuer + "/"))
        }
        #expect(metadata.responseTypesSupported == ["code"])
        #expect(metadata.codeChallengeMethodsSupported == ["S256"])
        #expect(
            Set(metadata.grantTypesSupported) == [
                "authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange",
            ])
        #expect(metadata.idTokenSigningAlgValuesSupported == ["EdDSA", "ES256"])
        #expect(metadata.authorizationResponseIssParameterSupported)
        // RFC 9101: request objects by value, never fetched by reference.
        #expect(metadata.requestParameterSupported)
        #expect(!metadata.requestURIParameterSupported)
        #expect(metadata.requestObjectSigningAlgValuesSupported == ["EdDSA", "ES256", "RS256", "HS256"])
        #expect(metadata.scopesSupported.contains("openid"))
        #expect(
            Set(metadata.tokenEndpointAuthMethodsSupported) == [
                "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
            ])
        for algorithms in [
            metadata.tokenEndpointAuthSigningAlgValuesSupported, metadata.introspectionEndpointAuthSigningAlgValuesSupported,
            metadata.revocationEndpointAuthSigningAlgValuesSupported,
        ] {
            #expect(Set(algorithms) == ["RS256", "ES256", "EdDSA", "HS256"])
        }
        #expect(metadata.subjectTypesSupported == ["public"])
    }

    @Test("the JSON has every REQUIRED member under its registered name (OIDC Discovery 1.0 §3)")
    func requiredMembers() throws {
        let data = try JSONEncoder().encode(ProviderMetadata(issuer: Self.issuer, signingAlgorithms: ["EdDSA"]))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for member in [
            "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
            "subject_types_supported", "id_token_signing_alg_values_supported", "userinfo_endpoint",
            "end_session_endpoint", "authorization_response_iss_parameter_supported",
            "code_challenge_methods_supported",
        ] {
            #expect(json[member] != nil, "missing \(member)")
        }
    }
}
