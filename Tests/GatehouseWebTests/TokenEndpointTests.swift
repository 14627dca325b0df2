import Foundation
import GatehouseCore
import HTTPTypes
import HummingbirdTesting
import Testing

/// The token endpoint's transport rules (RFC 6749 §3.2, §5.1, §5.2).
@Suite("Web: token endpoint")
struct TokenEndpointTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let rule: String
        let status: HTTPResponse.Status
        let error: String
        /// Sends the request for a registered confidential client.
        let send: @Sendable (WebHarness, WebHarness.RegisteredClient) async throws -> TestResponse
        var testDescription: String { rule }
    }

    static let clientCredentials = [("grant_type", "client_credentials")]

    static let rows: [Row] = [
        Row(
            rule: "parameters in the query string are refused even with a form body (RFC 6749 §3.2)", status: .badRequest,
            error: "invalid_request"
        ) { web, client in
            try await web.postForm(
                "/t/default/token?grant_type=client_credentials", clientCredentials,
                headers: [.authorization: basicAuthorization(client)])
        },
        Row(
            rule: "a JSON body is refused: the body is application/x-www-form-urlencoded", status: .badRequest,
            error: "invalid_request"
        ) { web, client in
            try await web.send(
                .post, "/t/default/token",
                headers: [.authorization: basicAuthorization(client), .contentType: "application/json"],
                body: #"{"grant_type":"client_credentials"}"#)
        },
        Row(rule: "a body without a content type is refused", status: .badRequest, error: "invalid_request") { web, client in
            try await web.send(
                .post, "/t/default/token", headers: [.authorization: basicAuthorization(client)],
                body: "grant_type=client_credentials")
        },
        Row(rule: "a parameter included twice is refused (RFC 6749 §3.1)", status: .badRequest, error: "invalid_request") { web, client in
            try await web.postForm(
                "/t/default/token", [("grant_type", "client_credentials"), ("grant_type", "client_credentials")],
                headers: [.authorization: basicAuthorization(client)])
        },
        Row(rule: "an unknown client is invalid_client (RFC 6749 §5.2)", status: .unauthorized, error: "invalid_client") { web, _ in
            try await web.postForm("/t/default/token", clientCredentials + [("client_id", "pk_dev_unknown"), ("client_secret", "sk_dev_x")])
        },
        Row(rule: "a wrong secret is invalid_client", status: .unauthorized, error: "invalid_client") { web, client in
            let wrong = WebHarness.RegisteredClient(clientID: client.clientID, secret: "sk_dev_wrong", redirectURI: client.redirectURI)
            return try await web.postForm("/t/default/token", clientCredentials, headers: [.authorization: basicAuthorization(wrong)])
        },
        Row(rule: "a confidential client without credentials is invalid_client", status: .unauthorized, error: "invalid_client") { web, client in
            try await web.postForm("/t/default/token", clientCredentials + [("client_id", client.clientID)])
        },
        Row(rule: "two authentication methods at once are refused (RFC 6749 §2.3)", status: .badRequest, error: "invalid_request") { web, client in
            try await web.postForm(
                "/t/default/token", clientCredentials + [("client_secret", client.secret ?? "")],
                headers: [.authorization: basicAuthorization(client)])
        },
        Row(rule: "an unknown grant_type is unsupported_grant_type", status: .badRequest, error: "unsupported_grant_type") { web, client in
            try await web.postForm("/t/default/token", [("grant_type", "password")], headers: [.authorization: basicAuthorization(client)])
        },
        Row(rule: "a code that was never issued is invalid_grant", status: .badRequest, error: "invalid_grant") { web, client in
            try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "authorization_code"), ("code", "made-up"),
                    ("redirect_uri", client.redirectURI), ("code_verifier", PKCEPair().verifier),
                ],
                headers: [.authorization: basicAuthorization(client)])
        },
        Row(rule: "GET is 405 with Allow: POST (RFC 6749 §3.2)", status: .methodNotAllowed, error: "invalid_request") { web, _ in
            let response = try await web.get("/t/default/token?grant_type=client_credentials")
            #expect(response.headers[.allow] == "POST")
            return response
        },
    ]

    @Test("token endpoint errors: status, error code, no-store", arguments: rows)
    func errors(_ row: Row) async throws {
        try await WebHarness.run { web in
            let client = try await web.createClient(type: "confidential")
            let response = try await row.send(web, client)
            #expect(response.status == row.status, "\(response.text)")
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try response.jsonObject()["error"] as? String == row.error)
            if row.status == .unauthorized {
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic realm=") == true, "RFC 6749 §5.2: 401 carries WWW-Authenticate")
            }
        }
    }

    @Test("a successful client_credentials request is 200 with Cache-Control: no-store (RFC 6749 §5.1)")
    func successIsNoStore() async throws {
        try await WebHarness.run { web in
            let created = try await web.admin(
                .post, "/tenants/default/clients",
                json: """
                    {"name":"Backend","type":"confidential","grant_types":["client_credentials"]}
                    """)
            #expect(created.status == .created, "\(created.text)")
            let object = try created.jsonObject()
            let client = WebHarness.RegisteredClient(
                clientID: try #require(object["client_id"] as? String),
                secret: object["client_secret"] as? String, redirectURI: "")
            let response = try await web.postForm(
                "/t/default/token", [("grant_type", "client_credentials")],
                headers: [.authorization: basicAuthorization(client)])
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(try response.jsonObject()["access_token"] is String)
            // client_secret_post works too.
            let post = try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "client_credentials"), ("client_id", client.clientID),
                    ("client_secret", client.secret ?? ""),
                ])
            #expect(post.status == .ok, "\(post.text)")
        }
    }

    @Test("a client of another tenant is unknown at this tenant's token endpoint")
    func crossTenantClient() async throws {
        try await WebHarness.run { web in
            _ = try await web.admin(.post, "/tenants", json: #"{"slug":"other","name":"Other","environment":"dev"}"#)
            let foreign = try await web.createClient(tenant: "other", type: "confidential")
            let response = try await web.postForm(
                "/t/default/token", [("grant_type", "client_credentials")],
                headers: [.authorization: basicAuthorization(foreign)])
            #expect(response.status == .unauthorized)
            #expect(try response.jsonObject()["error"] as? String == "invalid_client")
        }
    }
}

/// UserInfo's bearer challenges (RFC 6750 §3, OIDC Core §5.3).
@Suite("Web: userinfo")
struct UserinfoTests {
    @Test("without a token: 401 with a Bearer realm challenge and a DPoP one, no error code (RFC 6750 §3.1, RFC 9449 §7.1)")
    func noToken() async throws {
        try await WebHarness.run { web in
            for method in [HTTPRequest.Method.get, .post] {
                let response = try await web.send(method, "/t/default/userinfo")
                #expect(response.status == .unauthorized)
                let challenges = response.headers[values: .wwwAuthenticate]
                #expect(challenges == ["Bearer realm=\"\(WebHarness.issuer)\"", "DPoP algs=\"EdDSA ES256 RS256\""])
                #expect(!challenges.joined().contains("error"))
            }
        }
    }

    @Test(
        "a bad token: 401 with error=\"invalid_token\"",
        arguments: [
            "not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c3JfMSJ9.", "a.b.c",
        ])
    func badToken(_ token: String) async throws {
        try await WebHarness.run { web in
            let response = try await web.get("/t/default/userinfo", headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .unauthorized)
            let challenge = try #require(response.headers[.wwwAuthenticate])
            #expect(challenge.hasPrefix("Bearer realm=\"\(WebHarness.issuer)\""))
            #expect(challenge.contains("error=\"invalid_token\""))
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test("an access token of another tenant is invalid here")
    func foreignToken() async throws {
        try await WebHarness.run { web in
            _ = try await web.admin(.post, "/tenants", json: #"{"slug":"other","name":"Other","environment":"dev"}"#)
            let created = try await web.admin(
                .post, "/tenants/other/clients",
                json: """
                    {"name":"Backend","type":"confidential","grant_types":["client_credentials"]}
                    """)
            let object = try created.jsonObject()
            let client = WebHarness.RegisteredClient(
                clientID: try #require(object["client_id"] as? String),
                secret: object["client_secret"] as? String, redirectURI: "")
            let token = try await web.postForm(
                "/t/other/token", [("grant_type", "client_credentials")],
                headers: [.authorization: basicAuthorization(client)])
            let accessToken = try #require(try token.jsonObject()["access_token"] as? String)
            let response = try await web.get("/t/default/userinfo", headers: [.authorization: "Bearer \(accessToken)"])
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
        }
    }
}
