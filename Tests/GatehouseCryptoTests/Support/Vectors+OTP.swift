import Foundation

extension Vectors {
    static func rfc2202() throws -> RFC2202 { try load("rfc2202-hmac-sha1") }
    static func base32() throws -> Base32Vectors { try load("rfc4648-base32") }
    static func rfc6238() throws -> RFC6238 { try load("rfc6238-totp") }
}

/// RFC 2202 §3 (HMAC-SHA-1).
struct RFC2202: Decodable, Sendable {
    let hmacSHA1: [DigestVectors.HMAC]
}

/// RFC 4648 §10 (BASE32).
struct Base32Vectors: Decodable, Sendable {
    struct Valid: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let hex: String
        let padded: String
        var description: String { name }
        /// The RFC's padded encoding without its `=` padding, as `Base32.encode` produces it.
        var unpadded: String { String(padded.prefix { $0 != "=" }) }
    }

    let valid: [Valid]
}

/// RFC 6238 Appendix B (SHA-1 rows) and RFC 4226 Appendix D.
struct RFC6238: Decodable, Sendable {
    struct TOTPRow: Decodable, Sendable, CustomStringConvertible {
        let unixTime: Int64
        let stepHex: String
        let code: String
        var description: String { "T = \(unixTime) s" }
        var date: Date { Date(timeIntervalSince1970: TimeInterval(unixTime)) }
        var step: Int64 { Int64(stepHex, radix: 16)! }
    }

    struct HOTPRow: Decodable, Sendable, CustomStringConvertible {
        let counter: Int64
        let code: String
        var description: String { "counter \(counter)" }
    }

    let secretASCII: String
    let totpSHA1: [TOTPRow]
    let hotp: [HOTPRow]
    var secret: [UInt8] { Array(secretASCII.utf8) }
}
