import Foundation
import GatehouseCrypto

/// Loads the checked-in specification vectors from `Vectors/*.json` in the test bundle.
enum Vectors {
    struct MissingVector: Error, CustomStringConvertible {
        let name: String
        var description: String { "missing test vector file Vectors/\(name).json" }
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors") else {
            throw MissingVector(name: name)
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    static func rfc8037() throws -> RFC8037 { try load("rfc8037-ed25519") }
    static func rfc7638() throws -> RFC7638 { try load("rfc7638-thumbprint") }
    static func rfc7515() throws -> RFC7515 { try load("rfc7515-jws") }
    static func base64url() throws -> Base64URLVectors { try load("rfc4648-base64url") }
    static func digests() throws -> DigestVectors { try load("digests") }
}

/// RFC 8037 Appendix A.
struct RFC8037: Decodable, Sendable {
    struct PrivateJWK: Decodable, Sendable {
        let kty: String
        let crv: String
        let d: String
        let x: String
    }

    let privateJWK: PrivateJWK
    let publicJWK: JWK
    let thumbprintCanonicalJSON: String
    let thumbprint: String
    let protectedHeader: String
    let payload: String
    let signingInput: String
    let signature: String
    let compact: String
}

/// RFC 7638 §3.1.
struct RFC7638: Decodable, Sendable {
    let jwk: JWK
    let thumbprint: String
}

/// RFC 7515 Appendix A.2 and A.3.
struct RFC7515: Decodable, Sendable {
    struct RS256: Decodable, Sendable {
        let privateJWK: JWK
        let pkcs8: String
        let protectedHeader: String
        let signingInput: String
        let signature: String
    }

    struct ES256: Decodable, Sendable {
        let publicJWK: JWK
        let d: String
        let pkcs8: String
        let protectedHeader: String
        let signingInput: String
        let signature: String
    }

    let rs256: RS256
    let es256: ES256
}

struct Base64URLVectors: Decodable, Sendable {
    struct Valid: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let hex: String
        let encoded: String
        var description: String { name }
    }

    struct Invalid: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let encoded: String
        var description: String { name }
    }

    let valid: [Valid]
    let invalid: [Invalid]
}

struct DigestVectors: Decodable, Sendable {
    struct SHA256: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let messageHex: String
        let digestHex: String
        var description: String { name }
    }

    struct HMAC: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let keyHex: String
        let messageHex: String
        let macHex: String
        var description: String { name }
    }

    let sha256: [SHA256]
    let hmacSHA256: [HMAC]
}

extension [UInt8] {
    /// Bytes from lowercase or uppercase hex; traps on malformed test data.
    init(hex: String) {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0, "odd-length hex in test vector")
        func value(_ digit: UInt8) -> UInt8 {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: preconditionFailure("invalid hex digit in test vector")
            }
        }
        self = stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }

    /// Decodes base64url test data; traps on malformed test data.
    init(base64url: String) {
        guard let bytes = Base64URL.decode(base64url) else { preconditionFailure("invalid base64url in test vector") }
        self = bytes
    }
}
