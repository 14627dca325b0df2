public import Foundation
public import GatehouseOutbound
public import HTTPTypes
public import OpenAPIRuntime

/// The transport of the generated admin API client (`Client` in Generated/Client.swift): each request
/// goes through GatehouseOutbound's libcurl `HTTPClient`, so the CLI keeps one HTTP stack
/// (docs/architecture.md, "Generated admin API client").
///
/// The URL is `baseURL` (without a trailing `/`) followed by the request's path and query, e.g.
/// `http://127.0.0.1:8080` + `/admin/v1/tenants/acme?limit=10`. Request bodies of up to
/// `maximumRequestBytes` are sent whole; the answer is returned whatever its status (the generated
/// client maps statuses to its `Output` cases; middlewares may turn failures into errors first).
/// The framing headers (`Content-Length`, `Transfer-Encoding`) are left to libcurl.
public struct CurlClientTransport: ClientTransport {
    /// The libcurl client; its `OutboundPolicy` sets the timeouts and the largest answer read.
    public let http: HTTPClient
    /// The largest request body sent, in bytes (default 64 MiB).
    public let maximumRequestBytes: Int

    /// `Content-Length` and `Transfer-Encoding`, which the generated client sets and libcurl computes
    /// itself from the body (`HTTPClient` refuses them).
    static let framingFields: Set<HTTPField.Name> = [.contentLength, .transferEncoding]

    public init(http: HTTPClient, maximumRequestBytes: Int = 64 << 20) {
        self.http = http
        self.maximumRequestBytes = maximumRequestBytes
    }

    /// Sends `request` with `body` to `baseURL`.
    /// - Throws: `OutboundError` when the server cannot be reached or the answer is too large;
    ///   `HTTPBody`'s error when the request body exceeds `maximumRequestBytes`.
    public func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (
        HTTPResponse, HTTPBody?
    ) {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let bytes: [UInt8]? = if let body { Array(try await ArraySlice(collecting: body, upTo: maximumRequestBytes)) } else { nil }
        let answer = try await http.send(
            OutboundRequest(
                method: request.method.rawValue, url: base + (request.path ?? ""),
                headers: request.headerFields.filter { !Self.framingFields.contains($0.name) }.map { ($0.name.rawName, $0.value) },
                body: bytes))
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let response = HTTPResponse(status: .init(code: answer.status), headerFields: fields)
        return (response, answer.body.isEmpty ? nil : HTTPBody(answer.body))
    }
}
