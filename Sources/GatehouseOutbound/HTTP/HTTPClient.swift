public import Foundation
import GatehouseThreads

/// An async HTTP/1.1 and HTTP/2 client over libcurl for the admin CLI, federation fetches and webhooks.
///
/// Every request is validated (method, headers, URL, scheme) before anything is sent, and runs
/// under the client's ``OutboundPolicy``: timeouts, body-size limit, redirect limit with
/// https→http downgrade refusal, always-on TLS verification, and the SSRF guard, which checks
/// the address of every connection curl opens (so a host name that resolves, or re-resolves,
/// to a private address is refused too).
///
/// Transfers run on a private `ThreadPool` of at most `maxConcurrentTransfers` threads, never on
/// the Swift cooperative pool (a transfer blocks its thread); further requests queue.
/// Cancelling the calling task aborts its transfer within about a second and throws
/// `CancellationError`.
///
/// Nothing is logged by this type; `OutboundRequest`/`OutboundResponse` descriptions are redacted.
public final class HTTPClient: Sendable {
    /// The policy applied to every request.
    public let policy: OutboundPolicy
    private let pool: ThreadPool

    /// Creates a client.
    /// - Parameters:
    ///   - policy: limits and safety rules; default ``OutboundPolicy/default``.
    ///   - maxConcurrentTransfers: most transfers in flight at once (threads); default 8.
    public init(policy: OutboundPolicy = .default, maxConcurrentTransfers: Int = 8) {
        self.policy = policy
        self.pool = ThreadPool(workers: maxConcurrentTransfers, name: "gatehouse-http")
    }

    /// Sends `request` and returns the final response (after redirects).
    ///
    /// A response with any status, 4xx and 5xx included, is returned, not thrown.
    /// - Throws: ``OutboundError`` for invalid requests, policy refusals and transport
    ///   failures; `CancellationError` when the task is cancelled.
    public func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        try RequestValidation.validate(method: request.method, headers: request.headers)
        try Task.checkCancellation()
        let transfer = HTTPTransfer(request: request, policy: policy)
        return try await withTaskCancellationHandler {
            try await pool.run { try transfer.run() }
        } onCancel: {
            transfer.cancellation.raise()
        }
    }
}

extension HTTPClient {
    /// `GET url`.
    public func get(url: String, headers: [OutboundHeader] = []) async throws -> OutboundResponse {
        try await send(OutboundRequest(method: "GET", url: url, headers: headers))
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body, as OAuth token requests
    /// use (RFC 6749 Appendix B): UTF-8, space as `+`, everything but `A–Z a–z 0–9 * - . _` percent-encoded.
    /// - Parameter form: name/value pairs in order; duplicates allowed.
    public func postForm(url: String, form: [(String, String)], headers: [OutboundHeader] = []) async throws -> OutboundResponse {
        var headers = headers
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append((name: "Content-Type", value: "application/x-www-form-urlencoded"))
        }
        return try await send(OutboundRequest(method: "POST", url: url, headers: headers, body: Array(FormEncoding.encode(form).utf8)))
    }

    /// `POST url` with a JSON body given as bytes; sets `Content-Type` and `Accept` to
    /// `application/json` unless `headers` has them.
    public func postJSON(url: String, body: [UInt8], headers: [OutboundHeader] = []) async throws -> OutboundResponse {
        try await send(OutboundRequest(method: "POST", url: url, headers: Self.jsonHeaders(headers), body: body))
    }

    /// `POST url` with `value` encoded by `encoder` as the JSON body.
    public func postJSON<Body: Encodable>(
        url: String, encoding value: Body, headers: [OutboundHeader] = [], encoder: JSONEncoder = JSONEncoder()
    ) async throws -> OutboundResponse {
        try await postJSON(url: url, body: Array(encoder.encode(value)), headers: headers)
    }

    private static func jsonHeaders(_ headers: [OutboundHeader]) -> [OutboundHeader] {
        var headers = headers
        for name in ["Content-Type", "Accept"] where !headers.contains(where: { $0.name.lowercased() == name.lowercased() }) {
            headers.append((name: name, value: "application/json"))
        }
        return headers
    }
}

/// `application/x-www-form-urlencoded` serialisation (WHATWG URL §5.2, RFC 6749 Appendix B).
public enum FormEncoding {
    /// Encodes `pairs` as `name=value&name=value`.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes one name or value: space becomes `+`; `A–Z a–z 0–9 * - . _` stay.
    public static func component(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"),
                UInt8(ascii: "."), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
