import Foundation
import GatehouseCore
import GatehouseWeb
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// The repository root, found from this file's path (…/Tests/GatehouseWebTests/Support/WebHarness.swift).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// One live server built by `buildApplication` (docs/architecture.md H3) on port 0 with a fresh data folder,
/// and an HTTP client for it.
struct WebHarness: Sendable {
    static let adminToken = "gatehouse-test-admin-token-32chr"
    static let publicURL = "http://gatehouse.test"
    static let issuer = "http://gatehouse.test/t/default"

    let client: any TestClientProtocol
    let dataDirectory: URL

    /// The configuration every web test uses: loopback, port 0, cheap Argon2id, fixed admin token.
    static func configuration(dataDirectory: URL) -> GatehouseConfiguration {
        var configuration = GatehouseConfiguration()
        configuration.listen = "127.0.0.1:0"
        configuration.publicURL = publicURL
        configuration.dataDirectory = dataDirectory.path
        configuration.adminToken = adminToken
        configuration.argon2MemoryKiB = 8192
        configuration.argon2Iterations = 1
        configuration.hashingThreads = 2
        configuration.templatesDirectory = repositoryRoot.appendingPathComponent("templates").path
        configuration.staticDirectory = repositoryRoot.appendingPathComponent("static").path
        configuration.logLevel = "error"
        return configuration
    }

    /// Starts a server on a fresh data folder, runs `body` against it, stops it and removes the folder.
    static func run(_ body: @escaping @Sendable (WebHarness) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-web-tests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = try await buildApplication(configuration: configuration(dataDirectory: directory))
        try await app.test(.live) { client in
            try await body(WebHarness(client: client, dataDirectory: directory))
        }
    }

    // MARK: Requests

    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(.get, uri, headers: headers)
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    func postForm(_ uri: String, _ pairs: [(String, String)], headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, uri, headers: fields, body: FormParameters.encode(pairs))
    }

    /// An admin API call with the admin bearer token and a JSON body.
    func admin(
        _ method: HTTPRequest.Method, _ path: String, json: String? = nil,
        token: String? = WebHarness.adminToken
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await send(method, "/admin/v1" + path, headers: headers, body: json)
    }

    // MARK: Fixtures through the admin API

    struct RegisteredClient: Sendable {
        let clientID: String
        let secret: String?
        let redirectURI: String
    }

    /// Registers a client in `tenant` through the admin API.
    func createClient(
        tenant: String = "default", type: String = "confidential", firstParty: Bool = false,
        redirectURI: String = "https://app.example.com/callback"
    ) async throws -> RegisteredClient {
        let response = try await admin(
            .post, "/tenants/\(tenant)/clients",
            json: """
                {"name":"Test App","type":"\(type)","redirect_uris":["\(redirectURI)"],"first_party":\(firstParty)}
                """)
        try #require(response.status == .created, "client creation: \(response.status) \(response.text)")
        let object = try response.jsonObject()
        return RegisteredClient(
            clientID: try #require(object["client_id"] as? String), secret: object["client_secret"] as? String,
            redirectURI: redirectURI)
    }

    /// Creates a user with a password through the admin API.
    func createUser(tenant: String = "default", email: String, password: String) async throws {
        let response = try await admin(
            .post, "/tenants/\(tenant)/users",
            json: """
                {"email":"\(email)","password":"\(password)","name":"Alice Example","email_verified":true}
                """)
        try #require(response.status == .created, "user creation: \(response.status) \(response.text)")
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    func jsonObject(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
    }

    /// Every `Set-Cookie` as name → (value, attributes, lowercased).
    var setCookies: [String: (value: String, attributes: [String])] {
        var cookies: [String: (String, [String])] = [:]
        for header in headers[values: .setCookie] {
            let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = parts.first, let eq = first.firstIndex(of: "=") else { continue }
            cookies[String(first[..<eq])] = (String(first[first.index(after: eq)...]), parts.dropFirst().map { $0.lowercased() })
        }
        return cookies
    }

    /// The query parameters of the `Location` header.
    var locationQuery: [String: String] {
        guard let location = headers[.location], let items = URLComponents(string: location)?.queryItems else { return [:] }
        return Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }
}

/// A browser's cookie store, filled from `Set-Cookie` and sent back as `Cookie`, by hand.
final class CookieJar: Sendable {
    private let cookies = Mutex<[String: String]>([:])

    func absorb(_ response: TestResponse) {
        let set = response.setCookies
        cookies.withLock { jar in
            for (name, cookie) in set {
                if cookie.value.isEmpty || cookie.attributes.contains("max-age=0") { jar[name] = nil } else { jar[name] = cookie.value }
            }
        }
    }

    subscript(name: String) -> String? { cookies.withLock { $0[name] } }

    func remove(_ name: String) { _ = cookies.withLock { $0.removeValue(forKey: name) } }

    /// The `Cookie` request header, or nil when the jar is empty.
    var header: String? {
        let value = cookies.withLock { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return value.isEmpty ? nil : value
    }
}

/// A browser driving the pages: sends the jar's cookies and keeps the ones it receives.
struct Browser: Sendable {
    let harness: WebHarness
    let jar = CookieJar()

    private func headers(_ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        if let cookie = jar.header { fields[.cookie] = cookie }
        return fields
    }

    func get(_ uri: String) async throws -> TestResponse {
        let response = try await harness.get(uri, headers: headers())
        jar.absorb(response)
        return response
    }

    func postForm(_ uri: String, _ pairs: [(String, String)]) async throws -> TestResponse {
        let response = try await harness.postForm(uri, pairs, headers: headers())
        jar.absorb(response)
        return response
    }
}

/// Values of a page's hidden inputs, by name.
func hiddenInputs(_ html: String) -> [String: String] {
    var inputs: [String: String] = [:]
    let pattern = #/<input type="hidden" name="([^"]+)" value="([^"]*)">/#
    for match in html.matches(of: pattern) { inputs[String(match.1)] = String(match.2) }
    return inputs
}

/// The action of the first form on a page.
func formAction(_ html: String) -> String? {
    html.firstMatch(of: #/<form method="post" action="([^"]+)">/#).map { String($0.1) }
}

/// An RFC 7636 verifier and its S256 challenge.
struct PKCEPair {
    let verifier = RandomText.base62(count: 64)
    var challenge: String { PKCE.s256Challenge(for: verifier) }
}

/// `/t/default/authorize?…` for `client`.
func authorizeURI(
    _ client: WebHarness.RegisteredClient, pkce: PKCEPair, scope: String = "openid email offline_access",
    state: String = "state-123", nonce: String = "nonce-456"
) -> String {
    "/t/default/authorize?"
        + FormParameters.encode([
            ("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", client.redirectURI), ("scope", scope),
            ("state", state), ("nonce", nonce), ("code_challenge", pkce.challenge), ("code_challenge_method", "S256"),
        ])
}

/// `Authorization: Basic …` for a client (RFC 6749 §2.3.1: form-encode, then Base64).
func basicAuthorization(_ client: WebHarness.RegisteredClient) -> String {
    let raw = FormParameters.formEscape(client.clientID) + ":" + FormParameters.formEscape(client.secret ?? "")
    return "Basic " + Data(raw.utf8).base64EncodedString()
}
