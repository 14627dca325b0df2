/// Checks a request before anything is sent (RFC 9110 §5.1, §5.5, §9.1).
enum RequestValidation {
    /// RFC 9110 §5.6.2 `tchar`.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default:
                    return "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }

    /// Headers the client computes itself; a caller-supplied one could desynchronise framing.
    static let framingHeaders: Set<String> = ["content-length", "transfer-encoding"]

    /// Validates the method and headers.
    /// - Throws: ``OutboundError/invalidRequest(_:)`` for a method or header name that is not a
    ///   token, a framing header, or a header value containing CR, LF or NUL (RFC 9110 §5.5:
    ///   "a recipient MUST ... reject" such values; sending one would inject headers).
    static func validate(method: String, headers: [OutboundHeader]) throws(OutboundError) {
        guard isToken(method) else { throw .invalidRequest("method is not an RFC 9110 token") }
        for header in headers {
            guard isToken(header.name) else {
                throw .invalidRequest("header name \(String(reflecting: header.name)) is not an RFC 9110 token")
            }
            guard !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw .invalidRequest("value of header \(header.name) contains CR, LF or NUL")
            }
            guard !framingHeaders.contains(header.name.lowercased()) else {
                throw .invalidRequest("\(header.name) is computed by the client")
            }
        }
    }
}
