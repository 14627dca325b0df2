internal import Foundation

/// JWS Compact Serialization (RFC 7515 §7.1): `BASE64URL(header) '.' BASE64URL(payload) '.'
/// BASE64URL(signature)`, every part base64url without padding.
public enum JWS {
    /// Signs `payload` and returns the compact serialization (RFC 7515 §5.1).
    ///
    /// The protected header is `header` serialised as `{"alg":…,"kid":…,"typ":…}` (that order, no
    /// whitespace, `nil` members omitted), so equal inputs give byte-identical headers.
    /// - Parameters:
    ///   - payload: the payload bytes, typically UTF-8 JSON claims of a JWT.
    ///   - header: the header; `header.alg` must equal `key.algorithm.rawValue`.
    ///   - key: the signing key.
    /// - Returns: `b64(header).b64(payload).b64(signature)`, ASCII.
    /// - Throws: ``CryptoError/invalidInput(_:)`` if `header.alg` does not match the key;
    ///   ``CryptoError/operationFailed(_:)`` if signing fails.
    public static func sign(payload: [UInt8], header: JWSHeader, key: SigningKey) throws -> String {
        guard header.alg == key.algorithm.rawValue else {
            throw CryptoError.invalidInput("JWS header alg \"\(header.alg)\" does not match the key's \(key.algorithm.rawValue)")
        }
        let headerJSON = header.compactJSON
        var output: [UInt8] = []
        output.reserveCapacity(
            Base64URL.encodedCount(headerJSON.count) + Base64URL.encodedCount(payload.count) + 2
                + Base64URL.encodedCount(key.algorithm == .rs256 ? 512 : 64))
        Base64URL.append(headerJSON, to: &output)
        output.append(UInt8(ascii: "."))
        Base64URL.append(payload, to: &output)
        let signature = try key.sign(output)
        output.append(UInt8(ascii: "."))
        Base64URL.append(signature, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Splits and decodes a compact JWS without verifying it (RFC 7515 §5.2 steps 1–7).
    ///
    /// Call ``ParsedJWS/verify(with:)`` before trusting the payload.
    /// - Returns: the decoded header, payload and signature, and the signing input.
    /// - Throws: ``CryptoError/invalidInput(_:)`` if the input is not exactly three `.`-separated
    ///   parts, a part is not strict base64url, the header is not a JSON object with a string `alg`
    ///   (and string `kid`/`typ` if present), or the header has a `crit` member: no extensions are
    ///   understood, so RFC 7515 §4.1.11 requires rejecting it.
    public static func parse(_ compact: String) throws -> ParsedJWS {
        var compact = compact
        let parts: (header: [UInt8], payload: [UInt8], signature: [UInt8], signingInput: [UInt8])
        parts = try compact.withUTF8 { bytes in
            let dot = UInt8(ascii: ".")
            guard let firstDot = bytes.firstIndex(of: dot),
                let secondDot = bytes[(firstDot + 1)...].firstIndex(of: dot),
                !bytes[(secondDot + 1)...].contains(dot)
            else {
                throw CryptoError.invalidInput("JWS compact serialization must have exactly three parts")
            }
            func decodePart(_ range: Range<Int>, _ name: String) throws -> [UInt8] {
                guard let decoded = Base64URL.decode(UnsafeBufferPointer(rebasing: bytes[range])) else {
                    throw CryptoError.invalidInput("JWS \(name) is not base64url without padding")
                }
                return decoded
            }
            return (
                try decodePart(0..<firstDot, "header"),
                try decodePart((firstDot + 1)..<secondDot, "payload"),
                try decodePart((secondDot + 1)..<bytes.count, "signature"),
                Array(bytes[0..<secondDot])
            )
        }
        let decoded: ProtectedHeader
        do {
            decoded = try JSONDecoder().decode(ProtectedHeader.self, from: Data(parts.header))
        } catch {
            throw CryptoError.invalidInput("JWS header is not a JSON object with a string \"alg\"")
        }
        guard !decoded.hasCritical else {
            throw CryptoError.invalidInput("JWS header has \"crit\"; no extensions are supported")
        }
        return ParsedJWS(
            header: decoded.header, payload: parts.payload,
            signingInput: parts.signingInput, signature: parts.signature)
    }

    /// The decoded protected header plus whether it names critical extensions.
    private struct ProtectedHeader: Decodable {
        let header: JWSHeader
        let hasCritical: Bool

        private enum CodingKeys: String, CodingKey {
            case crit
        }

        init(from decoder: any Decoder) throws {
            header = try JWSHeader(from: decoder)
            hasCritical = try decoder.container(keyedBy: CodingKeys.self).contains(.crit)
        }
    }
}
