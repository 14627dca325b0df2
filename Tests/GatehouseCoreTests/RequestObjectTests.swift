import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

/// JWT-secured authorization requests (RFC 9101): a request object stands for the request once its
/// signature and claims hold; every refusal is `invalid_request_object` and never redirected.
@Suite("Request objects (RFC 9101)")
struct RequestObjectTests {
    static let issuer = "https://id.example.test/t/acme"
    static let key = try! SigningKey.generate(.es256)
    static let client: Client = {
        var client = TestClient.web.client
        client.tokenEndpointAuthMethod = .privateKeyJWT
        client.jwks = [key.publicJWK]
        return client
    }()

    struct Unused: ClientAssertionReplayStore {
        func recordClientAssertion(clientID: String, jti: String, expiresAt: Date) async throws -> Bool { true }
    }

    static let keys = ClientAssertionContext(
        audiences: [issuer],
        publicKey: { client, header in
            guard let jwk = client.jwks?.first(where: { $0.kid == header.kid }), let verifier = try? SignatureVerifier(jwk: jwk),
                verifier.algorithm.rawValue == header.alg
            else { throw OAuthError.invalidClient("no key matches") }
            return verifier
        },
        unseal: { $0 }, replay: Unused())

    static var now: Date { TestClock.start }

    /// The claims of a valid request object, to be changed by a case.
    static func claims() -> [String: JSONValue] {
        let now = now.timeIntervalSince1970
        return [
            "iss": .string(client.clientID), "aud": .string(issuer), "client_id": .string(client.clientID),
            "exp": .number(now + 300), "iat": .number(now), "response_type": .string("code"),
            "redirect_uri": .string("https://rp.example/cb"), "scope": .string("openid email"), "state": .string("s1"),
            "max_age": .number(600), "claims": .object(["userinfo": .object(["email": .object(["essential": .bool(true)])])]),
        ]
    }

    static func signed(_ claims: [String: JSONValue], typ: String? = "oauth-authz-req+jwt", with signer: SigningKey = key) throws -> String {
        try JWS.sign(
            payload: Array(JSONValue.object(claims).sortedText.utf8),
            header: JWSHeader(alg: signer.algorithm.rawValue, kid: signer.publicJWK.kid, typ: typ), key: signer)
    }

    static func resolve(_ pairs: [(String, String)]) async throws -> FormParameters {
        try await RequestObject.resolve(
            form(pairs), issuer: issuer, keys: keys, now: now,
            findClient: { $0 == client.clientID ? client : nil })
    }

    @Test("a signed request object stands for the request; the query's other parameters are ignored (§6.3)")
    func accepted() async throws {
        let object = try Self.signed(Self.claims())
        let resolved = try await Self.resolve([("client_id", Self.client.clientID), ("request", object), ("scope", "openid phone"), ("state", "query")])
        #expect(resolved["client_id"] == Self.client.clientID)
        #expect(resolved["scope"] == "openid email" && resolved["state"] == "s1" && resolved["max_age"] == "600")
        #expect(resolved["claims"] == #"{"userinfo":{"email":{"essential":true}}}"#)
        #expect(resolved["request"] == nil && resolved["iss"] == nil && resolved["aud"] == nil && resolved["exp"] == nil)
        let validation = try await AuthorizationEndpoint.validate(resolved, tenant: AuthorizationClients.tenant, findClient: { _ in Self.client })
        guard case .accepted(let request, _) = validation else { Issue.record("not accepted: \(validation)"); return }
        #expect(request.state == "s1" && request.claims != nil)
    }

    @Test("without request the parameters are unchanged")
    func unchanged() async throws {
        let resolved = try await Self.resolve([("client_id", "x"), ("scope", "openid")])
        #expect(resolved["client_id"] == "x" && resolved["scope"] == "openid")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let change: @Sendable (inout [String: JSONValue]) -> Void
        var typ: String? = "oauth-authz-req+jwt"
        var code: OAuthError.Code = .invalidRequestObject
    }

    static let refusals: [Case] = [
        Case(testDescription: "aud naming another issuer") { $0["aud"] = .string("https://other.example") },
        Case(testDescription: "no aud") { $0["aud"] = nil },
        Case(testDescription: "iss of another client") { $0["iss"] = .string("pk_test_other") },
        Case(testDescription: "client_id claim differing from the parameter (§5)") { $0["client_id"] = .string("pk_test_other") },
        Case(testDescription: "expired") { $0["exp"] = .number(RequestObjectTests.now.timeIntervalSince1970 - 61) },
        Case(testDescription: "not valid yet") { $0["nbf"] = .number(RequestObjectTests.now.timeIntervalSince1970 + 120) },
        Case(testDescription: "issued in the future") { $0["iat"] = .number(RequestObjectTests.now.timeIntervalSince1970 + 120) },
        Case(testDescription: "a nested request (§4)") { $0["request"] = .string("x") },
        Case(testDescription: "a request_uri inside (§4)") { $0["request_uri"] = .string("urn:x") },
        Case(testDescription: "a fractional number") { $0["max_age"] = .number(1.5) },
        Case(testDescription: "a list of numbers") { $0["scope"] = .array([.number(1)]) },
        Case(testDescription: "typ of another kind of JWT", change: { _ in }, typ: "dpop+jwt"),
    ]

    @Test("refused with invalid_request_object, on the error page", arguments: refusals)
    func refused(_ row: Case) async throws {
        var claims = Self.claims()
        row.change(&claims)
        let object = try Self.signed(claims, typ: row.typ)
        await Self.expectRefusal(row.code) { try await Self.resolve([("client_id", Self.client.clientID), ("request", object)]) }
    }

    @Test("unsigned, HMAC-signed by a client without a sealed secret, or signed by another key: refused")
    func signatures() async throws {
        let payload = Base64URL.encode(Array(JSONValue.object(Self.claims()).sortedText.utf8))
        let unsigned = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + payload + "."
        let hmac = Base64URL.encode(Array(#"{"alg":"HS256"}"#.utf8)) + "." + payload + "." + Base64URL.encode([UInt8](repeating: 1, count: 32))
        let stranger = try Self.signed(Self.claims(), with: try SigningKey.generate(.es256))
        for object in [unsigned, hmac, stranger, "not a jwt", String(repeating: "a", count: RequestObject.maximumBytes + 1)] {
            await Self.expectRefusal(.invalidRequestObject) { try await Self.resolve([("client_id", Self.client.clientID), ("request", object)]) }
        }
    }

    @Test("client_id is required beside the object; request_uri with request is invalid_request; unknown clients invalid_client")
    func parameters() async throws {
        let object = try Self.signed(Self.claims())
        await Self.expectRefusal(.invalidRequest) { try await Self.resolve([("request", object)]) }
        await Self.expectRefusal(.invalidRequest) {
            try await Self.resolve([("client_id", Self.client.clientID), ("request", object), ("request_uri", "urn:x")])
        }
        await Self.expectRefusal(.invalidClient) { try await Self.resolve([("client_id", "pk_test_unknown"), ("request", object)]) }
    }

    static func expectRefusal(_ code: OAuthError.Code, _ body: () async throws -> FormParameters) async {
        do {
            let resolved = try await body()
            Issue.record("accepted: \(resolved.pairs)")
        } catch let error as OAuthError {
            #expect(error.code == code, "\(error.description)")
            #expect(!error.redirectable)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
