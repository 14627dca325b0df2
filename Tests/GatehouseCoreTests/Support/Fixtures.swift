import Foundation
import GatehouseCore
import GatehouseStoreTesting
import GatehouseCrypto
import Synchronization
import Testing

/// A registered client together with the secret key it authenticates with (nil for public clients).
struct TestClient: Sendable {
    let client: Client
    let secret: String?

    var clientID: String { client.clientID }

    init(record: Client, secret: String?) {
        self.client = record
        self.secret = secret
    }

    init(
        _ clientID: String, type: ClientType, secret: String? = nil, redirectURIs: [String] = [],
        postLogoutRedirectURIs: [String] = [], grants: Set<GrantType>, firstParty: Bool = false,
        allowedScopes: ScopeSet? = nil, idTokenAlgorithm: JWSAlgorithm = .eddsa
    ) {
        self.secret = secret
        self.client = Client(
            id: .generate(at: TestClock.start), clientID: clientID, name: clientID, type: type,
            secretHash: secret.map(SecretHash.of), redirectURIs: redirectURIs,
            postLogoutRedirectURIs: postLogoutRedirectURIs, grantTypes: grants, firstParty: firstParty,
            allowedScopes: allowedScopes, idTokenSigningAlgorithm: idTokenAlgorithm, createdAt: TestClock.start)
    }

    /// A confidential web application using the authorization code and refresh token grants.
    static let web = TestClient(
        "pk_test_web", type: .confidential, secret: "sk_test_web-secret", redirectURIs: ["https://rp.example/cb"],
        postLogoutRedirectURIs: ["https://rp.example/logged-out", "https://rp.example/bye?from=op"],
        grants: [.authorizationCode, .refreshToken])
    /// Another confidential client of the same tenant.
    static let other = TestClient(
        "pk_test_other", type: .confidential, secret: "sk_test_other-secret", redirectURIs: ["https://other.example/cb"],
        postLogoutRedirectURIs: ["https://other.example/logged-out"], grants: [.authorizationCode, .refreshToken])
    /// A public native application (RFC 8252) with a loopback redirect URI.
    static let native = TestClient(
        "pk_test_native", type: .public, redirectURIs: ["http://127.0.0.1/callback"],
        grants: [.authorizationCode, .refreshToken])
    /// A confidential client without the refresh token grant.
    static let codeOnly = TestClient(
        "pk_test_codeonly", type: .confidential, secret: "sk_test_codeonly-secret",
        redirectURIs: ["https://codeonly.example/cb"], grants: [.authorizationCode])
    /// A confidential backend using only the client credentials grant.
    static let machine = TestClient(
        "pk_test_machine", type: .confidential, secret: "sk_test_machine-secret", grants: [.clientCredentials],
        allowedScopes: ["api.read", "api.write", StandardScope.openid])
    /// A public client (wrongly) registered for client credentials.
    static let publicMachine = TestClient("pk_test_public-machine", type: .public, grants: [.clientCredentials])
    /// A confidential web application whose ID tokens are signed with ES256.
    static let es256 = TestClient(
        "pk_test_es256", type: .confidential, secret: "sk_test_es256-secret", redirectURIs: ["https://es.example/cb"],
        grants: [.authorizationCode], idTokenAlgorithm: .es256)

    static let all: [TestClient] = [web, other, native, codeOnly, machine, publicMachine, es256]
}

/// The HTTP Basic `Authorization` header of RFC 6749 §2.3.1: id and secret each
/// form-urlencoded, joined with `:`, then Base64-encoded.
func basicAuthorization(_ id: String, _ secret: String) -> String {
    let joined = FormParameters.formEscape(id) + ":" + FormParameters.formEscape(secret)
    return "Basic " + Data(joined.utf8).base64EncodedString()
}

/// Basic credentials whose joined text is given verbatim (no form-encoding applied).
func rawBasicAuthorization(_ joined: String) -> String {
    "Basic " + Data(joined.utf8).base64EncodedString()
}

/// Form parameters from `(name, value)` pairs, in order.
func form(_ pairs: [(String, String)]) -> FormParameters {
    FormParameters(pairs: pairs.map { (name: $0.0, value: $0.1) })
}

/// Runs `body` and returns the `OAuthError` code it threw, nil when it returned normally.
/// Any other error is recorded as an issue.
func oauthErrorCode(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> OAuthError.Code? {
    do {
        try await body()
        return nil
    } catch let error as OAuthError {
        return error.code
    } catch {
        Issue.record("expected an OAuthError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A JWT split, decoded and not verified.
struct DecodedJWT<Claims: Decodable> {
    let header: JWSHeader
    let claims: Claims
    let parsed: ParsedJWS
}

func decodeJWT<Claims: Decodable>(_ token: String, as type: Claims.Type) throws -> DecodedJWT<Claims> {
    let parsed = try JWS.parse(token)
    return DecodedJWT(
        header: parsed.header, claims: try JSONDecoder().decode(type, from: Data(parsed.payload)),
        parsed: parsed)
}

/// A key ring holding `keys` as active signing keys, `kid` set to each key's RFC 7638 thumbprint.
func makeKeyRing(_ keys: [SigningKey]) throws -> KeyRing {
    try KeyRing(
        keys: keys.map { key in
            var jwk = key.publicJWK
            let kid = try jwk.thumbprint()
            jwk.kid = kid
            jwk.alg = key.algorithm.rawValue
            jwk.use = "sig"
            return KeyRing.Key(kid: kid, algorithm: key.algorithm, signingKey: key, verifier: key.verifier, jwk: jwk)
        })
}

/// One tenant's token machinery over an in-memory store: a tenant, a key ring of real keys, a
/// settable clock, the registered `TestClient`s, a user and that user's browser session.
struct TokenFixture: Sendable {
    static let publicURL = "https://id.example.test"

    let tenant: Tenant
    let clock: TestClock
    let keys: KeyRing
    let tokens: TokenService
    let store: InMemoryTenantStore
    let context: TokenContext
    let user: User
    let session: Session

    var issuer: String { tokens.issuer }

    /// - Parameters:
    ///   - slug: the tenant slug; the issuer is `https://id.example.test/t/<slug>`.
    ///   - reuseGrace: the refresh token reuse grace window in seconds.
    ///   - signingKeys: the tenant's keys; a fresh EdDSA key when nil.
    init(slug: String = "acme", reuseGrace: TimeInterval = 10, signingKeys: [SigningKey]? = nil) throws {
        let clock = TestClock()
        let tenant = Tenant(
            id: .generate(at: clock.now), slug: slug, name: slug, environment: .test,
            settings: TenantSettings(), createdAt: clock.now)
        let keys = try makeKeyRing(signingKeys ?? [SigningKey.generate(.eddsa)])
        let tokens = TokenService(tenant: tenant, issuer: tenant.issuer(publicURL: Self.publicURL), keys: keys, clock: clock)
        let user = User(
            id: .generate(at: clock.now), email: "alice@example.com", emailVerified: true, name: "Alice",
            passwordHash: nil, createdAt: clock.now, updatedAt: clock.now)
        let store = InMemoryTenantStore(clients: TestClient.all.map(\.client), users: [user])
        // Signed in five minutes ago.
        let session = Session(
            id: .generate(at: clock.now), tokenHash: SecretHash.of(RandomText.bearerSecret()),
            userID: user.id, authTime: clock.now.addingTimeInterval(-300), amr: ["pwd"],
            createdAt: clock.now.addingTimeInterval(-300),
            expiresAt: clock.now.addingTimeInterval(TimeInterval(tenant.settings.sessionTTL)))
        store.state.withLock { $0.sessions[session.id] = session }
        self.tenant = tenant
        self.clock = clock
        self.keys = keys
        self.tokens = tokens
        self.store = store
        self.context = TokenContext(tokens: tokens, store: store, refreshReuseGrace: reuseGrace)
        self.user = user
        self.session = session
    }

    /// What the authorization endpoint stores when it issues a code: a grant and its code.
    struct IssuedCode {
        let code: String
        let grant: Grant
        let record: AuthorizationCode
    }

    /// Stores a grant and an authorization code for `client`, as the authorization endpoint does.
    func issueCode(
        to client: TestClient, scope: ScopeSet = ["openid", "profile", "email"],
        nonce: String? = "n-0S6_WzA2Mj", codeChallenge: String? = nil,
        redirectURIWasSent: Bool = true
    ) async throws -> IssuedCode {
        let now = clock.now
        let grant = Grant(
            id: .generate(at: now), clientID: client.clientID, userID: user.id, sessionID: session.id,
            scope: scope, authTime: session.authTime, amr: session.amr, nonce: nonce, createdAt: now)
        let code = RandomText.bearerSecret()
        let record = AuthorizationCode(
            codeHash: SecretHash.of(code), grantID: grant.id, clientID: client.clientID,
            redirectURI: client.client.redirectURIs[0], redirectURIWasSent: redirectURIWasSent,
            codeChallenge: codeChallenge,
            expiresAt: now.addingTimeInterval(TimeInterval(tenant.settings.authorizationCodeTTL)))
        try await store.insertGrant(grant, code: record)
        return IssuedCode(code: code, grant: grant, record: record)
    }

    /// The token request parameters that redeem `issued` (RFC 6749 §4.1.3).
    func codeRequest(_ issued: IssuedCode, redirectURI: String? = nil, verifier: String? = nil) -> [(String, String)] {
        var params = [
            ("grant_type", "authorization_code"), ("code", issued.code),
            ("redirect_uri", redirectURI ?? issued.record.redirectURI),
        ]
        if let verifier { params.append(("code_verifier", verifier)) }
        return params
    }

    /// Sends a token request as `client`: HTTP Basic for confidential clients, `client_id` in the
    /// body for public ones.
    func token(_ params: [(String, String)], as client: TestClient) async throws -> TokenResponse {
        if let secret = client.secret {
            return try await TokenEndpoint.handle(
                parameters: form(params),
                authorization: basicAuthorization(client.clientID, secret),
                context: context)
        }
        return try await TokenEndpoint.handle(
            parameters: form(params + [("client_id", client.clientID)]),
            authorization: nil, context: context)
    }

    /// Redeems a fresh code for `client` and returns the token response.
    func signIn(_ client: TestClient = .web, scope: ScopeSet = ["openid", "profile", "email"]) async throws -> TokenResponse {
        let issued = try await issueCode(to: client, scope: scope)
        return try await token(codeRequest(issued), as: client)
    }

    /// A refresh request (RFC 6749 §6).
    func refresh(_ refreshToken: String?, scope: String? = nil, as client: TestClient = .web) async throws -> TokenResponse {
        var params = [("grant_type", "refresh_token"), ("refresh_token", refreshToken ?? "")]
        if let scope { params.append(("scope", scope)) }
        return try await token(params, as: client)
    }

    /// Whether `accessToken` passes `validateAccessToken`.
    func accessTokenIsValid(_ accessToken: String) async -> Bool {
        (try? await tokens.validateAccessToken(accessToken, store: store)) != nil
    }

    /// An introspection or revocation request authenticated as `client` with HTTP Basic.
    func introspect(_ token: String, as client: TestClient = .web) async throws -> IntrospectionResponse {
        try await TokenIntrospection.introspect(
            parameters: form([("token", token)]),
            authorization: basicAuthorization(client.clientID, client.secret!),
            context: context)
    }

    func revoke(_ token: String, as client: TestClient = .web) async throws {
        try await TokenIntrospection.revoke(
            parameters: form([("token", token)]),
            authorization: basicAuthorization(client.clientID, client.secret!),
            context: context)
    }
}
