import Foundation
import GatehouseCore
import GatehouseStoreTesting
import GatehouseCrypto
import Testing

@Suite("Client credentials grant (RFC 6749 §4.4)")
struct ClientCredentialsGrantTests {
    @Test("a confidential client gets an access token about itself: sub = client_id, no refresh or ID token (RFC 6749 §4.4.3, RFC 9068 §2.2)")
    func success() async throws {
        let f = try TokenFixture()
        let response = try await f.token([("grant_type", "client_credentials")], as: .machine)
        #expect(response.refreshToken == nil)
        #expect(response.idToken == nil)
        // Without a scope parameter: every permitted scope that is not a user scope.
        #expect(response.scope == "api.read api.write")
        let claims = try await f.tokens.validateAccessToken(response.accessToken, store: f.store)
        #expect(claims.sub == TestClient.machine.clientID)
        #expect(claims.clientID == TestClient.machine.clientID)
        #expect(claims.aud == TestClient.machine.clientID)
        #expect(claims.sid == nil)
        #expect(claims.authTime == nil)
        #expect(claims.grantID == nil)
        #expect(claims.tid == f.tenant.id.rawValue)
    }

    @Test("a narrower scope is granted as requested")
    func narrower() async throws {
        let f = try TokenFixture()
        let response = try await f.token([("grant_type", "client_credentials"), ("scope", "api.read")], as: .machine)
        #expect(response.scope == "api.read")
    }

    @Test(
        "user scopes, unknown scopes and malformed scopes are invalid_scope (RFC 6749 §5.2)",
        arguments: ["openid", "api.read openid", "profile", "offline_access", "api.admin", "api\"read"])
    func refusedScope(_ scope: String) async throws {
        let f = try TokenFixture()
        let code = await oauthErrorCode {
            _ = try await f.token([("grant_type", "client_credentials"), ("scope", scope)], as: .machine)
        }
        #expect(code == .invalidScope)
    }

    @Test("admin scopes are granted through client credentials to a client allowed them (docs/contract.md A4)")
    func adminScopes() async throws {
        let f = try TokenFixture()
        let admin = TestClient(
            "pk_test_admin", type: .confidential, secret: "sk_test_admin-secret", grants: [.clientCredentials],
            allowedScopes: [AdminScope.clientsRead, AdminScope.usersRead])
        f.store.insertClient(admin.client)
        let all = try await f.token([("grant_type", "client_credentials")], as: admin)
        #expect(all.scope == "clients:read users:read")
        let one = try await f.token([("grant_type", "client_credentials"), ("scope", "users:read")], as: admin)
        #expect(try await f.tokens.validateAccessToken(one.accessToken, store: f.store).scopeSet == [AdminScope.usersRead])
        let other = await oauthErrorCode {
            _ = try await f.token([("grant_type", "client_credentials"), ("scope", AdminScope.keysWrite)], as: admin)
        }
        #expect(other == .invalidScope)
    }

    @Test("a public client may not use client_credentials: unauthorized_client (RFC 6749 §4.4)")
    func publicClient() async throws {
        let f = try TokenFixture()
        let code = await oauthErrorCode { _ = try await f.token([("grant_type", "client_credentials")], as: .publicMachine) }
        #expect(code == .unauthorizedClient)
    }
}

@Suite("Token endpoint phases (RFC 6749 §3.2, §5.2)")
struct TokenEndpointTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let params: [(String, String)]
        let client: TestClient
        let expected: OAuthError.Code
    }

    @Test(
        "every request passes duplicate rejection, client authentication, dispatch and grant registration",
        arguments: [
            Row(
                testDescription: "an unsupported grant_type is unsupported_grant_type (RFC 6749 §5.2)",
                params: [("grant_type", "password"), ("username", "alice"), ("password", "pw")], client: .web,
                expected: .unsupportedGrantType),
            Row(
                testDescription: "the implicit-era grant name 'token' is unsupported_grant_type",
                params: [("grant_type", "token")], client: .web, expected: .unsupportedGrantType),
            Row(
                testDescription: "the device code grant is unsupported_grant_type",
                params: [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", "x")], client: .web,
                expected: .unsupportedGrantType),
            Row(
                testDescription: "a missing grant_type is invalid_request (RFC 6749 §4.1.3)", params: [("code", "x")],
                client: .web, expected: .invalidRequest),
            Row(
                testDescription: "a client not registered for authorization_code is unauthorized_client (RFC 6749 §5.2)",
                params: [("grant_type", "authorization_code"), ("code", "x")], client: .machine, expected: .unauthorizedClient),
            Row(
                testDescription: "a client not registered for client_credentials is unauthorized_client (RFC 6749 §5.2)",
                params: [("grant_type", "client_credentials")], client: .web, expected: .unauthorizedClient),
            Row(
                testDescription: "a client not registered for refresh_token is unauthorized_client (RFC 6749 §5.2)",
                params: [("grant_type", "refresh_token"), ("refresh_token", "x")], client: .codeOnly,
                expected: .unauthorizedClient),
            Row(
                testDescription: "a duplicated parameter is invalid_request (RFC 6749 §3.2)",
                params: [("grant_type", "authorization_code"), ("code", "a"), ("code", "b")], client: .web,
                expected: .invalidRequest),
            Row(
                testDescription: "a duplicated grant_type is invalid_request even when both agree (RFC 6749 §3.2)",
                params: [("grant_type", "client_credentials"), ("grant_type", "client_credentials")], client: .machine,
                expected: .invalidRequest),
            Row(
                testDescription: "client authentication comes before dispatch: a wrong secret is invalid_client",
                params: [("grant_type", "password")], client: TestClient(record: TestClient.web.client, secret: "wrong"),
                expected: .invalidClient),
        ])
    func phases(_ row: Row) async throws {
        let f = try TokenFixture()
        let code = await oauthErrorCode { _ = try await f.token(row.params, as: row.client) }
        #expect(code == row.expected)
    }

    @Test("the grant table maps each supported grant_type to its handler (docs/architecture.md H6)")
    func grantTable() {
        #expect(Set(TokenEndpoint.grants.keys) == Set(GrantType.allCases.map(\.rawValue)))
        for (name, handler) in TokenEndpoint.grants {
            #expect(handler.grantType.rawValue == name)
        }
    }

    @Test("the token response serializes with RFC 6749 §5.1 member names")
    func responseJSON() throws {
        let response = TokenResponse(accessToken: "at", expiresIn: 900, refreshToken: "rt", idToken: "it", scope: "openid")
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(response)) as? [String: Any])
        #expect(Set(json.keys) == ["access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope"])
        #expect(json["token_type"] as? String == "Bearer")
        #expect(json["expires_in"] as? Int == 900)
    }
}
