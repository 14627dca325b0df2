import Foundation
import GatehouseCore
import GatehouseStore
@testable import GatehouseThreads
@testable import GatehouseWeb
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Each route family's `ErrorMiddleware` (docs/architecture.md "Errors"): one route per family
/// throws what the path names, and the answer must have the family's shape.
@Suite("Web: error middleware per route family")
struct ErrorMiddlewareTests {
    static let issuer = "http://errors.test/t/default"

    /// An internal failure whose text must never reach a client.
    struct Internal: Error, CustomStringConvertible {
        var description: String { "internal-secret-detail" }
    }

    static func thrown(_ kind: String) -> any Error {
        switch kind {
        case "busy": ThreadPool.Busy()
        case "refused": SignInThrottle.Refused(retryAfter: 7)
        case "oauth": OAuthError.invalidClient("unknown client", debug: "oauth-secret-debug")
        case "problem": ProblemDetails.conflict("already there")
        case "store": StoreError.conflict("duplicate")
        default: Internal()
        }
    }

    /// A handler that throws what its path names.
    static func fail(_ context: some RequestContext) throws -> Response {
        throw thrown(context.parameters.get("kind") ?? "")
    }

    /// Gives every request the default tenant, an issuer and a headless client, as the
    /// resolution middlewares do.
    struct Resolve: RouterMiddleware {
        typealias Context = AppRequestContext
        let database: any TenantHandle

        func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
            var context = context
            context.resolvedTenant = database
            context.issuer = ErrorMiddlewareTests.issuer
            let client = Client(
                id: .generate(at: Date()), clientID: "pk_test", name: "Test", type: .public, secretHash: nil, redirectURIs: [],
                postLogoutRedirectURIs: [], grantTypes: [], firstParty: true, allowedScopes: nil, createdAt: Date())
            context.headlessClient = (database, client)
            return try await next(request, context)
        }
    }

    static func run(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-error-tests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let services = try await makeServices(
            configuration: WebHarness.configuration(dataDirectory: directory), clock: SystemClock(), logger: Logger(label: "test"))
        let database = try await services.store.storage(for: #require(services.store.resolve(slug: "default")))
        let router = Router(context: AppRequestContext.self)
        let resolved = router.group().add(middleware: Resolve(database: database))
        let oauth = resolved.group("oauth").group(context: TenantRequestContext.self)
            .add(middleware: ErrorMiddleware(family: OAuthJSONErrors(services: services)))
        oauth.get(":kind") { _, context in try Self.fail(context) }
        let pages = resolved.group("page").group(context: TenantRequestContext.self)
            .add(middleware: ErrorMiddleware(family: PageErrors(services: services)))
        pages.get(":kind") { _, context in try Self.fail(context) }
        let headless = resolved.group("headless").group(context: HeadlessRequestContext.self)
            .add(middleware: ErrorMiddleware(family: HeadlessJSONErrors()))
        headless.get(":kind") { _, context in try Self.fail(context) }
        let admin = resolved.group("admin").add(middleware: ErrorMiddleware(family: AdminProblemErrors(services: services)))
        admin.get(":kind") { _, context in try Self.fail(context) }
        try await Application(router: router).test(.live) { client in try await body(client) }
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func text(_ response: TestResponse) -> String { String(decoding: response.body.readableBytesView, as: UTF8.self) }

    @Test(
        "an unexpected error is each family's 500, without the error's text",
        arguments: [
            ("oauth", "application/json", "\"server_error\""), ("headless", "application/json", "\"server_error\""),
            ("page", "text/html", "server_error"), ("admin", "application/problem+json", "urn:gatehouse:problem:internal"),
        ])
    func unexpected(family: String, contentType: String, marker: String) async throws {
        try await Self.run { client in
            let response = try await client.execute(uri: "/\(family)/unexpected", method: .get)
            #expect(response.status == .internalServerError)
            #expect(response.headers[.contentType]?.hasPrefix(contentType) == true)
            #expect(Self.text(response).contains(marker))
            #expect(!Self.text(response).contains("secret"))
        }
    }

    @Test(
        "a full hashing queue is 503 with Retry-After, a throttle refusal 429 with its Retry-After, in every family",
        arguments: [("busy", HTTPResponse.Status.serviceUnavailable, "1"), ("refused", .tooManyRequests, "7")])
    func retryLater(kind: String, status: HTTPResponse.Status, retryAfter: String) async throws {
        try await Self.run { client in
            for family in ["oauth", "headless", "page", "admin"] {
                let response = try await client.execute(uri: "/\(family)/\(kind)", method: .get)
                #expect(response.status == status, "\(family)")
                #expect(response.headers[.retryAfter] == retryAfter, "\(family)")
            }
            let oauth = try await client.execute(uri: "/oauth/\(kind)", method: .get)
            #expect(try Self.json(oauth)["error"] as? String == "temporarily_unavailable")
        }
    }

    @Test("OAuthError renders RFC 6749 §5.2 JSON: invalid_client is 401 with a Basic challenge; the debug reason stays out")
    func oauthError() async throws {
        try await Self.run { client in
            for family in ["oauth", "headless"] {
                let response = try await client.execute(uri: "/\(family)/oauth", method: .get)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Basic realm=\"\(Self.issuer)\", charset=\"UTF-8\"")
                #expect(response.headers[.cacheControl] == "no-store")
                let body = try Self.json(response)
                #expect(body["error"] as? String == "invalid_client")
                #expect(body["error_description"] as? String == "unknown client")
                #expect(body.count == 2)
                #expect(!Self.text(response).contains("secret"))
            }
            // Pages show the error page instead (never a redirect).
            let page = try await client.execute(uri: "/page/oauth", method: .get)
            #expect(page.status == .badRequest)
            #expect(Self.text(page).contains("invalid_client"))
        }
    }

    @Test("ProblemDetails renders itself as application/problem+json; store conflicts are 409 on the admin API")
    func problemDetails() async throws {
        try await Self.run { client in
            let problem = try await client.execute(uri: "/admin/problem", method: .get)
            #expect(problem.status == .conflict)
            #expect(problem.headers[.contentType] == "application/problem+json")
            let body = try Self.json(problem)
            #expect(body["status"] as? Int == 409)
            #expect(body["detail"] as? String == "already there")
            let store = try await client.execute(uri: "/admin/store", method: .get)
            #expect(store.status == .conflict)
            // The headless API answers a problem (a malformed JSON body) as invalid_request.
            let headless = try await client.execute(uri: "/headless/problem", method: .get)
            #expect(headless.status == .badRequest)
            #expect(try Self.json(headless)["error"] as? String == "invalid_request")
        }
    }

    @Test("OAuthError keeps its throw site and marks client and redirect URI errors as not redirectable")
    func throwSite() {
        let line = #line + 1
        let error = OAuthError.invalidRequest("x", debug: "why")
        #expect(error.fileID == #fileID)
        #expect(error.line == line)
        #expect(error.redirectable)
        #expect(!error.notRedirectable.redirectable)
        #expect(error.logDetail.contains("why"))
    }
}
