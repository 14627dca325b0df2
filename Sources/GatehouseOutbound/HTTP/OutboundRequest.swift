import Foundation

/// One HTTP header field as sent or received: a name and a value, in wire order.
///
/// A plain tuple so that call sites can write `[("Authorization", "Bearer …")]`.
/// Names compare case-insensitively (RFC 9110 §5.1); duplicates are allowed and kept in order.
public typealias OutboundHeader = (name: String, value: String)

/// An HTTP request for ``HTTPClient/send(_:)``.
///
/// Nothing is checked when the value is built; ``HTTPClient`` validates the method, the URL
/// and every header before any byte leaves the process.
///
/// `description` and `debugDescription` are redacted: they show the method, the scheme, host
/// and path, the header *names* and the body *size*, never header values, query strings or
/// the body, so a request can be interpolated into a log line without leaking credentials.
public struct OutboundRequest: Sendable {
    /// The request method, e.g. `"GET"`, `"POST"`, `"PATCH"`, `"PUT"`, `"DELETE"`, `"HEAD"`.
    /// Must be an RFC 9110 token; it is sent as given (methods are case-sensitive).
    public var method: String
    /// An absolute `http` or `https` URL.
    public var url: String
    /// Request header fields, sent in this order.
    ///
    /// `Host` and `Content-Length` are computed by the client. A request with a body and no
    /// `Content-Type` is sent with no `Content-Type` (rather than curl's form default).
    public var headers: [OutboundHeader]
    /// The request body, or `nil` for none. `POST`, `PUT` and `PATCH` without a body are sent
    /// with `Content-Length: 0`.
    public var body: [UInt8]?

    /// Creates a request.
    /// - Parameters:
    ///   - method: the request method; default `GET`.
    ///   - url: an absolute `http`/`https` URL.
    ///   - headers: header fields in send order.
    ///   - body: the body bytes, or `nil`.
    public init(method: String = "GET", url: String, headers: [OutboundHeader] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

extension OutboundRequest: CustomStringConvertible, CustomDebugStringConvertible {
    /// A redacted one-line summary: method, URL without userinfo/query/fragment, header names, body size.
    public var description: String {
        let names = headers.map(\.name).joined(separator: ",")
        let bodyPart = body.map { ", body \($0.count) bytes" } ?? ""
        return "\(method) \(Redaction.url(url)) [\(names)]\(bodyPart)"
    }

    public var debugDescription: String { "OutboundRequest(\(description))" }
}

/// Helpers that keep secrets out of log lines.
enum Redaction {
    /// `scheme://host:port/path` of `url`: drops userinfo, query and fragment.
    static func url(_ url: String) -> String {
        var text = Substring(url)
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<cut] }
        if let schemeEnd = text.range(of: "://") {
            let authorityStart = schemeEnd.upperBound
            let authorityEnd = text[authorityStart...].firstIndex(of: "/") ?? text.endIndex
            if let at = text[authorityStart..<authorityEnd].lastIndex(of: "@") {
                text = text[..<authorityStart] + text[text.index(after: at)...]
            }
        }
        return String(text)
    }
}
