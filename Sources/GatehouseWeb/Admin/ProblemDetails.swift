import Foundation
import GatehouseCore
import GatehouseCrypto
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An RFC 9457 problem details object (`application/problem+json`); thrown, it renders itself
/// (`HTTPResponseError`).
struct ProblemDetails: HTTPResponseError, Encodable, Sendable {
    /// A URN naming the problem type (RFC 9457 §3.1.1: need not resolve).
    var type: String
    var title: String
    /// The HTTP status code, also the `status` member (RFC 9457 §3.1.2).
    var statusCode: Int
    var detail: String
    /// Extension member: every invalid field at once (RFC 9457 §3.2).
    var errors: [FieldError]?
    /// Seconds for the `Retry-After` header of a 429 (RFC 6585 §4); not a member of the body.
    var retryAfter: Int?

    enum CodingKeys: String, CodingKey {
        case type, title, detail, errors
        case statusCode = "status"
    }

    struct FieldError: Encodable, Sendable {
        var field: String
        var message: String
    }

    static func validation(_ errors: [FieldError]) -> Self {
        ProblemDetails(
            type: "urn:gatehouse:problem:validation", title: "Invalid request", statusCode: 422,
            detail: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), errors: errors)
    }

    static func badRequest(_ detail: String) -> Self {
        ProblemDetails(type: "urn:gatehouse:problem:bad-request", title: "Bad request", statusCode: 400, detail: detail)
    }

    static func notFound(_ detail: String) -> Self {
        ProblemDetails(type: "urn:gatehouse:problem:not-found", title: "Not found", statusCode: 404, detail: detail)
    }

    static func conflict(_ detail: String) -> Self {
        ProblemDetails(type: "urn:gatehouse:problem:conflict", title: "Conflict", statusCode: 409, detail: detail)
    }

    /// 412: an `If-Match` condition failed (RFC 9110 §13.1.1, §15.5.13).
    static func preconditionFailed(_ detail: String) -> Self {
        ProblemDetails(type: "urn:gatehouse:problem:precondition-failed", title: "Precondition failed", statusCode: 412, detail: detail)
    }

    /// 422: an `Idempotency-Key` sent again with a different body (draft-ietf-httpapi-idempotency-key-header §2.7).
    static func idempotencyKeyReused() -> Self {
        ProblemDetails(
            type: "urn:gatehouse:problem:idempotency-key-reused", title: "Idempotency-Key reused", statusCode: 422,
            detail: "this Idempotency-Key was used with a different request body")
    }

    /// 413: the body is larger than `limit` bytes.
    static func payloadTooLarge(_ limit: Int) -> Self {
        ProblemDetails(
            type: "urn:gatehouse:problem:content-too-large", title: "Content too large", statusCode: 413,
            detail: "the request body is larger than \(limit) bytes")
    }

    static func unauthorized(_ detail: String) -> Self {
        ProblemDetails(type: "urn:gatehouse:problem:unauthorized", title: "Unauthorized", statusCode: 401, detail: detail)
    }

    static func forbidden(_ detail: String) -> Self {
        ProblemDetails(type: "urn:gatehouse:problem:forbidden", title: "Forbidden", statusCode: 403, detail: detail)
    }

    static func unavailable(_ detail: String) -> Self {
        ProblemDetails(type: "urn:gatehouse:problem:unavailable", title: "Service unavailable", statusCode: 503, detail: detail)
    }

    /// 429: rate limited (RFC 6585 §4), with `Retry-After: seconds`.
    static func tooManyRequests(_ detail: String, retryAfter: Int) -> Self {
        ProblemDetails(
            type: "urn:gatehouse:problem:rate-limited", title: "Too many requests", statusCode: 429, detail: detail,
            retryAfter: retryAfter)
    }

    static func internalError(_ requestID: String) -> Self {
        ProblemDetails(
            type: "urn:gatehouse:problem:internal", title: "Internal server error", statusCode: 500,
            detail: "an internal error occurred (request \(requestID))")
    }

    var status: HTTPResponse.Status { .init(code: statusCode) }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }

    /// `application/problem+json`, `Cache-Control: no-store`; `WWW-Authenticate` on a 401,
    /// `Retry-After` on a 503 (1 second) and a 429 (`retryAfter`).
    var response: Response {
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if statusCode == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"gatehouse-admin\"" }
        if statusCode == 503 { headers[.retryAfter] = "1" }
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        let data = (try? Responses.jsonEncoder.encode(self)) ?? Data()
        return Response(status: .init(code: statusCode), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A JSON object body read field by field, collecting every problem before failing.
struct JSONInput {
    private(set) var object: [String: JSONValue]
    var errors: [ProblemDetails.FieldError] = []

    /// Parses a JSON object body. Where the operation's body is optional (`optional`), a request
    /// without a body and without a `Content-Type` reads as `{}`.
    /// - Throws: `ProblemDetails` 400 when the body is not a JSON object, 415 for another media type.
    init(_ request: Request, limit: Int, optional: Bool = false) async throws {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        let json = type.hasPrefix("application/json") || type.hasPrefix("application/merge-patch+json")
        guard json || (optional && type.isEmpty) else { throw Self.unsupportedMediaType }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch { throw ProblemDetails.badRequest("request body too large") }
        if !json {
            guard buffer.readableBytes == 0 else { throw Self.unsupportedMediaType }
            self.object = [:]
            return
        }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)) else {
            throw ProblemDetails.badRequest("the body is not a JSON object")
        }
        self.object = object
    }

    init(object: [String: JSONValue]) { self.object = object }

    private static let unsupportedMediaType = ProblemDetails(
        type: "urn:gatehouse:problem:unsupported-media-type", title: "Unsupported media type", statusCode: 415,
        detail: "send application/json")

    /// Whether the body names `key`. An explicit `null` counts as given (and is then refused by
    /// the typed readers): request schemas allow null only where it has a meaning, and treating it as
    /// "absent" silently kept values the caller meant to change.
    func has(_ key: String) -> Bool { object[key] != nil }

    /// Whether the body sets `key` to an explicit `null` — for the few fields whose schema gives
    /// null a meaning (`settings.hostname`: back to the default address).
    func isNull(_ key: String) -> Bool {
        if case .null? = object[key] { return true }
        return false
    }

    /// Removes the keys set to an explicit `null` and returns them, for objects where `null`
    /// removes a field (JSON merge patch, RFC 7396 §2).
    mutating func removeNulls() -> [String] {
        let nulls = object.compactMap { key, value -> String? in
            if case .null = value { return key }
            return nil
        }
        for key in nulls { object[key] = nil }
        return nulls
    }

    /// Fails for an explicit `null`. - Returns: whether the value is usable.
    mutating func notNull(_ key: String) -> Bool {
        guard case .null? = object[key] else { return true }
        fail(key, "must not be null; leave the field out to keep its value")
        return false
    }

    mutating func fail(_ field: String, _ message: String) { errors.append(.init(field: field, message: message)) }

    /// No field means U+0000 (the storage backends could not all keep it: PostgreSQL's text cannot).
    static let nulMessage = "must not contain the character U+0000"

    mutating func string(_ key: String, required: Bool = false, maxLength: Int = 1000) -> String? {
        guard has(key) else {
            if required { fail(key, "is required") }
            return nil
        }
        guard notNull(key) else { return nil }
        guard case .string(let value)? = object[key] else { fail(key, "must be a string"); return nil }
        // Lengths count Unicode code points, as JSON Schema's maxLength does (RFC 8259 §7 characters);
        // grapheme clusters would let a string of combining marks through far beyond the limit.
        if value.unicodeScalars.count > maxLength { fail(key, "must be at most \(maxLength) characters"); return nil }
        if value.utf8.contains(0) { fail(key, Self.nulMessage); return nil }
        return value
    }

    /// A name shown to people (tenant, organization): not blank, at most 200 characters, no
    /// control characters or bidirectional overrides (`DisplayName.problem`). Nil when absent or
    /// refused (the refusal is recorded against `key`).
    mutating func displayName(_ key: String, required: Bool = false) -> String? {
        guard let name = string(key, required: required, maxLength: DisplayName.maximumLength) else { return nil }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { fail(key, "must not be empty"); return nil }
        if let problem = DisplayName.problem(name) { fail(key, problem); return nil }
        return name
    }

    mutating func bool(_ key: String) -> Bool? {
        guard has(key) else { return nil }
        guard notNull(key) else { return nil }
        guard case .bool(let value)? = object[key] else { fail(key, "must be a boolean"); return nil }
        return value
    }

    mutating func int(_ key: String) -> Int? {
        guard has(key) else { return nil }
        guard notNull(key) else { return nil }
        guard case .number(let n)? = object[key], let value = Int(exactly: n) else { fail(key, "must be an integer"); return nil }
        return value
    }

    mutating func strings(_ key: String, maxCount: Int = 100) -> [String]? {
        guard has(key) else { return nil }
        guard notNull(key) else { return nil }
        guard case .array(let array)? = object[key] else { fail(key, "must be an array of strings"); return nil }
        var values: [String] = []
        for item in array {
            guard case .string(let s) = item else { fail(key, "must be an array of strings"); return nil }
            if s.utf8.contains(0) { fail(key, Self.nulMessage); return nil }
            values.append(s)
        }
        if values.count > maxCount { fail(key, "must have at most \(maxCount) entries"); return nil }
        return values
    }

    mutating func objectValue(_ key: String) -> JSONInput? {
        guard has(key) else { return nil }
        guard notNull(key) else { return nil }
        guard case .object(let nested)? = object[key] else { fail(key, "must be an object"); return nil }
        return JSONInput(object: nested)
    }

    /// Decodes a structured field; reports `expected` when its shape is wrong.
    mutating func decode<T: Decodable>(_ type: T.Type, _ key: String, expected: String) -> T? {
        guard has(key), let value = object[key] else { return nil }
        guard notNull(key) else { return nil }
        if value.containsNUL { fail(key, Self.nulMessage); return nil }
        guard let data = try? JSONEncoder().encode(value), let decoded = try? JSONDecoder().decode(T.self, from: data) else {
            fail(key, "must be \(expected)")
            return nil
        }
        return decoded
    }

    /// Fails for keys not in `allowed`.
    mutating func rejectUnknown(_ allowed: Set<String>, prefix: String = "") {
        for key in object.keys.sorted() where !allowed.contains(key) { fail(prefix + key, "is not a known field") }
    }

    func check() throws {
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }
}
