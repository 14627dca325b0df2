import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Request bodies are read before routing, within a size limit and a time limit (RFC 9110 §15.5.14,
/// §15.5.9): a declared `Content-Length` above `maxBodyBytes` is answered 413 at once, without
/// reading; a chunked body that grows past it is answered 413 when it does; a body that stops
/// arriving is answered 408 after `timeout`, well before the idle timeout. Both close the
/// connection. Handlers then read the buffered body as before.
///
/// `largerLimit` may raise the limit for one request (a file upload by an authenticated
/// operator); it sees only the head, and answers before any body byte is buffered.
struct RequestBodyLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let defaultMaxBodyBytes: Int
    let timeout: Duration
    var largerLimit: @Sendable (Request) -> Int? = { _ in nil }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let maxBodyBytes = largerLimit(request) ?? defaultMaxBodyBytes
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        let chunked = request.headers[.transferEncoding]?.lowercased().contains("chunked") == true
        guard chunked || (declared ?? 0) > 0 else { return try await next(request, context) }
        if let declared, declared > maxBodyBytes {
            return Self.refuse(.contentTooLarge, request, "the request body is larger than \(maxBodyBytes) bytes", context)
        }
        var request = request
        let body = request.body
        let limit = maxBodyBytes
        let loop = context.channel.eventLoop
        let outcome: Result<ByteBuffer, any Error> = await withTaskGroup(of: Result<ByteBuffer, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await body.collect(upTo: limit)) } catch { return .failure(error) }
            }
            group.addTask {
                await Self.elapsed(timeout, on: loop) ? .failure(BodyTimeout()) : nil
            }
            var first: Result<ByteBuffer, any Error>?
            while first == nil, let next = await group.next() { first = next }
            group.cancelAll()
            return first ?? .failure(BodyTimeout())
        }
        switch outcome {
        case .success(let buffer):
            request.body = RequestBody(buffer: buffer)
            return try await next(request, context)
        case .failure(is BodyTimeout):
            return Self.refuse(.requestTimeout, request, "the request body did not arrive within \(timeout)", context)
        case .failure:
            return Self.refuse(.contentTooLarge, request, "the request body is larger than \(maxBodyBytes) bytes", context)
        }
    }

    struct BodyTimeout: Error {}

    /// Waits `duration` on `loop`'s timer; returns false at once when the task is cancelled.
    ///
    /// Not `Task.sleep`: a cancelled `Task.sleep` resumes early but leaves its libdispatch timer
    /// queued until the deadline, so a timeout raced against every request body kept rate × timeout
    /// timers queued under load (docs/performance.md). A cancelled event-loop task leaves the
    /// loop's queue at once.
    static func elapsed(_ duration: Duration, on loop: any EventLoop) async -> Bool {
        let state = Mutex<(scheduled: Scheduled<Void>?, cancelled: Bool)>((nil, false))
        let (seconds, attoseconds) = duration.components
        let delay = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let scheduled = loop.scheduleTask(in: delay) {}
                scheduled.futureResult.whenComplete { continuation.resume(returning: (try? $0.get()) != nil) }
                let cancelled = state.withLock { current in
                    current.scheduled = scheduled
                    return current.cancelled
                }
                if cancelled { scheduled.cancel() }
            }
        } onCancel: {
            state.withLock { current in
                current.cancelled = true
                return current.scheduled
            }?.cancel()
        }
    }

    /// A refusal that closes the connection: the rest of the body is never read, so the input side
    /// is closed at once and the server closes the connection after this response. The admin API
    /// gets RFC 9457 problem details; every other route an RFC 6749 §5.2 `invalid_request`.
    static func refuse(_ status: HTTPResponse.Status, _ request: Request, _ message: String, _ context: AppRequestContext) -> Response {
        context.channel.close(mode: .input, promise: nil)
        let admin = request.uri.path.hasPrefix("/admin/")
        let object: [String: Any] =
            admin
            ? [
                "type": "urn:gatehouse:problem:" + (status == .requestTimeout ? "request-timeout" : "content-too-large"),
                "title": status.reasonPhrase, "status": Int(status.code), "detail": message,
            ]
            : ["error": "invalid_request", "error_description": message]
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(
            status: status,
            headers: [
                .contentType: admin ? "application/problem+json" : "application/json",
                .connection: "close", .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Answers a method a known path does not have with 405 and `Allow` listing the ones it has
/// (RFC 9110 §15.5.6), from the router's own route table.
///
/// Hummingbird sends a request whose path matches a route but whose method does not to its
/// not-found responder, which every router middleware wraps; this one turns that 404 into 405.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Route templates split into segments, with their methods.
    let routes: [(segments: [Substring], methods: Set<String>)]

    init(routes: [(path: String, method: String)]) {
        var table: [String: Set<String>] = [:]
        for route in routes { table[route.path, default: []].insert(route.method) }
        self.routes = table.map { (Self.segments($0.key), $0.value) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            guard response.status == .notFound else { return response }
            return methodNotAllowed(request) ?? response
        } catch let error as HTTPError where error.status == .notFound {
            if let refusal = methodNotAllowed(request) { return refusal }
            throw error
        }
    }

    func methodNotAllowed(_ request: Request) -> Response? {
        let allowed = allowed(for: request.uri.path)
        guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { return nil }
        return Response(
            status: .methodNotAllowed,
            headers: [.allow: allowed.sorted().joined(separator: ", "), .contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "method not allowed\n")))
    }

    /// The methods of every route template matching `path`.
    func allowed(for path: String) -> Set<String> {
        let parts = Self.segments(path)
        var methods = Set<String>()
        for route in routes where route.segments.count == parts.count {
            if zip(route.segments, parts).allSatisfy({ template, part in Self.isCapture(template) || template == part }) {
                methods.formUnion(route.methods)
            }
        }
        return methods
    }

    static func segments(_ path: String) -> [Substring] { path.split(separator: "/", omittingEmptySubsequences: true) }

    static func isCapture(_ segment: Substring) -> Bool {
        segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) || segment == "*"
    }
}
