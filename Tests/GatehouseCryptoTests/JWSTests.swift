import GatehouseCrypto
import Testing

@Suite("JWS compact serialization (RFC 7515 §7.1)")
struct JWSTests {
    static let payload = Array(#"{"sub":"alice","aud":"client-1"}"#.utf8)

    @Test("sign then parse round-trips header and payload and verifies", arguments: JWSAlgorithm.allCases)
    func roundTrip(_ algorithm: JWSAlgorithm) throws {
        let key = try TestKeys.a(algorithm)
        let header = JWSHeader(alg: algorithm.rawValue, kid: "key-1", typ: "JWT")
        let compact = try JWS.sign(payload: Self.payload, header: header, key: key)
        #expect(compact.split(separator: ".", omittingEmptySubsequences: false).count == 3)
        let parsed = try JWS.parse(compact)
        #expect(parsed.header == header)
        #expect(parsed.payload == Self.payload)
        let lastDot = compact.utf8.lastIndex(of: UInt8(ascii: "."))!
        #expect(parsed.signingInput == Array(compact.utf8[..<lastDot]))
        #expect(parsed.verify(with: key.verifier))
        #expect(!parsed.verify(with: try TestKeys.b(algorithm).verifier))
    }

    @Test("the protected header is {\"alg\",\"kid\",\"typ\"} in that order, without whitespace, nil members omitted")
    func headerSerialization() throws {
        let key = try TestKeys.a(.eddsa)
        func headerJSON(_ header: JWSHeader) throws -> String {
            let compact = try JWS.sign(payload: [], header: header, key: key)
            let part = String(compact.split(separator: ".", omittingEmptySubsequences: false)[0])
            return String(decoding: Base64URL.decode(part) ?? [], as: UTF8.self)
        }
        #expect(try headerJSON(JWSHeader(alg: "EdDSA", kid: "k1", typ: "JWT")) == #"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#)
        #expect(try headerJSON(JWSHeader(alg: "EdDSA", typ: "at+jwt")) == #"{"alg":"EdDSA","typ":"at+jwt"}"#)
        #expect(try headerJSON(JWSHeader(alg: "EdDSA")) == #"{"alg":"EdDSA"}"#)
    }

    @Test(
        "header strings that need JSON escaping survive a round trip", arguments: [#"quo"te"#, #"back\slash"#, "line\nbreak", "tab\tand\u{1}ctl", "ünï/cødé"])
    func headerEscaping(_ kid: String) throws {
        let key = try TestKeys.a(.eddsa)
        let compact = try JWS.sign(payload: Self.payload, header: JWSHeader(alg: "EdDSA", kid: kid), key: key)
        let parsed = try JWS.parse(compact)
        #expect(parsed.header.kid == kid)
        #expect(parsed.verify(with: key.verifier))
    }

    @Test("sign refuses a header alg that differs from the key's algorithm", arguments: ["ES256", "none", "HS256", "eddsa"])
    func signRejectsMismatchedAlg(_ alg: String) throws {
        let key = try TestKeys.a(.eddsa)
        #expect(throws: CryptoError.self) { try JWS.sign(payload: Self.payload, header: JWSHeader(alg: alg), key: key) }
    }

    /// A compact JWS with the given header JSON, payload and raw signature, assembled by hand.
    static func assemble(header: String, payload: [UInt8] = payload, signWith key: SigningKey?) throws -> String {
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let signature = try key?.sign(Array(signingInput.utf8)) ?? []
        return signingInput + "." + Base64URL.encode(signature)
    }

    @Test("verify rejects a header alg that differs from the verifier's, even when the signature is valid")
    func verifyRejectsAlgMismatch() throws {
        let key = try TestKeys.a(.eddsa)
        let lying = try JWS.parse(Self.assemble(header: #"{"alg":"ES256"}"#, signWith: key))
        #expect(!lying.verify(with: key.verifier))
        let honest = try JWS.parse(Self.assemble(header: #"{"alg":"EdDSA"}"#, signWith: key))
        #expect(honest.verify(with: key.verifier))
        #expect(!honest.verify(with: try TestKeys.a(.es256).verifier))
        #expect(!honest.verify(with: try TestKeys.a(.rs256).verifier))
    }

    @Test("verify never accepts alg none, with or without a signature", arguments: JWSAlgorithm.allCases)
    func verifyRejectsNone(_ algorithm: JWSAlgorithm) throws {
        let key = try TestKeys.a(algorithm)
        let unsecured = try JWS.parse(Self.assemble(header: #"{"alg":"none"}"#, signWith: nil))
        #expect(unsecured.signature.isEmpty)
        #expect(!unsecured.verify(with: key.verifier))
        let signedNone = try JWS.parse(Self.assemble(header: #"{"alg":"none"}"#, signWith: key))
        #expect(!signedNone.verify(with: key.verifier))
    }

    static let validHeader = Base64URL.encode(#"{"alg":"EdDSA"}"#)
    static let validPayload = Base64URL.encode("{}")
    static let validSignature = Base64URL.encode(Array(repeating: UInt8(7), count: 64))

    struct MalformedRow: Sendable, CustomStringConvertible {
        let description: String
        let compact: String
    }

    static let malformed: [MalformedRow] = [
        MalformedRow(description: "empty string", compact: ""),
        MalformedRow(description: "two parts", compact: "\(validHeader).\(validPayload)"),
        MalformedRow(description: "four parts", compact: "\(validHeader).\(validPayload).\(validSignature).x"),
        MalformedRow(description: "five parts (JWE-shaped)", compact: "\(validHeader)..\(validPayload).\(validSignature).x"),
        MalformedRow(description: "only dots", compact: ".."),
        MalformedRow(description: "padded header", compact: "\(Base64URL.encode(#"{"alg":"ES256"}"#))=.\(validPayload).\(validSignature)"),
        MalformedRow(description: "standard-alphabet '+' in signature", compact: "\(validHeader).\(validPayload).\(validSignature.dropLast())+"),
        MalformedRow(description: "whitespace in payload", compact: "\(validHeader). \(validPayload).\(validSignature)"),
        MalformedRow(description: "header is not JSON", compact: "\(Base64URL.encode("alg=EdDSA")).\(validPayload).\(validSignature)"),
        MalformedRow(description: "header is a JSON array", compact: "\(Base64URL.encode(#"["EdDSA"]"#)).\(validPayload).\(validSignature)"),
        MalformedRow(description: "header without alg", compact: "\(Base64URL.encode(#"{"typ":"JWT"}"#)).\(validPayload).\(validSignature)"),
        MalformedRow(description: "alg is not a string", compact: "\(Base64URL.encode(#"{"alg":1}"#)).\(validPayload).\(validSignature)"),
        MalformedRow(description: "kid is not a string", compact: "\(Base64URL.encode(#"{"alg":"EdDSA","kid":7}"#)).\(validPayload).\(validSignature)"),
        MalformedRow(
            description: "crit names an extension we do not understand (RFC 7515 §4.1.11)",
            compact: "\(Base64URL.encode(#"{"alg":"EdDSA","crit":["exp"],"exp":1}"#)).\(validPayload).\(validSignature)"),
        MalformedRow(
            description: "b64 false requires crit and is refused (RFC 7797)",
            compact: "\(Base64URL.encode(#"{"alg":"EdDSA","b64":false,"crit":["b64"]}"#)).\(validPayload).\(validSignature)"),
    ]

    @Test("parse rejects malformed compact serializations with invalidInput", arguments: malformed)
    func parseRejects(_ row: MalformedRow) {
        let error = #expect(throws: CryptoError.self) { try JWS.parse(row.compact) }
        guard case .invalidInput = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
    }

    @Test("parse accepts unknown non-critical header members and an empty payload")
    func parseAcceptsUnknownMembers() throws {
        let header = Base64URL.encode(#"{"alg":"EdDSA","x5t":"abc","typ":"JWT"}"#)
        let parsed = try JWS.parse("\(header)..\(Self.validSignature)")
        #expect(parsed.header == JWSHeader(alg: "EdDSA", typ: "JWT"))
        #expect(parsed.payload.isEmpty)
        #expect(parsed.signingInput == Array("\(header).".utf8))
    }
}
