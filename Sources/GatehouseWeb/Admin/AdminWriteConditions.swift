import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Conditional and idempotent writes for the admin API (docs/contract.md A11):
///
/// - Every `GET` answered 200 (a resource or a list page) carries a strong `ETag` (RFC 9110 §8.8.3): base64url of the
///   first 16 bytes of SHA-256 over the JSON body, so it changes whenever the representation does.
/// - `PATCH`, `PUT` and `DELETE` honour `If-Match` (RFC 9110 §13.1.1): the resource's current
///   `ETag` is computed from its `GET` handler and the write is refused with 412 unless one of the
///   listed tags (or `*` for an existing resource) matches. The check and the write run under a
///   lock on the resource's path, so no other admin write to that resource of this process falls
///   between them. A resource without a `GET` (a session) has no tag, so `If-Match` there is 412.
/// - `POST` honours `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the first
///   answer (any status below 500 except 409 and 429) is stored for 24 hours per caller, path and
///   key; a retry with the same body gets it again with `Idempotent-Replayed: true`, a retry with
///   another body 422, a retry while the first is still running 409.
final class AdminWriteConditions: Sendable {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    /// The `GET` handler of each route path, registered with the routes.
    private let representations = Mutex<[String: Handler]>([:])
    private let locks = KeyedAsyncLock()
    private let inFlight = Mutex<Set<String>>([])

    /// Largest `Idempotency-Key` accepted, in characters.
    static let maxKeyLength = 255

    func registerRepresentation(path: String, _ handler: @escaping Handler) {
        representations.withLock { $0[path] = handler }
    }

    /// Runs `body`, the handler of `method` on route `path`, with the conditions above.
    func run(
        _ method: HTTPRequest.Method, path: String, request: Request, context: AppRequestContext, store: any InstanceStorage,
        maxBodyBytes: Int, _ body: Handler
    ) async throws -> Response {
        switch method {
        case .get:
            let response = try await body(request, context)
            return await Self.tagged(response)
        case .patch, .put, .delete:
            return try await locks.withLock(Self.resourcePath(request.uri.path)) {
                if let condition = request.headers[.ifMatch] {
                    try await self.check(condition, path: path, request: request, context: context)
                }
                let response = try await body(request, context)
                return method == .delete ? response : await Self.tagged(response)
            }
        case .post:
            guard let key = request.headers[.idempotencyKey] else {
                return try await actionLocked(request, context, body)
            }
            return try await idempotent(key: key, request: request, context: context, store: store, maxBodyBytes: maxBodyBytes, body)
        default:
            return try await body(request, context)
        }
    }

    // MARK: If-Match

    private func check(_ condition: String, path: String, request: Request, context: AppRequestContext) async throws {
        // A malformed value names no entity tag, so it cannot match (412, like a stale tag).
        guard condition.utf8.count <= 1024, let listed = Self.entityTags(condition) else {
            throw ProblemDetails.preconditionFailed("If-Match names no entity tag (RFC 9110 §8.8.3), so it cannot match")
        }
        guard let representation = representations.withLock({ $0[path] }) else {
            throw ProblemDetails.preconditionFailed("this resource has no entity tag, so If-Match cannot match")
        }
        // A missing resource answers its 404 here, as the write itself would.
        var current = try await representation(request, context)
        guard current.status == .ok, let tag = await Self.entityTag(&current) else {
            throw ProblemDetails.preconditionFailed("If-Match does not match the resource's current entity tag")
        }
        // RFC 9110 §13.1.1: `*` matches any current representation; otherwise a strong comparison
        // against each listed tag (weak tags never match).
        let matches = listed.contains("*") || listed.contains { ConstantTime.equals(Array($0.utf8), Array(tag.utf8)) }
        guard matches else {
            throw ProblemDetails.preconditionFailed("If-Match does not match the resource's current entity tag")
        }
    }

    /// The members of an `If-Match` value: `*`, or a list (RFC 9110 §5.6.1, empty members allowed)
    /// of `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE`, `etagc` a visible ASCII character other than
    /// DQUOTE (§8.8.3; obs-text is not accepted). Nil when malformed.
    static func entityTags(_ value: String) -> [String]? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return ["*"] }
        var tags: [String] = []
        var rest = Substring(trimmed)
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            if rest.isEmpty { break }
            let weak = rest.hasPrefix("W/")
            if weak { rest = rest.dropFirst(2) }
            guard rest.first == "\"" else { return nil }
            let body = rest.dropFirst()
            guard let close = body.firstIndex(of: "\"") else { return nil }
            let opaque = body[..<close]
            guard opaque.unicodeScalars.allSatisfy({ $0.value == 0x21 || (0x23...0x7E).contains($0.value) }) else { return nil }
            tags.append((weak ? "W/" : "") + "\"" + opaque + "\"")
            rest = body[body.index(after: close)...].drop { $0 == " " || $0 == "\t" }
            guard rest.isEmpty || rest.first == "," else { return nil }
        }
        return tags.isEmpty ? nil : tags
    }

    /// `response` with its `ETag` when it is a 200 with a body.
    static func tagged(_ response: Response) async -> Response {
        guard response.status == .ok else { return response }
        var response = response
        if let tag = await entityTag(&response) { response.headers[.eTag] = tag }
        return response
    }

    /// The strong entity tag of `response`'s body (which is replaced by the collected bytes).
    static func entityTag(_ response: inout Response) async -> String? {
        guard let bytes = await collect(&response) else { return nil }
        return "\"" + Base64URL.encode(Array(Digest.sha256(bytes).prefix(16))) + "\""
    }

    /// The path of the resource a write touches: an action under a resource
    /// (`clients/{id}/rotate-secret`, `keys/rotate`, `templates/…/test`) locks the resource.
    static func resourcePath(_ path: String) -> String {
        for action in ["/rotate-secret", "/rotate", "/test"] where path.hasSuffix(action) {
            return String(path.dropLast(action.count))
        }
        return path
    }

    // MARK: Idempotency-Key

    private func idempotent(
        key: String, request: Request, context: AppRequestContext, store: any InstanceStorage,
        maxBodyBytes: Int, _ body: Handler
    ) async throws -> Response {
        guard (1...Self.maxKeyLength).contains(key.count), key.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw ProblemDetails.badRequest("Idempotency-Key must be 1 to \(Self.maxKeyLength) visible ASCII characters")
        }
        var request = request
        let requestBody: ByteBuffer
        do { requestBody = try await request.collectBody(upTo: maxBodyBytes) } catch {
            throw ProblemDetails.payloadTooLarge(maxBodyBytes)
        }
        let fingerprint = Digest.sha256(Array(requestBody.readableBytesView))
        let scope = Self.scope(context) + " " + request.uri.path
        let slot = scope + " " + key
        guard inFlight.withLock({ $0.insert(slot).inserted }) else {
            throw ProblemDetails.conflict("a request with this Idempotency-Key is still being processed")
        }
        defer { _ = inFlight.withLock { $0.remove(slot) } }
        if let stored = try await store.idempotentAnswer(scope: scope, key: key) {
            guard ConstantTime.equals(stored.fingerprint, fingerprint) else {
                throw ProblemDetails.idempotencyKeyReused()
            }
            var headers: HTTPFields = [.cacheControl: "no-store", .idempotentReplayed: "true"]
            if let type = stored.contentType { headers[.contentType] = type }
            if let location = stored.location { headers[.location] = location }
            return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
        }
        var response = try await actionLocked(request, context, body)
        let status = response.status.code
        // A file (a tenant export) is not kept: repeating that POST changes nothing, and the
        // instance database is no place for archives.
        guard status < 500, status != 409, status != 429, response.headers[.contentType]?.contains("json") == true,
            let bytes = await Self.collect(&response)
        else { return response }
        let tenant = context.parameters.get("slug").flatMap { store.resolve(slug: $0) }
        try await store.storeIdempotentAnswer(
            .init(
                fingerprint: fingerprint, status: status, contentType: response.headers[.contentType],
                location: response.headers[.location], body: bytes),
            scope: scope, key: key, tenant: tenant)
        return response
    }

    /// Runs a `POST`: an action on a resource (rotating a secret) under the resource's lock, a
    /// create (a new resource) without one.
    private func actionLocked(_ request: Request, _ context: AppRequestContext, _ body: Handler) async throws -> Response {
        let resource = Self.resourcePath(request.uri.path)
        guard resource != request.uri.path else { return try await body(request, context) }
        return try await locks.withLock(resource) { try await body(request, context) }
    }

    /// Who is calling: keys of different callers never meet.
    static func scope(_ context: AppRequestContext) -> String {
        switch context.adminPrincipal {
        case .tenant(let tenant, _, let clientID)?: return "tenant:\(tenant.id.rawValue):\(clientID)"
        default: return "instance"
        }
    }

    /// Reads a response body (admin answers are small, built in memory) and puts it back.
    static func collect(_ response: inout Response) async -> [UInt8]? {
        let collector = BodyCollector()
        do { try await response.body.write(collector) } catch { return nil }
        let bytes = collector.bytes
        response.body = .init(byteBuffer: ByteBuffer(bytes: bytes))
        return bytes
    }
}

/// Gathers a response body's buffers.
private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var bytes: [UInt8] = []
    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// An asynchronous lock per key: callers with the same key run one at a time, in arrival order.
actor KeyedAsyncLock {
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func withLock<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(key)
        do {
            let value = try await body()
            release(key)
            return value
        } catch {
            release(key)
            throw error
        }
    }

    private func acquire(_ key: String) async {
        if waiters[key] == nil {
            waiters[key] = []
            return
        }
        await withCheckedContinuation { waiters[key]!.append($0) }
    }

    private func release(_ key: String) {
        guard var queue = waiters[key] else { return }
        if queue.isEmpty {
            waiters[key] = nil
        } else {
            let next = queue.removeFirst()
            waiters[key] = queue
            next.resume()
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
