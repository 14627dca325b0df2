/// The final response to an ``OutboundRequest``, after any redirects were followed.
///
/// Non-2xx statuses are responses, not errors. `description`/`debugDescription` show the status,
/// URL, header names and body size only.
public struct OutboundResponse: Sendable {
    /// The HTTP status code, e.g. 200.
    public var status: Int
    /// Response header fields of the final response, in wire order (interim 1xx responses and
    /// redirect responses are not included).
    public var headers: [OutboundHeader]
    /// The response body, at most ``OutboundPolicy/maxResponseBytes`` bytes.
    public var body: [UInt8]
    /// The URL of the final response: the request URL, or the last redirect target.
    public var effectiveURL: String

    public init(status: Int, headers: [OutboundHeader] = [], body: [UInt8] = [], effectiveURL: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.effectiveURL = effectiveURL
    }

    /// The value of the first header named `name` (case-insensitive, RFC 9110 §5.1), or `nil`.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Every value of the headers named `name` (case-insensitive), in wire order; e.g. all `Set-Cookie`s.
    public func headers(named name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// `true` for a 2xx status.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body decoded as UTF-8 (invalid sequences become U+FFFD).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

extension OutboundResponse: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        let names = headers.map(\.name).joined(separator: ",")
        return "\(status) \(Redaction.url(effectiveURL)) [\(names)], body \(body.count) bytes"
    }

    public var debugDescription: String { "OutboundResponse(\(description))" }
}
