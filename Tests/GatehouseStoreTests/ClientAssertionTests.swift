import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing

/// JWT client authentication (RFC 7523 §2.2, §3; OIDC Core §9) through `ClientAuthentication`,
/// with the `jti` store, sealed secrets and clients of a real tenant database on every backend:
/// each accepted case and every refusal, which is always `invalid_client` (or `invalid_request`
/// for two methods at once), never another error.
@Suite("Client authentication by JWT (RFC 7523)")
struct ClientAssertionTests {
    static let issuer = "https://id.example.com/t/acme"
    static let tokenURL = issuer + "/token"
    static let audiences: Set<String> = [issuer, tokenURL, issuer + "/introspect"]

    /// A tenant with a `private_key_jwt` client (EdDSA, ES256 and RS256 keys inline), a
    /// `client_secret_jwt` client, and a client registered before the field existed.
    struct World: Sendable {
        let store: any InstanceStorage
        /// Opens another store on the same storage: a restart (SQLite), another node (PostgreSQL).
        let openNode: @Sendable () async throws -> any InstanceStorage
        let db: any TenantHandle
        let clock: TestClock
        let keys: [JWSAlgorithm: SigningKey]
        let keyClient: Client
        let secretClient: Client
        let secret: String
        let legacy: Client
        let legacySecret: String

        var context: ClientAssertionContext {
            ClientAssertionContext(
                audiences: ClientAssertionTests.audiences,
                publicKey: { client, header in
                    let verifiers = (client.jwks ?? []).compactMap { try? SignatureVerifier(jwk: $0) }
                    guard let key = verifiers.first(where: { $0.algorithm.rawValue == header.alg && (header.kid == nil || $0.jwk.kid == header.kid) })
                    else { throw OAuthError.invalidClient("no key matches") }
                    return key
                },
                unseal: { [db] in try db.unseal($0) }, replay: db)
        }

        /// Authenticates a request with these form parameters (and an optional Basic header).
        func authenticate(_ body: [(String, String)], authorization: String? = nil) async throws -> AuthenticatedClient {
            try await ClientAuthentication.authenticate(
                authorization: authorization, parameters: FormParameters(pairs: body.map { (name: $0.0, value: $0.1) }), now: clock.now,
                assertions: context, findClient: db.client(clientID:))
        }

        /// The claims of a valid assertion of `client`, to be changed by a case.
        func claims(_ client: Client) -> [String: JSONValue] {
            let now = clock.now.timeIntervalSince1970
            return [
                "iss": .string(client.clientID), "sub": .string(client.clientID), "aud": .string(ClientAssertionTests.tokenURL),
                "exp": .number(now + 120), "iat": .number(now), "jti": .string(RandomText.base62(count: 22)),
            ]
        }
    }

    static func payload(_ claims: [String: JSONValue]) -> [UInt8] { Array(JSONValue.object(claims).sortedText.utf8) }

    /// A JWS signed with `key` (header `alg` from the key unless `alg` is given, with `kid`).
    static func signed(_ claims: [String: JSONValue], key: SigningKey) throws -> String {
        try JWS.sign(payload: payload(claims), header: JWSHeader(alg: key.algorithm.rawValue, kid: key.publicJWK.kid, typ: "JWT"), key: key)
    }

    /// A JWS with header `header` (JSON text) signed by HMAC-SHA-256 under `hmacKey`, or unsigned when nil.
    static func hmac(_ claims: [String: JSONValue], key hmacKey: [UInt8]?, header: String = #"{"alg":"HS256","typ":"JWT"}"#) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload(claims))
        guard let hmacKey else { return input + "." }
        return input + "." + Base64URL.encode(Digest.hmacSHA256(key: hmacKey, message: Array(input.utf8)))
    }

    static func form(_ assertion: String, extra: [(String, String)] = []) -> [(String, String)] {
        [("grant_type", "client_credentials"), ("client_assertion_type", ClientAssertion.assertionType), ("client_assertion", assertion)] + extra
    }

    /// Runs `body` with a fresh `World` on each backend.
    static func eachBackend(_ body: @escaping @Sendable (World) async throws -> Void) async throws {
        let make: @Sendable (any InstanceStorage, TestClock, @escaping @Sendable () async throws -> any InstanceStorage) async throws -> Void = {
            store, clock, openNode in
            let tenant = try await store.makeTenant("jwt-auth")
            let db = try await store.storage(for: tenant)
            var keys: [JWSAlgorithm: SigningKey] = [:]
            for algorithm in JWSAlgorithm.allCases { keys[algorithm] = try SigningKey.generate(algorithm) }
            var keyClient = Seed.client(at: clock.now)
            keyClient.tokenEndpointAuthMethod = .privateKeyJWT
            keyClient.jwks = keys.values.map(\.publicJWK)
            let secret = ClientKeys.secretKey(environment: .dev)
            var secretClient = Seed.client(at: clock.now)
            secretClient.secretHash = SecretHash.of(secret)
            secretClient.tokenEndpointAuthMethod = .clientSecretJWT
            secretClient.sealedSecret = db.seal(Array(secret.utf8))
            let legacySecret = ClientKeys.secretKey(environment: .dev)
            var legacy = Seed.client(at: clock.now)
            legacy.secretHash = SecretHash.of(legacySecret)
            for client in [keyClient, secretClient, legacy] { try await store.registerClient(client, in: tenant, builtin: nil) }
            try await body(
                World(
                    store: store, openNode: openNode, db: db, clock: clock, keys: keys, keyClient: keyClient, secretClient: secretClient, secret: secret,
                    legacy: legacy,
                    legacySecret: legacySecret))
        }
        try await StoreFixture.withStore { store, fixture in try await make(store, fixture.clock) { try fixture.open() } }
        if PostgresFixture.url != nil {
            try await PostgresFixture.withStore { store, fixture in try await make(store, fixture.clock) { try await fixture.open() } }
        }
    }

    /// Expects `invalid_client` (or `code`) from `attempt`.
    static func refused(
        _ what: Comment, code: OAuthError.Code = .invalidClient, sourceLocation: SourceLocation = #_sourceLocation,
        _ attempt: () async throws -> AuthenticatedClient
    ) async {
        do {
            let client = try await attempt()
            Issue.record("accepted \(client.client.clientID): \(what)", sourceLocation: sourceLocation)
        } catch let error as OAuthError {
            #expect(error.code == code, what, sourceLocation: sourceLocation)
        } catch {
            Issue.record("not an OAuthError (\(error)): \(what)", sourceLocation: sourceLocation)
        }
    }

    @Test("private_key_jwt with EdDSA, ES256 and RS256 keys, client_secret_jwt with HS256; aud may be the issuer or an endpoint")
    func accepted() async throws {
        try await Self.eachBackend { w in
            for (algorithm, key) in w.keys.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let found = try await w.authenticate(Self.form(try Self.signed(w.claims(w.keyClient), key: key)))
                #expect(found.client.clientID == w.keyClient.clientID && found.method == .privateKeyJWT, "\(algorithm)")
            }
            for audience in [Self.issuer, Self.issuer + "/introspect"] {
                var claims = w.claims(w.keyClient)
                claims["aud"] = .array([.string("https://other.example"), .string(audience)])
                _ = try await w.authenticate(Self.form(try Self.signed(claims, key: w.keys[.eddsa]!)))
            }
            let hs = Self.hmac(w.claims(w.secretClient), key: Array(w.secret.utf8))
            let found = try await w.authenticate(Self.form(hs, extra: [("client_id", w.secretClient.clientID)]))
            #expect(found.method == .clientSecretJWT)
            // A client registered before the method existed authenticates as it always did.
            let basic = "Basic " + Data("\(w.legacy.clientID):\(w.legacySecret)".utf8).base64EncodedString()
            #expect(try await w.authenticate([("grant_type", "client_credentials")], authorization: basic).method == .clientSecretBasic)
            #expect(
                try await w.authenticate([("client_id", w.legacy.clientID), ("client_secret", w.legacySecret)]).method == .clientSecretPost)
        }
    }

    @Test("every claim check refuses: iss, sub, aud, exp (passed, too far ahead, missing), nbf, iat, jti")
    func claimChecks() async throws {
        try await Self.eachBackend { w in
            let now = w.clock.now.timeIntervalSince1970
            let key = w.keys[.es256]!
            let cases: [(String, (inout [String: JSONValue]) -> Void)] = [
                ("iss is another client", { $0["iss"] = .string(w.legacy.clientID) }),
                ("sub is another client", { $0["sub"] = .string(w.legacy.clientID) }),
                ("aud names another server", { $0["aud"] = .string("https://evil.example/token") }),
                ("aud is missing", { $0["aud"] = nil }),
                ("expired beyond the leeway", { $0["exp"] = .number(now - 61) }),
                ("exp more than an hour ahead", { $0["exp"] = .number(now + 3600 + 61) }),
                ("exp is missing", { $0["exp"] = nil }),
                ("exp is a string", { $0["exp"] = .string("\(now + 60)") }),
                ("nbf in the future", { $0["nbf"] = .number(now + 120) }),
                ("iat in the future", { $0["iat"] = .number(now + 120) }),
                ("jti is missing", { $0["jti"] = nil }),
                ("jti is too long", { $0["jti"] = .string(String(repeating: "j", count: 257)) }),
            ]
            for (what, change) in cases {
                var claims = w.claims(w.keyClient)
                change(&claims)
                let assertion = try Self.signed(claims, key: key)
                await Self.refused(Comment(rawValue: what)) { try await w.authenticate(Self.form(assertion)) }
            }
            // Within the leeway, an assertion that just expired is still accepted.
            var claims = w.claims(w.keyClient)
            claims["exp"] = .number(now - 30)
            _ = try await w.authenticate(Self.form(try Self.signed(claims, key: key)))
        }
    }

    @Test("a jti is accepted once per client, also across endpoints; housekeeping forgets it after it expires")
    func replay() async throws {
        try await Self.eachBackend { w in
            let assertion = try Self.signed(w.claims(w.keyClient), key: w.keys[.rs256]!)
            _ = try await w.authenticate(Self.form(assertion))
            await Self.refused("the same assertion again") { try await w.authenticate(Self.form(assertion)) }
            let hs = Self.hmac(w.claims(w.secretClient), key: Array(w.secret.utf8))
            _ = try await w.authenticate(Self.form(hs))
            await Self.refused("the same HS256 assertion again") { try await w.authenticate(Self.form(hs)) }
            // The store itself: the first of two uses wins, another client's jti is its own.
            let until = w.clock.now.addingTimeInterval(60)
            #expect(try await w.db.recordClientAssertion(clientID: "pk_a", jti: "j1", expiresAt: until))
            #expect(try await w.db.recordClientAssertion(clientID: "pk_a", jti: "j1", expiresAt: until) == false)
            #expect(try await w.db.recordClientAssertion(clientID: "pk_b", jti: "j1", expiresAt: until))
            let racing = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await w.db.recordClientAssertion(clientID: "pk_a", jti: "race", expiresAt: until) } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(racing.filter { $0 }.count == 1)
            w.clock.advance(61)
            await w.store.purgeExpired()
            #expect(try await w.db.recordClientAssertion(clientID: "pk_a", jti: "j1", expiresAt: until.addingTimeInterval(120)))
        }
    }

    @Test("a used jti stays used after a restart (SQLite) and on another node of the database (PostgreSQL)")
    func replayAcrossNodes() async throws {
        try await Self.eachBackend { w in
            let assertion = try Self.signed(w.claims(w.keyClient), key: w.keys[.eddsa]!)
            _ = try await w.authenticate(Self.form(assertion))
            let node = try await w.openNode()
            defer { (node as? PostgresInstanceStore)?.shutdown() }
            let other = try await node.storage(for: try #require(node.resolve(slug: "jwt-auth")))
            let there = World(
                store: node, openNode: w.openNode, db: other, clock: w.clock, keys: w.keys, keyClient: w.keyClient,
                secretClient: w.secretClient, secret: w.secret, legacy: w.legacy, legacySecret: w.legacySecret)
            await Self.refused("the assertion used on the first node") { try await there.authenticate(Self.form(assertion)) }
            _ = try await there.authenticate(Self.form(try Self.signed(w.claims(w.keyClient), key: w.keys[.eddsa]!)))
            // The sealed secret opens on the other node too (same master key).
            _ = try await there.authenticate(Self.form(Self.hmac(w.claims(w.secretClient), key: Array(w.secret.utf8))))
        }
    }

    @Test("signatures: alg none, HS256 keyed with the public key (alg confusion), wrong key, unknown kid, garbage, oversize")
    func signatures() async throws {
        try await Self.eachBackend { w in
            let claims = w.claims(w.keyClient)
            await Self.refused("alg none") { try await w.authenticate(Self.form(Self.hmac(claims, key: nil, header: #"{"alg":"none"}"#))) }
            // The public key's bytes as an HMAC key: a verifier that trusted the header's alg would accept it.
            let publicBytes = Array(try JSONEncoder().encode(w.keys[.rs256]!.publicJWK))
            let confused = Self.hmac(claims, key: publicBytes)
            await Self.refused("HS256 for a private_key_jwt client") { try await w.authenticate(Self.form(confused)) }
            let stranger = try SigningKey.generate(.eddsa)
            await Self.refused("a key the client did not register") {
                try await w.authenticate(Self.form(try JWS.sign(payload: Self.payload(claims), header: JWSHeader(alg: "EdDSA"), key: stranger)))
            }
            await Self.refused("an unknown kid") {
                try await w.authenticate(
                    Self.form(try JWS.sign(payload: Self.payload(claims), header: JWSHeader(alg: "EdDSA", kid: "nope"), key: w.keys[.eddsa]!)))
            }
            // One character inside the signature, always a different one (replacing the last two
            // with "AA" left the signature unchanged about once in 256 runs).
            var tampered = Array(try Self.signed(claims, key: w.keys[.es256]!))
            let inside = tampered.count - 20
            tampered[inside] = tampered[inside] == "A" ? "B" : "A"
            await Self.refused("a changed signature") { try await w.authenticate(Self.form(String(tampered))) }
            for garbage in ["", "x", "a.b.c", "...", "eyJhbGciOiJFUzI1NiJ9.e30.", String(repeating: "A", count: 9000), "\u{0}.\u{0}.\u{0}"] {
                await Self.refused(Comment(rawValue: "garbage \(garbage.prefix(12))")) { try await w.authenticate(Self.form(garbage)) }
            }
            var huge = claims
            huge["pad"] = .string(String(repeating: "p", count: 9000))
            let oversize = try Self.signed(huge, key: w.keys[.eddsa]!)
            await Self.refused("an assertion over 8 KiB") { try await w.authenticate(Self.form(oversize)) }
            // client_secret_jwt: the wrong secret, an RS256 assertion, and a secret of another client.
            let sc = w.claims(w.secretClient)
            await Self.refused("HS256 with the wrong secret") { try await w.authenticate(Self.form(Self.hmac(sc, key: Array("wrong".utf8)))) }
            await Self.refused("RS256 for a client_secret_jwt client") { try await w.authenticate(Self.form(try Self.signed(sc, key: w.keys[.rs256]!))) }
            await Self.refused("the legacy client's secret") {
                try await w.authenticate(Self.form(Self.hmac(sc, key: Array(w.legacySecret.utf8))))
            }
        }
    }

    @Test("the registered method is the only one: other methods, two at once, wrong assertion type, client_id mismatch")
    func methods() async throws {
        try await Self.eachBackend { w in
            let basic = "Basic " + Data("\(w.secretClient.clientID):\(w.secret)".utf8).base64EncodedString()
            await Self.refused("client_secret_basic for a client_secret_jwt client") {
                try await w.authenticate([("grant_type", "client_credentials")], authorization: basic)
            }
            await Self.refused("client_secret_post for a client_secret_jwt client") {
                try await w.authenticate([("client_id", w.secretClient.clientID), ("client_secret", w.secret)])
            }
            await Self.refused("no credentials for a private_key_jwt client") { try await w.authenticate([("client_id", w.keyClient.clientID)]) }
            await Self.refused("an assertion for a client_secret_basic client") {
                try await w.authenticate(Self.form(Self.hmac(w.claims(w.legacy), key: Array(w.legacySecret.utf8))))
            }
            let assertion = try Self.signed(w.claims(w.keyClient), key: w.keys[.eddsa]!)
            await Self.refused("an assertion and a Basic header", code: .invalidRequest) {
                try await w.authenticate(Self.form(assertion), authorization: basic)
            }
            await Self.refused("an assertion and client_secret", code: .invalidRequest) {
                try await w.authenticate(Self.form(assertion, extra: [("client_secret", "x")]))
            }
            await Self.refused("another client_assertion_type") {
                try await w.authenticate([
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"), ("client_assertion", assertion),
                ])
            }
            await Self.refused("client_assertion_type without an assertion") {
                try await w.authenticate([("client_assertion_type", ClientAssertion.assertionType), ("client_id", w.keyClient.clientID)])
            }
            await Self.refused("client_id of another client") {
                try await w.authenticate(Self.form(assertion, extra: [("client_id", w.legacy.clientID)]))
            }
        }
    }

    @Test("client_secret_jwt after a rotation: the new secret, and the old one only within the overlap")
    func rotation() async throws {
        try await Self.eachBackend { w in
            let newSecret = ClientKeys.secretKey(environment: .dev)
            var rotated = w.secretClient.rotatingSecret(to: newSecret, overlap: 600, at: w.clock.now)
            #expect(rotated.sealedSecret == nil && rotated.sealedPreviousSecret == w.secretClient.sealedSecret)
            rotated.sealedSecret = w.db.seal(Array(newSecret.utf8))
            try await w.db.updateClient(rotated)
            #expect(try await w.db.client(clientID: rotated.clientID) == rotated)
            _ = try await w.authenticate(Self.form(Self.hmac(w.claims(w.secretClient), key: Array(newSecret.utf8))))
            _ = try await w.authenticate(Self.form(Self.hmac(w.claims(w.secretClient), key: Array(w.secret.utf8))))
            w.clock.advance(601)
            await Self.refused("the old secret after the overlap") {
                try await w.authenticate(Self.form(Self.hmac(w.claims(w.secretClient), key: Array(w.secret.utf8))))
            }
        }
    }
}
