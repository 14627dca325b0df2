import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStoreTesting
import Synchronization
import Testing

/// Custom claims in issued tokens and userinfo (docs/contract.md A9): computed at every issuance
/// from the user and organization as they are then, per target, per client, within 8 KiB.
@Suite("Custom claims in tokens and userinfo (docs/contract.md A9)")
struct CustomClaimTokenTests {
    /// A token fixture whose tenant has `claims`, and the context that issues with them.
    struct Claims {
        let f: TokenFixture
        let context: TokenContext
        let tokens: TokenService

        init(_ claims: [String: CustomClaim], signingKeys: [SigningKey]? = nil) throws {
            f = try TokenFixture(signingKeys: signingKeys)
            var tenant = f.tenant
            tenant.settings.customClaims = claims
            tokens = TokenService(tenant: tenant, issuer: f.issuer, keys: f.keys, clock: f.clock)
            context = TokenContext(tokens: tokens, store: f.store, refreshReuseGrace: 10)
        }

        init(f: TokenFixture, context: TokenContext, tokens: TokenService) {
            self.f = f
            self.context = context
            self.tokens = tokens
        }

        func token(_ params: [(String, String)], as client: TestClient = .web) async throws -> TokenResponse {
            try await TokenEndpoint.handle(
                parameters: form(params), authorization: basicAuthorization(client.clientID, client.secret!), context: context)
        }

        func signIn(_ client: TestClient = .web, scope: ScopeSet = ["openid", "profile"]) async throws -> TokenResponse {
            let issued = try await f.issueCode(to: client, scope: scope)
            return try await token(f.codeRequest(issued), as: client)
        }

        func setMetadata(public: [String: JSONValue] = [:], private: [String: JSONValue] = [:]) {
            f.store.state.withLock {
                $0.users[f.user.id]?.publicMetadata = `public`
                $0.users[f.user.id]?.privateMetadata = `private`
            }
        }

        func payload(_ token: String?) throws -> [String: JSONValue] {
            let parsed = try JWS.parse(try #require(token))
            guard case .object(let members)? = JSONValue.parse(parsed.payload) else { throw CryptoError.invalidInput("not an object") }
            return members
        }

        func userinfo(_ accessToken: String) async throws -> [String: JSONValue] {
            let answer = try await UserinfoEndpoint.handle(accessToken: accessToken, tokens: tokens, store: f.store)
            guard case .object(let members)? = JSONValue.parse(Array(try JSONEncoder().encode(answer))) else { return [:] }
            return members
        }
    }

    static let claims: [String: CustomClaim] = [
        "plan": "{{user.public_metadata.plan}}",
        "seats": CustomClaim(value: .string("{{user.public_metadata.seats}}"), in: [.accessToken]),
        "crm": CustomClaim(value: .string("crm:{{user.private_metadata.id}}"), in: [.idToken, .userinfo]),
        "tier": CustomClaim(value: .string("{{org.public_metadata.tier}}")),
        "region": CustomClaim(value: .object(["name": .string("eu")]), in: [.accessToken, .idToken]),
    ]

    @Test("each claim goes where its `in` says, with the value of the metadata; absent values omit the claim")
    func targets() async throws {
        let c = try Claims(Self.claims)
        c.setMetadata(public: ["plan": .string("pro"), "seats": .number(5)], private: ["id": .string("C-7")])
        let response = try await c.signIn()
        let access = try c.payload(response.accessToken)
        let id = try c.payload(response.idToken)
        #expect(access["plan"] == .string("pro") && access["seats"] == .number(5) && access["crm"] == nil)
        #expect(access["region"] == .object(["name": .string("eu")]) && access["tier"] == nil)
        #expect(id["plan"] == .string("pro") && id["seats"] == nil && id["crm"] == .string("crm:C-7"))
        let info = try await c.userinfo(response.accessToken)
        #expect(info["plan"] == .string("pro") && info["crm"] == .string("crm:C-7") && info["region"] == nil && info["seats"] == nil)
        // The registered claims are still there and the token still validates.
        #expect(access["sub"] == .string(c.f.user.id.rawValue))
        #expect(try await c.tokens.validateAccessToken(response.accessToken, store: c.f.store).sub == c.f.user.id.rawValue)
    }

    @Test("a refresh picks up changed metadata; a removed value removes the claim")
    func refresh() async throws {
        let c = try Claims(Self.claims)
        c.setMetadata(public: ["plan": .string("free")])
        let first = try await c.signIn()
        #expect(try c.payload(first.accessToken)["plan"] == .string("free"))
        c.setMetadata(public: ["plan": .string("enterprise")])
        let second = try await c.token([("grant_type", "refresh_token"), ("refresh_token", first.refreshToken!)])
        #expect(try c.payload(second.accessToken)["plan"] == .string("enterprise"))
        #expect(try c.payload(second.idToken)["plan"] == .string("enterprise"))
        c.setMetadata()
        let third = try await c.token([("grant_type", "refresh_token"), ("refresh_token", second.refreshToken!)])
        #expect(try c.payload(third.accessToken)["plan"] == nil)
    }

    @Test("a client's claim replaces the tenant's of the same name, for that client only")
    func clientOverride() async throws {
        let c = try Claims(["plan": "tenant", "kept": "yes"])
        var other = TestClient.other.client
        other.customClaims = ["plan": CustomClaim(value: .string("client-{{user.email}}"), in: [.accessToken])]
        c.f.store.insertClient(other)
        let web = try await c.signIn(.web)
        let overridden = try await c.signIn(TestClient(record: other, secret: TestClient.other.secret))
        #expect(try c.payload(web.accessToken)["plan"] == .string("tenant"))
        #expect(try c.payload(overridden.accessToken)["plan"] == .string("client-alice@example.com"))
        #expect(try c.payload(overridden.idToken)["plan"] == nil)
        #expect(try c.payload(overridden.accessToken)["kept"] == .string("yes"))
    }

    @Test("client_credentials carries only the claims without placeholders")
    func clientCredentials() async throws {
        let c = try Claims(["plan": "{{user.public_metadata.plan}}", "env": "staging", "mail": "{{user.email}}"])
        let response = try await c.token([("grant_type", "client_credentials")], as: .machine)
        let access = try c.payload(response.accessToken)
        #expect(access["env"] == .string("staging") && access["plan"] == nil && access["mail"] == nil)
    }

    @Test("the organization placeholder reads the organization the grant acts within, afresh")
    func organization() async throws {
        let c = try Claims(["tier": "{{org.public_metadata.tier}}"])
        let now = c.f.clock.now
        let acme = Organization(
            id: .generate(at: now), name: "Acme", slug: "acme", publicMetadata: ["tier": .string("gold")], createdAt: now,
            updatedAt: now)
        try await c.f.store.insertOrganization(
            acme, firstMember: Membership(organizationID: acme.id, userID: c.f.user.id, role: OrganizationRole.member, createdAt: now, updatedAt: now))
        let issued = try await c.f.issueCode(to: .web, scope: ["openid", "organization"])
        try await c.f.store.setOrganization(of: issued.grant.id, to: acme.id)
        let response = try await c.token(c.f.codeRequest(issued))
        #expect(try c.payload(response.accessToken)["tier"] == .string("gold"))
        #expect(try await c.userinfo(response.accessToken)["tier"] == .string("gold"))
        let personal = try await c.signIn()
        #expect(try c.payload(personal.accessToken)["tier"] == nil)
    }

    @Test(
        "templated claims that would overflow are omitted (and reported by name), keeping every token within 8 KiB",
        arguments: [JWSAlgorithm.eddsa, .rs256])
    func sizeLimit(_ algorithm: JWSAlgorithm) async throws {
        var c = try Claims(
            ["a": "{{user.public_metadata.a}}", "b": "{{user.public_metadata.b}}", "c": "{{user.public_metadata.c}}"],
            signingKeys: [SigningKey.generate(.eddsa), SigningKey.generate(.rs256)])
        let omitted = Mutex<[String]>([])
        var tokens = c.tokens
        tokens.onOmittedClaim = { name, _, reason in
            #expect(reason == .sizeBudget)
            omitted.withLock { $0.append(name) }
        }
        c = Claims(f: c.f, context: TokenContext(tokens: tokens, store: c.f.store, refreshReuseGrace: 10), tokens: tokens)
        let chunk = String(repeating: "z", count: 1900)
        c.setMetadata(public: ["a": .string(chunk), "b": .string(chunk), "c": .string(chunk)])
        let grant = Grant(
            id: .generate(at: c.f.clock.now), clientID: TestClient.web.clientID, userID: c.f.user.id, sessionID: nil,
            scope: ["openid"], authTime: c.f.clock.now, amr: ["pwd"], nonce: nil, createdAt: c.f.clock.now)
        let user = try #require(try await c.f.store.user(id: c.f.user.id))
        let token = try tokens.mintAccessToken(
            client: TestClient.web.client, subject: user.id.rawValue, scope: ["openid"], grant: grant, algorithm: algorithm,
            claimSubject: ClaimSubject(user: user)
        ).token
        #expect(token.utf8.count <= TokenService.maximumTokenSize)
        let payload = try c.payload(token)
        #expect(payload["a"] != nil && payload["b"] != nil && payload["c"] == nil)
        #expect(omitted.withLock { $0 } == ["c"])
    }

    @Test("a stored claim with a registered name is left out of the token and reported as refused")
    func refusedNameReported() async throws {
        var c = try Claims(["sub": "spoof", "plan": "pro"], signingKeys: [SigningKey.generate(.eddsa)])
        let omitted = Mutex<[String]>([])
        var tokens = c.tokens
        tokens.onOmittedClaim = { name, target, reason in
            if target == .accessToken, reason == .refusedName { omitted.withLock { $0.append(name) } }
        }
        c = Claims(f: c.f, context: TokenContext(tokens: tokens, store: c.f.store, refreshReuseGrace: 10), tokens: tokens)
        let user = try #require(try await c.f.store.user(id: c.f.user.id))
        let token = try tokens.mintAccessToken(
            client: TestClient.web.client, subject: user.id.rawValue, scope: ["openid"], grant: nil, algorithm: .eddsa,
            claimSubject: ClaimSubject(user: user)
        ).token
        let payload = try c.payload(token)
        #expect(payload["sub"] == .string(user.id.rawValue))
        #expect(payload["plan"] == .string("pro"))
        #expect(omitted.withLock { $0 } == ["sub"])
    }
}
