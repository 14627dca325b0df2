import Foundation
import GatehouseCore
import Testing

/// The authorization endpoint's clients, looked up in memory.
enum AuthorizationClients {
    static let web = TestClient(
        "web", type: .confidential, secret: "web-secret", redirectURIs: ["https://rp.example/cb"],
        grants: [.authorizationCode, .refreshToken])
    static let multi = TestClient(
        "multi", type: .confidential, secret: "multi-secret",
        redirectURIs: ["https://multi.example/a", "https://multi.example/b"],
        grants: [.authorizationCode])
    static let spa = TestClient("spa", type: .public, redirectURIs: ["https://spa.example/cb"], grants: [.authorizationCode])
    static let native = TestClient(
        "native", type: .public, redirectURIs: ["http://127.0.0.1/callback"],
        grants: [.authorizationCode])
    static let confidentialLoopback = TestClient(
        "conf-loopback", type: .confidential, secret: "s",
        redirectURIs: ["http://127.0.0.1/callback"], grants: [.authorizationCode])
    static let machine = TestClient(
        "machine", type: .confidential, secret: "m", redirectURIs: ["https://machine.example/cb"],
        grants: [.clientCredentials])
    static let limited = TestClient(
        "limited", type: .confidential, secret: "l", redirectURIs: ["https://limited.example/cb"],
        grants: [.authorizationCode], allowedScopes: ["openid"])

    /// A client (mis)configured to allow an admin scope alongside user scopes.
    static let adminish = TestClient(
        "adminish", type: .confidential, secret: "a", redirectURIs: ["https://adminish.example/cb"],
        grants: [.authorizationCode, .clientCredentials],
        allowedScopes: ["openid", AdminScope.clientsRead])

    static let byID: [String: Client] = Dictionary(
        uniqueKeysWithValues: [web, multi, spa, native, confidentialLoopback, machine, limited, adminish]
            .map { ($0.clientID, $0.client) })

    static let tenant = Tenant(
        id: .generate(at: TestClock.start), slug: "acme", name: "Acme", environment: .test,
        settings: TenantSettings(), createdAt: TestClock.start)

    static func validate(_ pairs: [(String, String)]) async throws -> AuthorizationValidation {
        try await AuthorizationEndpoint.validate(form(pairs), tenant: tenant) { byID[$0] }
    }
}

/// The RFC 7636 Appendix B challenge.
private let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/// A valid request of `web`, with `changes` applied: a nil value removes the parameter, a value
/// replaces it (or is appended when absent).
private func request(_ changes: [(String, String?)] = [], base: [(String, String)]? = nil) -> [(String, String)] {
    var pairs =
        base ?? [
            ("response_type", "code"), ("client_id", "web"), ("redirect_uri", "https://rp.example/cb"),
            ("scope", "openid profile"), ("state", "af0ifjsldkj"), ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", challenge), ("code_challenge_method", "S256"),
        ]
    for (name, value) in changes {
        if let value {
            if let index = pairs.firstIndex(where: { $0.0 == name }) { pairs[index].1 = value } else { pairs.append((name, value)) }
        } else {
            pairs.removeAll { $0.0 == name }
        }
    }
    return pairs
}

private func publicRequest(_ clientID: String, redirectURI: String, _ changes: [(String, String?)] = []) -> [(String, String)] {
    request([("client_id", clientID), ("redirect_uri", redirectURI)] + changes)
}

@Suite("Authorization endpoint checks (RFC 6749 §4.1.1, RFC 7636 §4.4, OIDC Core §3.1.2.2)")
struct AuthorizationEndpointTests {
    enum Expected: Sendable, CustomStringConvertible {
        /// Shown to the user, never redirected.
        case errorPage(OAuthError.Code)
        /// Redirected to the client.
        case errorRedirect(OAuthError.Code)
        case accepted

        var description: String {
            switch self {
            case .errorPage(let code): "error page \(code.rawValue)"
            case .errorRedirect(let code): "redirect \(code.rawValue)"
            case .accepted: "accepted"
            }
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let parameters: [(String, String)]
        let expected: Expected
        init(_ rule: String, _ parameters: [(String, String)], _ expected: Expected) {
            self.testDescription = rule
            self.parameters = parameters
            self.expected = expected
        }
    }

    static let rows: [Row] = [
        Row("a code request with an S256 challenge is accepted", request(), .accepted),
        // Phase 1: client and redirect URI. Never redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.1).
        Row(
            "a missing client_id shows an error page (RFC 6749 §4.1.2.1)", request([("client_id", nil)]),
            .errorPage(.invalidRequest)),
        Row(
            "an empty client_id counts as missing (RFC 6749 §3.1)", request([("client_id", "")]),
            .errorPage(.invalidRequest)),
        Row(
            "an unknown client_id shows an error page (RFC 6749 §4.1.2.1)", request([("client_id", "nobody")]),
            .errorPage(.invalidClient)),
        Row(
            "a client_id longer than 128 characters is unknown", request([("client_id", String(repeating: "w", count: 129))]),
            .errorPage(.invalidClient)),
        Row(
            "an unregistered redirect_uri shows an error page (RFC 6749 §4.1.2.1, RFC 9700 §4.1.1)",
            request([("redirect_uri", "https://evil.example/cb")]), .errorPage(.invalidRequest)),
        Row(
            "a near-miss redirect_uri shows an error page (RFC 9700 §4.1.1)",
            request([("redirect_uri", "https://rp.example/cb/")]), .errorPage(.invalidRequest)),
        Row(
            "a duplicated client_id shows an error page (RFC 6749 §3.1)", request() + [("client_id", "web")],
            .errorPage(.invalidRequest)),
        Row(
            "a duplicated redirect_uri shows an error page (RFC 6749 §3.1)",
            request() + [("redirect_uri", "https://rp.example/cb")], .errorPage(.invalidRequest)),
        Row(
            "a duplicated state shows an error page: the redirect target would be ambiguous",
            request() + [("state", "other")], .errorPage(.invalidRequest)),
        Row(
            "a duplicated response_mode shows an error page: the redirect target would be ambiguous",
            request([("response_mode", "query")]) + [("response_mode", "form_post")], .errorPage(.invalidRequest)),
        Row(
            "a missing redirect_uri with several registered URIs shows an error page (RFC 6749 §3.1.2.3)",
            request([("client_id", "multi"), ("redirect_uri", nil), ("scope", "profile")]), .errorPage(.invalidRequest)),
        Row(
            "a missing redirect_uri with exactly one registered URI is accepted for OAuth (RFC 6749 §3.1.2.3)",
            request([("redirect_uri", nil), ("scope", "profile")]), .accepted),
        Row(
            "a confidential client may not vary a loopback port (RFC 8252 §7.3 is for native clients)",
            publicRequest("conf-loopback", redirectURI: "http://127.0.0.1:51234/callback"), .errorPage(.invalidRequest)),
        Row(
            "a native client may vary the loopback port (RFC 8252 §7.3)",
            publicRequest("native", redirectURI: "http://127.0.0.1:51234/callback"), .accepted),
        Row(
            "a native client may not use localhost instead of the registered IP literal (RFC 8252 §8.3)",
            publicRequest("native", redirectURI: "http://localhost:51234/callback"), .errorPage(.invalidRequest)),
        // Phase 2: redirected errors.
        Row(
            "an OpenID request without redirect_uri is invalid_request (OIDC Core §3.1.2.1)",
            request([("redirect_uri", nil)]), .errorRedirect(.invalidRequest)),
        Row(
            "a duplicated scope is invalid_request (RFC 6749 §3.1)", request() + [("scope", "openid")],
            .errorRedirect(.invalidRequest)),
        Row(
            "a duplicated code_challenge is invalid_request (RFC 6749 §3.1)", request() + [("code_challenge", challenge)],
            .errorRedirect(.invalidRequest)),
        Row(
            "a missing response_type is invalid_request (RFC 6749 §4.1.1)", request([("response_type", nil)]),
            .errorRedirect(.invalidRequest)),
        Row(
            "response_type=token is unsupported_response_type (RFC 9700 §2.1.2)", request([("response_type", "token")]),
            .errorRedirect(.unsupportedResponseType)),
        Row(
            "response_type=code id_token is unsupported_response_type", request([("response_type", "code id_token")]),
            .errorRedirect(.unsupportedResponseType)),
        Row(
            "an unknown response_mode is invalid_request", request([("response_mode", "fragment")]),
            .errorRedirect(.invalidRequest)),
        Row(
            "code_challenge_method=plain is invalid_request (RFC 7636 §4.4.1, RFC 9700 §2.1.1)",
            request([("code_challenge_method", "plain")]), .errorRedirect(.invalidRequest)),
        Row(
            "a code_challenge without a method means plain and is invalid_request (RFC 7636 §4.3)",
            request([("code_challenge_method", nil)]), .errorRedirect(.invalidRequest)),
        Row(
            "a code_challenge_method without a code_challenge is invalid_request",
            request([("code_challenge", nil)]), .errorRedirect(.invalidRequest)),
        Row(
            "a malformed code_challenge is invalid_request (RFC 7636 §4.2)",
            request([("code_challenge", String(challenge.dropLast()))]), .errorRedirect(.invalidRequest)),
        Row(
            "a public client without a code_challenge is invalid_request (RFC 9700 §2.1.1)",
            publicRequest("spa", redirectURI: "https://spa.example/cb", [("code_challenge", nil), ("code_challenge_method", nil)]),
            .errorRedirect(.invalidRequest)),
        Row(
            "a confidential client without a code_challenge is accepted",
            request([("code_challenge", nil), ("code_challenge_method", nil)]), .accepted),
        Row(
            "prompt=none combined with another value is invalid_request (OIDC Core §3.1.2.1)",
            request([("prompt", "none login")]), .errorRedirect(.invalidRequest)),
        Row("an unknown prompt value is invalid_request", request([("prompt", "create")]), .errorRedirect(.invalidRequest)),
        Row("several known prompt values are accepted", request([("prompt", "login consent")]), .accepted),
        Row("a negative max_age is invalid_request", request([("max_age", "-1")]), .errorRedirect(.invalidRequest)),
        Row("a non-numeric max_age is invalid_request", request([("max_age", "ten")]), .errorRedirect(.invalidRequest)),
        Row("max_age=0 is accepted", request([("max_age", "0")]), .accepted),
        Row(
            "an unknown scope of an OpenID request is ignored (OIDC Core §3.1.2.1)",
            request([("scope", "openid admin urn:example:thing")]), .accepted),
        Row("acr_values with values is accepted (OIDC Core §3.1.2.1)", request([("acr_values", "urn:gatehouse:acr:mfa x")]), .accepted),
        Row("an empty acr_values is invalid_request", request([("acr_values", " ")]), .errorRedirect(.invalidRequest)),
        Row(
            "an unknown scope of a plain OAuth request is invalid_scope (RFC 6749 §3.3)", request([("scope", "admin")]),
            .errorRedirect(.invalidScope)),
        Row(
            "a scope outside the scope-token charset is invalid_scope (RFC 6749 §3.3)",
            request([("scope", "openid pro\"file")]), .errorRedirect(.invalidScope)),
        Row(
            "a scope the client is not allowed is invalid_scope",
            publicRequest("limited", redirectURI: "https://limited.example/cb", [("scope", "openid email")]),
            .errorRedirect(.invalidScope)),
        Row(
            "an admin scope is never granted to a user, even when the client is allowed it (docs/contract.md A4)",
            publicRequest("adminish", redirectURI: "https://adminish.example/cb", [("scope", "openid clients:read")]),
            .errorRedirect(.invalidScope)),
        Row(
            "a client without the authorization_code grant is unauthorized_client (RFC 6749 §4.1.2.1)",
            publicRequest("machine", redirectURI: "https://machine.example/cb"), .errorRedirect(.unauthorizedClient)),
        Row(
            "a request object not resolved first (RequestObject, RFC 9101) is invalid_request",
            request([("request", "eyJhbGciOiJub25lIn0.e30.")]), .errorRedirect(.invalidRequest)),
        Row(
            "request_uri is request_uri_not_supported (OIDC Core §3.1.2.6)",
            request([("request_uri", "https://rp.example/req.jwt")]), .errorRedirect(.requestURINotSupported)),
        Row(
            "a state longer than 2048 bytes is invalid_request", request([("state", String(repeating: "s", count: 2049))]),
            .errorRedirect(.invalidRequest)),
        Row(
            "a nonce longer than 512 bytes is invalid_request", request([("nonce", String(repeating: "n", count: 513))]),
            .errorRedirect(.invalidRequest)),
        Row(
            "empty optional parameters count as omitted (RFC 6749 §3.1)",
            request([("prompt", ""), ("max_age", ""), ("response_mode", ""), ("request", "")]), .accepted),
    ]

    @Test("authorization requests are accepted, redirected with an error, or shown an error page", arguments: rows)
    func outcome(_ row: Row) async throws {
        let validation = try await AuthorizationClients.validate(row.parameters)
        switch (validation, row.expected) {
        case (.accepted, .accepted):
            break
        case (.errorPage(let error), .errorPage(let code)):
            #expect(error.code == code, "\(error.description)")
        case (.errorRedirect(let error, let target), .errorRedirect(let code)):
            #expect(error.code == code, "\(error.description)")
            // A redirected error goes only to a registered redirect URI.
            let client = AuthorizationClients.byID[form(row.parameters)["client_id"] ?? ""]
            #expect(
                client.map {
                    RedirectURI.matches(
                        target.redirectURI, registered: $0.redirectURIs,
                        allowLoopbackPortVariation: $0.type == .public)
                } == true)
        default:
            Issue.record("expected \(row.expected), got \(validation)")
        }
    }

    @Test("an accepted request carries every validated parameter")
    func acceptedRequest() async throws {
        let validation = try await AuthorizationClients.validate(
            request([("prompt", "login"), ("max_age", "300"), ("login_hint", "alice@example.com")]))
        guard case .accepted(let accepted, let client) = validation else {
            Issue.record("not accepted: \(validation)")
            return
        }
        #expect(client.clientID == "web")
        #expect(
            accepted
                == AuthorizationRequest(
                    clientID: "web", redirectURI: "https://rp.example/cb", redirectURIWasSent: true, responseMode: .query,
                    scope: ["openid", "profile"], state: "af0ifjsldkj", nonce: "n-0S6_WzA2Mj", codeChallenge: challenge,
                    prompt: [.login], maxAge: 300, loginHint: "alice@example.com"))
        #expect(accepted.demandsFreshLogin)
    }

    @Test("the only registered redirect URI is used, and recorded as not sent (RFC 6749 §4.1.3)")
    func defaultRedirectURI() async throws {
        let validation = try await AuthorizationClients.validate(request([("redirect_uri", nil), ("scope", "profile")]))
        guard case .accepted(let accepted, _) = validation else {
            Issue.record("not accepted: \(validation)")
            return
        }
        #expect(accepted.redirectURI == "https://rp.example/cb")
        #expect(!accepted.redirectURIWasSent)
    }

    @Test("a loopback request keeps the port it sent, for the token endpoint to compare (RFC 8252 §7.3)")
    func loopbackKeepsRequestedPort() async throws {
        let validation = try await AuthorizationClients.validate(
            publicRequest("native", redirectURI: "http://127.0.0.1:51234/callback"))
        guard case .accepted(let accepted, _) = validation else {
            Issue.record("not accepted: \(validation)")
            return
        }
        #expect(accepted.redirectURI == "http://127.0.0.1:51234/callback")
    }

    @Test("state is carried into the error redirect target (RFC 6749 §4.1.2.1)")
    func stateCarried() async throws {
        let validation = try await AuthorizationClients.validate(request([("response_type", "token"), ("state", "st@te 1")]))
        guard case .errorRedirect(_, let target) = validation else {
            Issue.record("not redirected: \(validation)")
            return
        }
        #expect(
            target
                == AuthorizationResponseTarget(
                    redirectURI: "https://rp.example/cb", responseMode: .query,
                    state: "st@te 1"))
    }

    @Test("an OpenID request keeps the scopes the client may ask for and drops those nobody defines (OIDC Core §3.1.2.1)")
    func unknownScopesDropped() async throws {
        let validation = try await AuthorizationClients.validate(request([("scope", "openid profile x-unknown urn:example:thing")]))
        guard case .accepted(let accepted, _) = validation else {
            Issue.record("not accepted: \(validation)")
            return
        }
        #expect(accepted.scope == ["openid", "profile"])
    }

    @Test("response_mode=form_post is honoured in the accepted request and in the error target")
    func formPost() async throws {
        let accepted = try await AuthorizationClients.validate(request([("response_mode", "form_post")]))
        guard case .accepted(let acceptedRequest, _) = accepted else {
            Issue.record("not accepted: \(accepted)")
            return
        }
        #expect(acceptedRequest.responseMode == .formPost)

        let failed = try await AuthorizationClients.validate(
            request([("response_mode", "form_post"), ("scope", "openid pro\"file")]))
        guard case .errorRedirect(let error, let target) = failed else {
            Issue.record("not redirected: \(failed)")
            return
        }
        #expect(error.code == .invalidScope)
        #expect(target.responseMode == .formPost)
        #expect(target.state == "af0ifjsldkj")
    }

    @Test("every check is named after its rule, once (docs/architecture.md H5)")
    func checksAreNamed() {
        let names = AuthorizationEndpoint.checks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { !$0.isEmpty })
    }
}

@Suite("Authorization response parameters (RFC 6749 §4.1.2, RFC 9207 §2)")
struct AuthorizationResponseTargetTests {
    static let issuer = "https://id.example.test/t/acme"

    @Test("a success carries code, state and iss (RFC 6749 §4.1.2, RFC 9207 §2)")
    func success() {
        let target = AuthorizationResponseTarget(redirectURI: "https://rp.example/cb", responseMode: .query, state: "xyz")
        let params = target.success(code: "SplxlOBeZQQYbYS6WxSbIA", issuer: Self.issuer)
        #expect(params.map(\.0) == ["code", "state", "iss"])
        #expect(form(params) == form([("code", "SplxlOBeZQQYbYS6WxSbIA"), ("state", "xyz"), ("iss", Self.issuer)]))
    }

    @Test("without state, no state parameter is sent (RFC 6749 §4.1.2: REQUIRED only if present in the request)")
    func successWithoutState() {
        let target = AuthorizationResponseTarget(redirectURI: "https://rp.example/cb", responseMode: .query, state: nil)
        #expect(target.success(code: "c", issuer: Self.issuer).map(\.0) == ["code", "iss"])
        #expect(target.failure(.accessDenied("no"), issuer: Self.issuer).map(\.0) == ["error", "error_description", "iss"])
    }

    @Test("a failure carries error, error_description, state and iss (RFC 6749 §4.1.2.1, RFC 9207 §2)")
    func failure() {
        let target = AuthorizationResponseTarget(redirectURI: "https://rp.example/cb", responseMode: .formPost, state: "xyz")
        let params = target.failure(.accessDenied("the user denied the request"), issuer: Self.issuer)
        #expect(
            form(params)
                == form([
                    ("error", "access_denied"), ("error_description", "the user denied the request"),
                    ("state", "xyz"), ("iss", Self.issuer),
                ]))
    }

    struct Redirect: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let redirectURI: String
        let expected: String
    }

    @Test(
        "the query redirect appends to the redirect URI and keeps its query (RFC 6749 §4.1.2, §3.1.2)",
        arguments: [
            Redirect(
                testDescription: "a redirect URI without a query gains one", redirectURI: "https://rp.example/cb",
                expected: "https://rp.example/cb?code=abc&state=s%20t&iss=https%3A%2F%2Fid.example.test%2Ft%2Facme"),
            Redirect(
                testDescription: "an existing query is retained", redirectURI: "https://rp.example/cb?tenant=7",
                expected: "https://rp.example/cb?tenant=7&code=abc&state=s%20t&iss=https%3A%2F%2Fid.example.test%2Ft%2Facme"),
            Redirect(
                testDescription: "a private-use scheme redirect", redirectURI: "com.example.app:/oauth2redirect",
                expected: "com.example.app:/oauth2redirect?code=abc&state=s%20t&iss=https%3A%2F%2Fid.example.test%2Ft%2Facme"),
        ])
    func queryRedirect(_ row: Redirect) throws {
        let target = AuthorizationResponseTarget(redirectURI: row.redirectURI, responseMode: .query, state: "s t")
        let location = target.queryRedirect(target.success(code: "abc", issuer: Self.issuer))
        #expect(location == row.expected)
        let query = try #require(URLComponents(string: location)?.percentEncodedQuery)
        #expect(try FormParameters(encoded: query)["iss"] == Self.issuer)
    }
}
