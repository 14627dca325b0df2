import Foundation
import GatehouseCore
import GatehouseCrypto
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Builders for the responses every controller returns, so that headers are decided in one place.
enum Responses {
    static let jsonEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    /// For documents that caches and people compare byte for byte (discovery, JWKS, admin views):
    /// members in sorted order.
    static let sortedEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    /// A JSON body.
    static func json(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:],
        noStore: Bool = false, sorted: Bool = false
    ) -> Response {
        let data = (try? (sorted ? sortedEncoder : jsonEncoder).encode(value)) ?? Data("{}".utf8)
        return json(body: ByteBuffer(bytes: data), status: status, headers: headers, noStore: noStore)
    }

    /// A JSON body already serialised (`body`: UTF-8 JSON).
    static func json(body: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], noStore: Bool = false) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        if noStore {
            fields[.cacheControl] = "no-store"
            fields[.pragma] = "no-cache"
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }

    /// RFC 6750 §3: `Bearer realm="…", error="…", error_description="…"`; without `error` when the
    /// request carried no token (§3.1).
    static func bearerChallenge(issuer: String, error: OAuthError?) -> String {
        var value = "Bearer realm=\"\(issuer)\""
        if let error {
            value += ", error=\"\(error.code.rawValue)\", error_description=\"\(error.description.replacingOccurrences(of: "\"", with: "'"))\""
        }
        return value
    }

    /// A redirect. 303 so that a POST is followed by a GET (RFC 9700 §4.12).
    static func redirect(to location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: fields)
    }

    /// An HTML page with the security headers of every page (CSP with `frame-ancestors 'none'`,
    /// `nosniff`, `no-referrer`).
    /// - Parameters:
    ///   - formActions: extra `form-action` sources (e.g. the redirect URI's origin for form_post).
    ///   - scripts: built-in inline scripts the page may run, allowed by their hash.
    ///   - framesSelf: the page may show frames of its own origin (`frame-src 'self'`: the
    ///     console's template preview).
    static func html(
        _ body: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:],
        formActions: [String] = [], scripts: [BuiltInScript] = [], framesSelf: Bool = false
    ) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        SecurityHeaders.apply(to: &fields, formActions: formActions, scripts: scripts, framesSelf: framesSelf)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// An inline script that is part of Gatehouse, never of a template: the server inserts it into the
/// rendered page and the page's CSP allows it by its SHA-256 (CSP Level 3 §8.3 hash-source). No
/// page carries a nonce, so a tenant's template override cannot mark a script of its own as allowed
/// (every tenant of a path-based deployment shares one origin).
struct BuiltInScript: Sendable {
    /// The script's text, exactly as inserted.
    let source: String
    /// `'sha256-…'` (base64 of the SHA-256 of `source`'s UTF-8 bytes).
    let hashSource: String

    init(_ source: String) {
        self.source = source
        hashSource = "'sha256-" + Data(Digest.sha256(source)).base64EncodedString() + "'"
    }

    /// OAuth 2.0 Form Post Response Mode §2: submit the page's form at once.
    static let autoSubmit = BuiltInScript("document.forms[0].submit()")

    /// `html` with this script inserted before its closing `</body>` (or at its end).
    func inserted(into html: String) -> String {
        let tag = "<script>\(source)</script>"
        guard let close = html.range(of: "</body>", options: [.backwards, .caseInsensitive]) else { return html + tag }
        return html.replacingCharacters(in: close.lowerBound..<close.lowerBound, with: tag)
    }
}

/// Security headers of HTML responses.
enum SecurityHeaders {
    static func contentSecurityPolicy(formActions: [String], scripts: [BuiltInScript], framesSelf: Bool = false) -> String {
        let scripts = scripts.isEmpty ? "'none'" : scripts.map(\.hashSource).joined(separator: " ")
        let actions = (["'self'"] + formActions).joined(separator: " ")
        return "default-src 'none'; script-src \(scripts); style-src 'self'; img-src 'self' data:; "
            + (framesSelf ? "frame-src 'self'; " : "") + "form-action \(actions); frame-ancestors 'none'; base-uri 'none'"
    }

    /// The policy of a document shown only inside a frame of the console (a template preview):
    /// framed by its own origin only, sandboxed (no script, no form, no plugin, an opaque origin:
    /// CSP Level 3 §6.3.2), its styles and images from the server.
    static let framedPreviewPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"

    static func apply(to fields: inout HTTPFields, formActions: [String] = [], scripts: [BuiltInScript] = [], framesSelf: Bool = false) {
        fields[.contentSecurityPolicy] = contentSecurityPolicy(formActions: formActions, scripts: scripts, framesSelf: framesSelf)
        fields[.xContentTypeOptions] = "nosniff"
        fields[.referrerPolicy] = "no-referrer"
        fields[.xFrameOptions] = "DENY"
    }
}

extension HTTPField.Name {
    static let pragma = Self("Pragma")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}

extension Request {
    /// The body, up to `limit` bytes, as UTF-8.
    /// - Throws: `OAuthError.invalidRequest` when it is larger or not UTF-8.
    func bodyText(limit: Int) async throws -> String {
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch {
            throw OAuthError.invalidRequest("request body too large")
        }
        guard let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) else {
            throw OAuthError.invalidRequest("request body is not UTF-8")
        }
        return text
    }

    /// The form body of a POST (`application/x-www-form-urlencoded`, RFC 6749 §3.2).
    /// - Throws: `OAuthError.invalidRequest` for another content type, an oversized body or bad encoding.
    func formParameters(limit: Int) async throws -> FormParameters {
        let type = headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        return try FormParameters(encoded: try await bodyText(limit: limit))
    }

    /// The query string's parameters.
    var queryParameters: FormParameters {
        (try? FormParameters(encoded: uri.query ?? "")) ?? FormParameters(pairs: [])
    }

    /// Whether the URL carries a query string with parameters.
    var hasQueryParameters: Bool { !(uri.query ?? "").isEmpty }
}
