import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

/// DPoP proof validation (RFC 9449 §4.3), `htu` normalisation (§4.3 item 9, RFC 3986 §6.2) and
/// the stateless server nonces (§8): each refusal is `invalid_dpop_proof` naming its check.
@Suite("DPoP proofs (RFC 9449)")
struct DPoPTests {
    static let uri = "https://id.example.test/t/acme/token"
    static var now: Date { TestClock.start }

    /// A compact proof signed by `key` with its public JWK in the header; `header` and `claims`
    /// change the defaults of a valid proof.
    static func proof(
        key: SigningKey, header: [String: JSONValue] = [:], claims: [String: JSONValue] = [:], jwk: JSONValue? = nil
    ) throws -> String {
        let publicKey = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(key.publicJWK))
        var head: [String: JSONValue] = ["typ": .string("dpop+jwt"), "alg": .string(key.algorithm.rawValue), "jwk": jwk ?? publicKey]
        head.merge(header) { $1 }
        var body: [String: JSONValue] = [
            "jti": .string(UUID().uuidString), "htm": .string("POST"), "htu": .string(uri), "iat": .number(now.timeIntervalSince1970),
        ]
        body.merge(claims) { $1 }
        let input = Base64URL.encode(Array(JSONValue.object(head).sortedText.utf8)) + "." + Base64URL.encode(Array(JSONValue.object(body).sortedText.utf8))
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }

    @Test("a valid proof of each algorithm yields the key's RFC 7638 thumbprint", arguments: [JWSAlgorithm.eddsa, .es256, .rs256])
    func accepted(algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let proof = try DPoP.validate(try Self.proof(key: key), method: "POST", uri: Self.uri, accessToken: nil, now: Self.now)
        #expect(proof.jkt == (try key.publicJWK.thumbprint()))
        #expect(proof.nonce == nil)
    }

    @Test("ath must be the hash of the access token (§4.3 item 10)")
    func accessTokenHash() throws {
        let key = try SigningKey.generate(.es256)
        let bound = try Self.proof(key: key, claims: ["ath": .string(DPoP.accessTokenHash("token-1"))])
        #expect(throws: Never.self) { try DPoP.validate(bound, method: "POST", uri: Self.uri, accessToken: "token-1", now: Self.now) }
        #expect(throws: OAuthError.self) { try DPoP.validate(bound, method: "POST", uri: Self.uri, accessToken: "token-2", now: Self.now) }
        let missing = try Self.proof(key: key)
        #expect(throws: OAuthError.self) { try DPoP.validate(missing, method: "POST", uri: Self.uri, accessToken: "token-1", now: Self.now) }
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var header: [String: JSONValue] = [:]
        var claims: [String: JSONValue] = [:]
        var privateJWK = false
        var method = "POST"
    }

    static let refusals: [Refusal] = [
        Refusal(testDescription: "typ JWT", header: ["typ": .string("JWT")]),
        Refusal(testDescription: "no typ", header: ["typ": .null]),
        Refusal(testDescription: "alg HS256", header: ["alg": .string("HS256")]),
        Refusal(testDescription: "alg none", header: ["alg": .string("none")]),
        Refusal(testDescription: "no jwk", header: ["jwk": .null]),
        Refusal(testDescription: "private members in the jwk", privateJWK: true),
        Refusal(testDescription: "htm of another method", method: "GET"),
        Refusal(testDescription: "htu of another endpoint", claims: ["htu": .string("https://id.example.test/t/acme/userinfo")]),
        Refusal(testDescription: "htu of another tenant", claims: ["htu": .string("https://id.example.test/t/other/token")]),
        Refusal(testDescription: "htu not a URL", claims: ["htu": .string("token")]),
        Refusal(testDescription: "iat 61 s early", claims: ["iat": .number(TestClock.start.timeIntervalSince1970 - 61)]),
        Refusal(testDescription: "iat 61 s late", claims: ["iat": .number(TestClock.start.timeIntervalSince1970 + 61)]),
        Refusal(testDescription: "no iat", claims: ["iat": .null]),
        Refusal(testDescription: "empty jti", claims: ["jti": .string("")]),
        Refusal(testDescription: "jti of 257 bytes", claims: ["jti": .string(String(repeating: "j", count: 257))]),
        Refusal(testDescription: "nonce not a string", claims: ["nonce": .number(1)]),
    ]

    @Test("every §4.3 check refuses with invalid_dpop_proof", arguments: refusals)
    func refused(_ refusal: Refusal) throws {
        let key = try SigningKey.generate(.es256)
        var jwk: JSONValue?
        if refusal.privateJWK, case .object(var members) = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(key.publicJWK)) {
            members["d"] = .string("AAAA")
            jwk = .object(members)
        }
        let header = refusal.header.filter { $0.value != .null }
        var compact = try Self.proof(key: key, header: header, claims: refusal.claims.filter { $0.value != .null }, jwk: jwk)
        if !refusal.header.filter({ $0.value == .null }).isEmpty || !refusal.claims.filter({ $0.value == .null }).isEmpty {
            compact = try Self.proofWithout(
                key: key, headerMembers: Set(refusal.header.filter { $0.value == .null }.keys),
                claimMembers: Set(refusal.claims.filter { $0.value == .null }.keys))
        }
        do {
            _ = try DPoP.validate(compact, method: refusal.method, uri: Self.uri, accessToken: nil, now: Self.now)
            Issue.record("accepted: \(refusal.testDescription)")
        } catch {
            #expect(error.code == .invalidDPoPProof)
        }
    }

    /// A proof lacking the named header and claim members.
    static func proofWithout(key: SigningKey, headerMembers: Set<String>, claimMembers: Set<String>) throws -> String {
        let publicKey = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(key.publicJWK))
        let head: [String: JSONValue] = ["typ": .string("dpop+jwt"), "alg": .string(key.algorithm.rawValue), "jwk": publicKey]
            .filter { !headerMembers.contains($0.key) }
        let body: [String: JSONValue] = [
            "jti": .string("j-1"), "htm": .string("POST"), "htu": .string(uri), "iat": .number(now.timeIntervalSince1970),
        ].filter { !claimMembers.contains($0.key) }
        let input = Base64URL.encode(Array(JSONValue.object(head).sortedText.utf8)) + "." + Base64URL.encode(Array(JSONValue.object(body).sortedText.utf8))
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }

    @Test("a proof signed by another key than its jwk is refused")
    func foreignSignature() throws {
        let key = try SigningKey.generate(.es256)
        let other = try SigningKey.generate(.es256)
        let otherJWK = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(other.publicJWK))
        let compact = try Self.proof(key: key, jwk: otherJWK)
        #expect(throws: OAuthError.self) { try DPoP.validate(compact, method: "POST", uri: Self.uri, accessToken: nil, now: Self.now) }
    }

    @Test(
        "htu is compared after RFC 3986 normalisation, without query and fragment",
        arguments: [
            ("HTTPS://ID.Example.TEST:443/t/acme/token?x=1#f", "https://id.example.test/t/acme/token"),
            ("http://h.test:80", "http://h.test/"),
            ("https://h.test/a/./b/../c", "https://h.test/a/c"),
            ("https://h.test/%7euser/%2f", "https://h.test/~user/%2F"),
            ("https://h.test:8443/x", "https://h.test:8443/x"),
        ])
    func normalised(presented: String, expected: String) {
        #expect(DPoP.normalizedURI(presented) == expected)
    }

    @Test(
        "URIs that are not absolute http(s) URLs with a host normalise to nil",
        arguments: ["token", "ftp://h.test/x", "https://u@h.test/", "https://:443/", "https://h.test:8x/", "https://h.test/%zz"])
    func notNormalised(uri: String) {
        #expect(DPoP.normalizedURI(uri) == nil)
    }

    @Test("nonces: current and previous window accepted, older and another tenant's refused")
    func nonces() {
        let key = Array(repeating: UInt8(7), count: 32)
        let acme = DPoPNonces(key: key, tenantID: "ten_acme")
        let other = DPoPNonces(key: key, tenantID: "ten_other")
        let nonce = acme.current(at: Self.now)
        #expect(acme.isValid(nonce, at: Self.now))
        #expect(acme.isValid(nonce, at: Self.now.addingTimeInterval(TimeInterval(DPoPNonces.window))))
        #expect(!acme.isValid(nonce, at: Self.now.addingTimeInterval(TimeInterval(3 * DPoPNonces.window))))
        #expect(!other.isValid(nonce, at: Self.now))
        #expect(!acme.isValid("made-up", at: Self.now))
    }

    actor Proofs: DPoPStore {
        var seen: Set<String> = []
        func recordDPoPProof(jti: String, expiresAt: Date) async throws -> Bool { seen.insert(jti).inserted }
        func bindDPoPKey(grantID: GrantID, kind: DPoPBindingKind, jkt: String, at: Date) async throws {}
        func dpopKeys(grantID: GrantID) async throws -> DPoPGrantKeys { DPoPGrantKeys() }
    }

    @Test("a request's proof: replay refused, nonce required, nonce refusal keeps the jti, two headers refused")
    func requests() async throws {
        let key = try SigningKey.generate(.eddsa)
        let store = Proofs()
        let nonces = DPoPNonces(key: Array(repeating: 1, count: 32), tenantID: "ten_acme")
        func request(_ proofs: [String], nonceRequired: Bool = false) -> DPoPRequest {
            DPoPRequest(proofs: proofs, method: "POST", uri: Self.uri, nonces: nonces, nonceRequired: nonceRequired, store: store)
        }
        #expect(try await request([]).accept(now: Self.now) == nil)
        let proof = try Self.proof(key: key)
        #expect(try await request([proof]).accept(now: Self.now)?.jkt == (try key.publicJWK.thumbprint()))
        do {
            _ = try await request([proof]).accept(now: Self.now)
            Issue.record("a replayed proof was accepted")
        } catch let error as OAuthError {
            #expect(error.code == .invalidDPoPProof)
        }
        let fresh = try Self.proof(key: key)
        await #expect(throws: OAuthError.self) { try await request([fresh, fresh]).accept(now: Self.now) }
        do {
            _ = try await request([fresh], nonceRequired: true).accept(now: Self.now)
            Issue.record("accepted without a nonce")
        } catch let error as OAuthError {
            #expect(error.code == .useDPoPNonce)
        }
        // The refusal for the nonce did not use up the jti.
        #expect(try await request([fresh]).accept(now: Self.now) != nil)
        let withNonce = try Self.proof(key: key, claims: ["nonce": .string(nonces.current(at: Self.now))])
        #expect(try await request([withNonce], nonceRequired: true).accept(now: Self.now)?.nonce != nil)
    }
}
