import Foundation
import GatehouseCore
import GatehouseStoreTesting
import GatehouseCrypto
import Testing

/// `token` with its header replaced by `header` (JSON) and its signature replaced by `signature`.
func reassemble(_ token: String, header: String? = nil, payload: [UInt8]? = nil, signature: String? = nil) -> String {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    return [
        header.map { Base64URL.encode($0) } ?? parts[0], payload.map { Base64URL.encode($0) } ?? parts[1],
        signature ?? parts[2],
    ].joined(separator: ".")
}

@Suite("Access token validation (RFC 9068 §4, RFC 6750 §3.1)")
struct AccessTokenValidationTests {
    /// A user access token of `f` for `web`.
    static func accessToken(_ f: TokenFixture) async throws -> String {
        try await f.signIn().accessToken
    }

    static func kid(_ f: TokenFixture) -> String { f.keys.signing[.eddsa]!.kid }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// Returns the token to validate with `f`'s token service.
        let token: @Sendable (TokenFixture) async throws -> String
    }

    static let rejections: [Row] = [
        Row(testDescription: "a token of another tenant (its own keys, issuer and tid) is invalid_token") { _ in
            try await TokenFixture(slug: "globex").signIn().accessToken
        },
        Row(testDescription: "a token signed by a key outside the tenant's key ring is invalid_token") { f in
            let foreign = TokenService(
                tenant: f.tenant, issuer: f.issuer, keys: try makeKeyRing([SigningKey.generate(.eddsa)]),
                clock: f.clock)
            return try foreign.mintAccessToken(
                client: TestClient.web.client, subject: f.user.id.rawValue, scope: ["openid"],
                grant: nil
            ).token
        },
        Row(testDescription: "a token carrying this tenant's kid but signed by another key is invalid_token") { f in
            let payload = try await Self.accessToken(f).split(separator: ".")[1]
            return try JWS.sign(
                payload: Base64URL.decode(String(payload))!,
                header: JWSHeader(alg: "EdDSA", kid: Self.kid(f), typ: "at+jwt"),
                key: SigningKey.generate(.eddsa))
        },
        Row(testDescription: "a token with another issuer, signed by this tenant's key, is invalid_token (RFC 9068 §4 step 3)") { f in
            let other = TokenService(tenant: f.tenant, issuer: "https://id.example.test/t/globex", keys: f.keys, clock: f.clock)
            return try other.mintAccessToken(
                client: TestClient.web.client, subject: f.user.id.rawValue, scope: ["openid"],
                grant: nil
            ).token
        },
        Row(testDescription: "a token with another tenant id, signed by this tenant's key, is invalid_token") { f in
            let otherTenant = Tenant(
                id: .generate(at: f.clock.now), slug: f.tenant.slug, name: "other", environment: .test,
                settings: TenantSettings(), createdAt: f.clock.now)
            let other = TokenService(tenant: otherTenant, issuer: f.issuer, keys: f.keys, clock: f.clock)
            return try other.mintAccessToken(
                client: TestClient.web.client, subject: f.user.id.rawValue, scope: ["openid"],
                grant: nil
            ).token
        },
        Row(testDescription: "an expired token is invalid_token (RFC 9068 §4 step 7)") { f in
            let token = try await Self.accessToken(f)
            f.clock.advance(TimeInterval(f.tenant.settings.accessTokenTTL))
            return token
        },
        Row(testDescription: "an unsigned token (alg none) is invalid_token (RFC 8725 §3.1)") { f in
            reassemble(
                try await Self.accessToken(f), header: #"{"alg":"none","kid":"\#(Self.kid(f))","typ":"at+jwt"}"#,
                signature: "")
        },
        Row(testDescription: "a token whose alg is changed to another algorithm is invalid_token (RFC 8725 §2.1)") { f in
            reassemble(try await Self.accessToken(f), header: #"{"alg":"ES256","kid":"\#(Self.kid(f))","typ":"at+jwt"}"#)
        },
        Row(testDescription: "a token with a tampered payload is invalid_token") { f in
            let token = try await Self.accessToken(f)
            var claims = try decodeJWT(token, as: AccessTokenClaims.self).claims
            claims.scope = "openid profile email admin"
            return reassemble(token, payload: Array(try JSONEncoder().encode(claims)))
        },
        Row(testDescription: "a token with its subject swapped is invalid_token") { f in
            let token = try await Self.accessToken(f)
            var claims = try decodeJWT(token, as: AccessTokenClaims.self).claims
            claims.sub = UserID.generate(at: f.clock.now).rawValue
            return reassemble(token, payload: Array(try JSONEncoder().encode(claims)))
        },
        Row(testDescription: "a token with an unknown kid is invalid_token") { f in
            reassemble(try await Self.accessToken(f), header: #"{"alg":"EdDSA","kid":"unknown","typ":"at+jwt"}"#)
        },
        Row(testDescription: "an ID token (typ JWT) is not an access token (RFC 9068 §4 step 1)") { f in
            try #require(try await f.signIn().idToken)
        },
        Row(testDescription: "a JWT of this tenant's key without typ is not an access token (RFC 9068 §2.1)") { f in
            let payload = try await Self.accessToken(f).split(separator: ".")[1]
            let key = try #require(f.keys.signing[.eddsa]?.signingKey)
            return try JWS.sign(
                payload: Base64URL.decode(String(payload))!, header: JWSHeader(alg: "EdDSA", kid: Self.kid(f)),
                key: key)
        },
        Row(testDescription: "a revoked token is invalid_token (RFC 7009 §2)") { f in
            let token = try await Self.accessToken(f)
            try await f.revoke(token)
            return token
        },
        Row(testDescription: "a token of a revoked grant is invalid_token") { f in
            let token = try await Self.accessToken(f)
            let grantID = try #require(try decodeJWT(token, as: AccessTokenClaims.self).claims.grantID)
            try await f.store.revokeGrant(id: grantID, at: f.clock.now)
            return token
        },
        Row(testDescription: "an opaque string is invalid_token") { _ in "2YotnFZFEjr1zCsicMWpAA" },
        Row(testDescription: "three empty segments are invalid_token") { _ in ".." },
        Row(testDescription: "the empty string is invalid_token") { _ in "" },
        Row(testDescription: "a token longer than 16 KiB is invalid_token") { f in
            reassemble(try await Self.accessToken(f), payload: Array(String(repeating: " ", count: 16384).utf8))
        },
    ]

    @Test("validateAccessToken rejects what this tenant did not issue for this purpose", arguments: rejections)
    func rejects(_ row: Row) async throws {
        let f = try TokenFixture()
        let token = try await row.token(f)
        let code = await oauthErrorCode { _ = try await f.tokens.validateAccessToken(token, store: f.store) }
        #expect(code == .invalidToken)
    }

    @Test("a token is valid until the second before its exp (RFC 7519 §4.1.4)")
    func expiryBoundary() async throws {
        let f = try TokenFixture()
        let token = try await Self.accessToken(f)
        f.clock.advance(TimeInterval(f.tenant.settings.accessTokenTTL - 1))
        #expect(await f.accessTokenIsValid(token))
        f.clock.advance(1)
        #expect(!(await f.accessTokenIsValid(token)))
    }

    @Test("a key published but not signing (next or retired) still verifies the tokens it signed (docs/contract.md A7)")
    func publishedKeyVerifies() async throws {
        let f = try TokenFixture()
        let token = try await Self.accessToken(f)
        let old = try #require(f.keys.signing[.eddsa])
        let replacement = try makeKeyRing([SigningKey.generate(.eddsa)]).signing[.eddsa]!
        let retired = KeyRing.Key(kid: old.kid, algorithm: old.algorithm, signingKey: nil, verifier: old.verifier, jwk: old.jwk)
        let rotated = TokenService(
            tenant: f.tenant, issuer: f.issuer, keys: KeyRing(keys: [replacement, retired]),
            clock: f.clock)
        #expect(try await rotated.validateAccessToken(token, store: f.store).sub == f.user.id.rawValue)
        // New tokens are signed by the replacement.
        let fresh = try rotated.mintAccessToken(client: TestClient.web.client, subject: "s", scope: [], grant: nil).token
        #expect(try JWS.parse(fresh).header.kid == replacement.kid)
        #expect(rotated.keys.jwks.count == 2)
    }

    @Test("a tenant without an active key of the algorithm cannot sign: server_error")
    func noSigningKey() throws {
        let f = try TokenFixture()
        #expect(throws: OAuthError.serverError("")) {
            try f.tokens.mintAccessToken(client: TestClient.web.client, subject: "s", scope: [], grant: nil, algorithm: .rs256)
        }
    }
}

@Suite("Token introspection (RFC 7662) and revocation (RFC 7009)")
struct IntrospectionTests {
    @Test("a client's own access token is active, with its claims (RFC 7662 §2.2)")
    func ownAccessToken() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn()
        let claims = try decodeJWT(response.accessToken, as: AccessTokenClaims.self).claims
        let introspection = try await f.introspect(response.accessToken)
        #expect(
            introspection
                == IntrospectionResponse(
                    active: true, scope: claims.scope, clientID: TestClient.web.clientID, sub: f.user.id.rawValue, exp: claims.exp,
                    iat: claims.iat, iss: f.issuer, aud: TestClient.web.clientID, jti: claims.jti, tokenType: "access_token",
                    sid: f.session.id.rawValue, tid: f.tenant.id.rawValue))
    }

    @Test("a client's own refresh token is active (RFC 7662 §2.2)")
    func ownRefreshToken() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn()
        let introspection = try await f.introspect(try #require(response.refreshToken))
        #expect(introspection.active)
        #expect(introspection.tokenType == "refresh_token")
        #expect(introspection.clientID == TestClient.web.clientID)
        #expect(introspection.sub == f.user.id.rawValue)
        #expect(introspection.iss == f.issuer)
    }

    struct Inactive: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// Returns the token to introspect as `web`.
        let token: @Sendable (TokenFixture) async throws -> String
    }

    @Test(
        "anything but a live token of the calling client is {\"active\": false} (RFC 7662 §2.2)",
        arguments: [
            Inactive(testDescription: "another client's access token") { f in try await f.signIn(.other).accessToken },
            Inactive(testDescription: "another client's refresh token") { f in try #require(try await f.signIn(.other).refreshToken) },
            Inactive(testDescription: "another tenant's access token for a same-named client") { _ in
                try await TokenFixture(slug: "globex").signIn().accessToken
            },
            Inactive(testDescription: "a garbage string") { _ in "garbage" },
            Inactive(testDescription: "a garbage JWT-shaped string") { _ in "a.b.c" },
            Inactive(testDescription: "an access token after its revocation (RFC 7009 §2)") { f in
                let token = try await f.signIn().accessToken
                try await f.revoke(token)
                return token
            },
            Inactive(testDescription: "an expired access token") { f in
                let token = try await f.signIn().accessToken
                f.clock.advance(900)
                return token
            },
            Inactive(testDescription: "a rotated refresh token") { f in
                let token = try #require(try await f.signIn().refreshToken)
                _ = try await f.refresh(token)
                return token
            },
            Inactive(testDescription: "a refresh token of an ended session") { f in
                let token = try #require(try await f.signIn().refreshToken)
                try await f.store.endSession(id: f.session.id, at: f.clock.now)
                return token
            },
            Inactive(testDescription: "an ID token") { f in try #require(try await f.signIn().idToken) },
        ])
    func inactive(_ row: Inactive) async throws {
        let f = try TokenFixture()
        let token = try await row.token(f)
        #expect(try await f.introspect(token) == .inactive)
    }

    @Test("introspection requires client authentication: invalid_client (RFC 7662 §2.1)")
    func requiresAuthentication() async throws {
        let f = try TokenFixture()
        let token = try await f.signIn().accessToken
        let code = await oauthErrorCode {
            _ = try await TokenIntrospection.introspect(
                parameters: form([("token", token)]),
                authorization: basicAuthorization(TestClient.web.clientID, "wrong"),
                context: f.context)
        }
        #expect(code == .invalidClient)
        let missing = await oauthErrorCode {
            _ = try await TokenIntrospection.introspect(
                parameters: form([]),
                authorization: basicAuthorization(
                    TestClient.web.clientID,
                    TestClient.web.secret!),
                context: f.context)
        }
        #expect(missing == .invalidRequest)
    }

    @Test("revoking a refresh token revokes the grant's access tokens (RFC 7009 §2.1)")
    func refreshRevocationCascades() async throws {
        let f = try TokenFixture()
        let first = try await f.signIn()
        let second = try await f.refresh(first.refreshToken)
        try await f.revoke(try #require(second.refreshToken))
        #expect(!(await f.accessTokenIsValid(first.accessToken)))
        #expect(!(await f.accessTokenIsValid(second.accessToken)))
        #expect(try await f.introspect(second.accessToken) == .inactive)
        let refresh = await oauthErrorCode { _ = try await f.refresh(second.refreshToken) }
        #expect(refresh == .invalidGrant)
    }

    @Test("revoking an access token leaves the rest of the grant working (RFC 7009 §2.1)")
    func accessRevocationIsNarrow() async throws {
        let f = try TokenFixture()
        let first = try await f.signIn()
        try await f.revoke(first.accessToken)
        #expect(!(await f.accessTokenIsValid(first.accessToken)))
        let refreshed = try await f.refresh(first.refreshToken)
        #expect(await f.accessTokenIsValid(refreshed.accessToken))
    }

    @Test("another client's revocation request leaves the token untouched and answers like success (RFC 7009 §2.2)")
    func foreignRevocation() async throws {
        let f = try TokenFixture()
        let response = try await f.signIn()
        try await f.revoke(response.accessToken, as: .other)
        try await f.revoke(try #require(response.refreshToken), as: .other)
        #expect(await f.accessTokenIsValid(response.accessToken))
        _ = try await f.refresh(response.refreshToken)
    }

    @Test("revoking an unknown token answers like success (RFC 7009 §2.2)")
    func unknownRevocation() async throws {
        let f = try TokenFixture()
        try await f.revoke("not-a-token")
        try await f.revoke("a.b.c")
    }
}
