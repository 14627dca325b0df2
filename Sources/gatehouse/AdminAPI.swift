import Foundation
import GatehouseAdminAPI
import GatehouseOutbound
import HTTPTypes
import OpenAPIRuntime
import Synchronization

/// The admin API through the client generated from docs/openapi.json (GatehouseAdminAPI), over
/// GatehouseOutbound's libcurl (docs/architecture.md, "Generated admin API client").
///
/// Requests are the generated operations with typed inputs; answers are decoded into the generated
/// types, and the server's answer is also kept as it came, for `--json` (which prints the server's
/// answer, `null`s and all) and for the `key: value` records and tables.
struct AdminAPI {
    /// The generated client.
    let client: Client
    /// The body of the last successful answer.
    let answers: ServerAnswers

    init(baseURL: String, token: String, http: HTTPClient) throws {
        guard let url = URL(string: baseURL) else {
            throw AdminError(status: nil, detail: "cannot reach \(baseURL): not a URL", unreachable: true)
        }
        answers = ServerAnswers()
        client = Client(
            serverURL: url, transport: CurlClientTransport(http: http),
            middlewares: [AdminMiddleware(token: token, baseURL: baseURL, answers: answers)])
    }

    /// Runs one operation of the generated client, e.g. `{ try await $0.getTenant(path: .init(slug: "acme")).ok }`.
    /// - Returns: the operation's typed result, and the server's answer as parsed JSON (nil for 204).
    /// - Throws: `AdminError`: the problem details of a non-2xx answer (every invalid field listed), an
    ///   unreachable server, or an answer that does not match the document.
    func call<Result>(_ operation: (Client) async throws -> Result) async throws -> (value: Result, answer: Any?) {
        do {
            let value = try await operation(client)
            return (value, answers.json)
        } catch let error as ClientError {
            if let adminError = error.underlyingError as? AdminError { throw adminError }
            throw AdminError(
                status: error.response.map { $0.status.code } ?? nil,
                detail: "unexpected answer to \(error.operationID): \(error.underlyingError)")
        }
    }

    /// `call`, keeping only the server's answer: for commands that print it.
    func answer<Result>(_ operation: (Client) async throws -> Result) async throws -> Any? {
        try await call(operation).answer
    }
}

/// The body of the last successful answer of an `AdminAPI`.
final class ServerAnswers: Sendable {
    private let body = Mutex<[UInt8]>([])

    func record(_ bytes: [UInt8]) { body.withLock { $0 = bytes } }

    /// The last body as parsed JSON; nil when it was empty (204) or not JSON.
    var json: Any? {
        let bytes = body.withLock { $0 }
        return bytes.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(bytes))
    }
}

/// Adds the admin bearer token to every request, turns a non-2xx answer into `AdminError` (from its
/// RFC 9457 problem details) before the generated client sees it, and records successful answers.
struct AdminMiddleware: ClientMiddleware {
    let token: String
    /// The server's URL as the admin gave it, for error messages.
    let baseURL: String
    let answers: ServerAnswers

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        let response: HTTPResponse
        let responseBody: HTTPBody?
        do {
            (response, responseBody) = try await next(request, body, baseURL)
        } catch {
            // The generated client wraps the transport's error (libcurl's `OutboundError`) in a `ClientError`.
            let cause = (error as? ClientError)?.underlyingError ?? error
            throw AdminError(status: nil, detail: "cannot reach \(self.baseURL): \(cause)", unreachable: true)
        }
        let bytes: [UInt8] = if let responseBody { Array(try await ArraySlice(collecting: responseBody, upTo: .max)) } else { [] }
        guard response.status.kind == .successful else { throw AdminError(status: response.status.code, body: bytes) }
        answers.record(bytes)
        return (response, bytes.isEmpty ? nil : HTTPBody(bytes))
    }
}

/// A page of a list answer (`TenantList`, `UserList`, …): its items and the cursor of the next page.
protocol AdminPage {
    var nextCursor: String? { get }
}

extension Components.Schemas.TenantList: AdminPage {}
extension Components.Schemas.ClientList: AdminPage {}
extension Components.Schemas.UserList: AdminPage {}
extension Components.Schemas.OperatorList: AdminPage {}
extension Components.Schemas.SessionList: AdminPage {}
extension Components.Schemas.OrganizationList: AdminPage {}
extension Components.Schemas.MemberList: AdminPage {}
extension Components.Schemas.RoleList: AdminPage {}
extension Components.Schemas.InvitationList: AdminPage {}
extension Components.Schemas.DomainList: AdminPage {}
extension Components.Schemas.AuditEventList: AdminPage {}
extension Components.Schemas.WebhookList: AdminPage {}
extension Components.Schemas.WebhookDeliveryList: AdminPage {}
