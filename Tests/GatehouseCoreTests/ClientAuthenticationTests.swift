import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

@Suite("Client authentication (RFC 6749 §2.3)")
struct ClientAuthenticationTests {
    static let now = TestClock.start

    /// The RFC 6749 §2.3.1 example client.
    static let rfcExample = TestClient(
        "s6BhdRkqt3", type: .confidential, secret: "7Fjfp0ZBr1KtDRbnfVdmIw",
        grants: [.authorizationCode])
    /// A client whose id and secret contain characters that form-encoding changes.
    static let tricky = TestClient("tricky client", type: .confidential, secret: "a:b%c+d e", grants: [.authorizationCode])
    static let plus = TestClient("plus", type: .confidential, secret: "p+q", grants: [.authorizationCode])
    static let spa = TestClient("spa", type: .public, grants: [.authorizationCode])
    /// A client whose secret was rotated: `new-secret` is current, `old-secret` is accepted for an hour.
    static let rotated: TestClient = {
        var record = TestClient("rotated", type: .confidential, secret: "new-secret", grants: [.authorizationCode]).client
        record.previousSecretHash = SecretHash.of("old-secret")
        record.previousSecretExpiresAt = now + 3600
        return TestClient(record: record, secret: "new-secret")
    }()

    static let clients: [String: Client] = Dictionary(
        uniqueKeysWithValues: [rfcExample, tricky, plus, spa, rotated].map { ($0.clientID, $0.client) })

    enum Expected: Sendable, CustomStringConvertible {
        case authenticated(String, ClientAuthenticationMethod)
        case error(OAuthError.Code)

        var description: String {
            switch self {
            case .authenticated(let id, let method): "\(id) via \(method.rawValue)"
            case .error(let code): code.rawValue
            }
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let authorization: String?
        let body: [(String, String)]
        let expected: Expected
        var at: Date = ClientAuthenticationTests.now

        init(
            _ rule: String, authorization: String? = nil, body: [(String, String)] = [], _ expected: Expected,
            at: Date = ClientAuthenticationTests.now
        ) {
            self.testDescription = rule
            self.authorization = authorization
            self.body = body
            self.expected = expected
            self.at = at
        }
    }

    static let rows: [Row] = [
        Row(
            "client_secret_basic with the RFC 6749 §2.3.1 example credentials",
            authorization: "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3",
            .authenticated("s6BhdRkqt3", .clientSecretBasic)),
        Row(
            "client_secret_basic form-decodes id and secret: %3A, %25, %2B and + (RFC 6749 §2.3.1)",
            authorization: rawBasicAuthorization("tricky+client:a%3Ab%25c%2Bd+e"),
            .authenticated("tricky client", .clientSecretBasic)),
        Row(
            "client_secret_basic accepts %20 for a space as well as +",
            authorization: rawBasicAuthorization("tricky%20client:a%3Ab%25c%2Bd%20e"),
            .authenticated("tricky client", .clientSecretBasic)),
        Row(
            "client_secret_basic reads an unencoded '+' as a space, so the raw secret fails (RFC 6749 §2.3.1)",
            authorization: rawBasicAuthorization("plus:p+q"), .error(.invalidClient)),
        Row(
            "client_secret_basic with the '+' encoded as %2B succeeds",
            authorization: rawBasicAuthorization("plus:p%2Bq"), .authenticated("plus", .clientSecretBasic)),
        Row(
            "client_secret_basic with an unencoded '%' is malformed: invalid_client",
            authorization: rawBasicAuthorization("tricky client:a:b%c+d e"), .error(.invalidClient)),
        Row(
            "the Basic scheme name is case-insensitive (RFC 7617 §2)",
            authorization: "basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3",
            .authenticated("s6BhdRkqt3", .clientSecretBasic)),
        Row(
            "client_secret_post with client_id and client_secret in the body",
            body: [("client_id", "s6BhdRkqt3"), ("client_secret", "7Fjfp0ZBr1KtDRbnfVdmIw")],
            .authenticated("s6BhdRkqt3", .clientSecretPost)),
        Row(
            "a body client_id equal to the Basic one is accepted",
            authorization: basicAuthorization("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"), body: [("client_id", "s6BhdRkqt3")],
            .authenticated("s6BhdRkqt3", .clientSecretBasic)),
        Row(
            "a public client authenticates with none: client_id only (RFC 6749 §2.3, §3.2.1)",
            body: [("client_id", "spa")], .authenticated("spa", .none)),
        Row(
            "a wrong secret via Basic is invalid_client (RFC 6749 §5.2)",
            authorization: basicAuthorization("s6BhdRkqt3", "wrong"), .error(.invalidClient)),
        Row(
            "a wrong secret via the body is invalid_client (RFC 6749 §5.2)",
            body: [("client_id", "s6BhdRkqt3"), ("client_secret", "wrong")], .error(.invalidClient)),
        Row(
            "an empty Basic secret is invalid_client", authorization: rawBasicAuthorization("s6BhdRkqt3:"),
            .error(.invalidClient)),
        Row(
            "an unknown client via Basic is invalid_client", authorization: basicAuthorization("nobody", "secret"),
            .error(.invalidClient)),
        Row("an unknown client via none is invalid_client", body: [("client_id", "nobody")], .error(.invalidClient)),
        Row(
            "a client_id longer than 128 bytes is invalid_client", body: [("client_id", String(repeating: "x", count: 129))],
            .error(.invalidClient)),
        Row("no credentials at all is invalid_client", .error(.invalidClient)),
        Row(
            "a confidential client without its secret is invalid_client", body: [("client_id", "s6BhdRkqt3")],
            .error(.invalidClient)),
        Row(
            "Basic and a body client_secret together are invalid_request (RFC 6749 §2.3: one method per request)",
            authorization: basicAuthorization("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"),
            body: [("client_secret", "7Fjfp0ZBr1KtDRbnfVdmIw")], .error(.invalidRequest)),
        Row(
            "a body client_id different from the Basic one is invalid_request",
            authorization: basicAuthorization("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"), body: [("client_id", "spa")],
            .error(.invalidRequest)),
        Row(
            "Basic credentials that are not base64 are invalid_client", authorization: "Basic !!!not-base64!!!",
            .error(.invalidClient)),
        Row(
            "Basic credentials without a colon are invalid_client", authorization: rawBasicAuthorization("s6BhdRkqt3"),
            .error(.invalidClient)),
        Row(
            "Basic credentials with an empty client id are invalid_client", authorization: rawBasicAuthorization(":secret"),
            .error(.invalidClient)),
        Row(
            "Basic credentials that are not UTF-8 are invalid_client",
            authorization: "Basic " + Data([0xFF, 0xFE, 0x3A, 0x61]).base64EncodedString(), .error(.invalidClient)),
        Row(
            "a public client sending a secret in the body is invalid_client",
            body: [("client_id", "spa"), ("client_secret", "anything")], .error(.invalidClient)),
        Row(
            "a public client sending Basic credentials is invalid_client",
            authorization: basicAuthorization("spa", "anything"), .error(.invalidClient)),
        Row(
            "the current secret of a rotated client is accepted", authorization: basicAuthorization("rotated", "new-secret"),
            .authenticated("rotated", .clientSecretBasic)),
        Row(
            "the previous secret is accepted during the rotation overlap",
            authorization: basicAuthorization("rotated", "old-secret"), .authenticated("rotated", .clientSecretBasic),
            at: now + 3599),
        Row(
            "the previous secret is refused once the overlap has ended",
            authorization: basicAuthorization("rotated", "old-secret"), .error(.invalidClient), at: now + 3600),
    ]

    @Test("the token endpoint authenticates clients by exactly one method", arguments: rows)
    func authenticate(_ row: Row) async throws {
        do {
            let authenticated = try await ClientAuthentication.authenticate(
                authorization: row.authorization, parameters: form(row.body), now: row.at
            ) { Self.clients[$0] }
            guard case .authenticated(let id, let method) = row.expected else {
                Issue.record("expected \(row.expected), authenticated \(authenticated.client.clientID)")
                return
            }
            #expect(authenticated.client.clientID == id)
            #expect(authenticated.method == method)
        } catch let error as OAuthError {
            guard case .error(let code) = row.expected else {
                Issue.record("expected \(row.expected), got \(error.code.rawValue): \(error.description)")
                return
            }
            #expect(error.code == code, "\(error.description)")
        }
    }

    @Test(
        "the Basic header built by a client library round-trips through form-encoding (RFC 6749 §2.3.1)",
        arguments: ["7Fjfp0ZBr1KtDRbnfVdmIw", "a:b%c+d e", "p+q", "ünïcødé secret", "=&?/#"])
    func basicRoundTrip(_ secret: String) async throws {
        let client = TestClient("client:with&odd=chars", type: .confidential, secret: secret, grants: [.authorizationCode])
        let authenticated = try await ClientAuthentication.authenticate(
            authorization: basicAuthorization(client.clientID, secret), parameters: form([]), now: Self.now
        ) {
            $0 == client.clientID ? client.client : nil
        }
        #expect(authenticated.client.clientID == client.clientID)
    }
}
