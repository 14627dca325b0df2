import Foundation
import GatehouseCore
import GatehouseCrypto
@testable import GatehouseStore
import GRDB
import Logging
import Testing

/// A data folder of today's schema (every migration up to 2026-12-13-console-roles-v1, with the device authorizations of 2026-12-10, the back-channel logout deliveries of 2026-12-11 the client registrations of 2026-12-14, the grants' resources of 2026-12-15, the DPoP tables of 2026-12-16, the passkeys of 2026-12-17 and their attestation flag of 2026-12-18: tenant hostnames, console
/// enrolments, organizations, their invitations, domains and SSO, user metadata and client custom
/// claims, the audit log, webhook endpoints, users' profiles, client JWT authentication, template versions, console roles, pushed authorizations, device authorizations, logout deliveries, client registrations) opens, migrates (nothing to do) and reads its rows back through the protocols.
/// `MigrationTests` covers the first shipped schema; when a migration ships, write a new folder
/// with `GATEHOUSE_WRITE_SCHEMA_FIXTURE=1 swift test --filter CurrentSchemaFixtureTests` and keep
/// this one as a shipped schema (docs/architecture.md, Storage).
@Suite("Migrations from today's schema", .serialized)
struct CurrentSchemaFixtureTests {
    static let name = "schema-2026-12-09"
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")

    struct Facts: Codable {
        var tenant: String, hostname: String, client_id: String, client_secret: String, email: String, password: String
        var session_id: String, refresh_token: String, enrolment_id: String, totp_secret: String, written_at: Double
        /// An organization whose owner is the user (written since 2026-12-04).
        var organization_id: String?
        /// A pending invitation of that organization and its link token (written since 2026-12-05).
        var invitation_id: String?
        var invitation_token: String?
        /// A webhook endpoint and its secret (written since 2026-12-06).
        var webhook_id: String?
        var webhook_secret: String?
        /// A client_secret_jwt client and its (sealed) secret, a private_key_jwt client with an
        /// inline key, and a jti the latter used (written since 2026-12-07).
        var secret_jwt_client_id: String?
        var secret_jwt_client_secret: String?
        var key_jwt_client_id: String?
        var key_jwt_used_jti: String?
    }

    /// The inline key of the fixture's private_key_jwt client.
    static let clientKey = JWK(kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "fixture")

    /// Users' metadata and clients' custom claims (docs/contract.md A9).
    static let publicMetadata: [String: JSONValue] = ["plan": .string("pro"), "seats": .number(5)]
    static let privateMetadata: [String: JSONValue] = ["crm_id": .string("C-1")]
    static let customClaims: [String: CustomClaim] = [
        "plan": "{{user.public_metadata.plan}}", "region": CustomClaim(value: .object(["name": .string("eu")]), in: [.idToken]),
    ]

    @Test("writes the fixture folder", .enabled(if: ProcessInfo.processInfo.environment["GATEHOUSE_WRITE_SCHEMA_FIXTURE"] != nil))
    func write() async throws {
        let fm = FileManager.default
        try? fm.removeItem(at: Self.fixture)
        try fm.createDirectory(at: Self.fixture, withIntermediateDirectories: true)
        let key = SecretBox.generateKey()
        try Data(key).write(to: Self.fixture.appendingPathComponent("master.key"))
        let clock = TestClock()
        let now = clock.now
        var facts = Facts(
            tenant: "acme", hostname: "login.acme.example", client_id: "", client_secret: ClientKeys.secretKey(environment: .live),
            email: "ada@example.com", password: "correct horse battery staple", session_id: "", refresh_token: RandomText.bearerSecret(),
            enrolment_id: RandomText.bearerSecret(), totp_secret: Base64URL.encode(SecureRandom.bytes(20)),
            written_at: now.timeIntervalSince1970)
        do {
            let store = try InstanceStore(
                configuration: StoreConfiguration(dataDirectory: Self.fixture), masterKey: key, clock: clock,
                logger: Logger(label: "gatehouse.fixture"))
            var settings = TenantSettings()
            settings.hostname = facts.hostname
            let tenant = try await store.createTenant(slug: facts.tenant, name: "Acme", environment: .live, settings: settings)
            var client = Seed.client(at: now)
            client.secretHash = SecretHash.of(facts.client_secret)
            client.customClaims = Self.customClaims
            facts.client_id = client.clientID
            try await store.registerClient(client, in: tenant)
            let db = try await store.database(for: tenant)
            var user = Seed.user(email: facts.email, at: now)
            user.passwordHash = try PasswordHasher().hash(facts.password)
            user.publicMetadata = Self.publicMetadata
            user.privateMetadata = Self.privateMetadata
            try await db.insertUser(user)
            try await db.setConsoleRole(.tenantViewer, of: user.id, at: now)
            let session = Seed.session(user: user.id, at: now, lifetime: 86400 * 365)
            facts.session_id = session.id.rawValue
            try await db.insertSession(session)
            let organization = Organization(
                id: .generate(at: now), name: "Acme Corp", slug: "acme-corp", publicMetadata: ["plan": .string("pro")],
                createdAt: now, updatedAt: now)
            try await db.insertOrganization(
                organization,
                firstMember: Membership(organizationID: organization.id, userID: user.id, role: OrganizationRole.owner, createdAt: now, updatedAt: now))
            facts.organization_id = organization.id.rawValue
            let token = RandomText.bearerSecret()
            let invitation = OrganizationInvitation(
                id: .generate(at: now), organizationID: organization.id, email: "bob@acme.example", role: OrganizationRole.admin,
                tokenHash: SecretHash.of(token), invitedBy: user.id, createdAt: now, expiresAt: now.addingTimeInterval(86400 * 365))
            try await db.insertInvitation(invitation)
            (facts.invitation_id, facts.invitation_token) = (invitation.id.rawValue, token)
            try await db.insertDomain(
                OrganizationDomain(organizationID: organization.id, domain: "acme.example", verifiedAt: now, autoJoin: true, createdAt: now))
            let provider = FederationMailConformanceTests.provider("okta", at: now)
            try await db.insertUpstreamProvider(provider)
            try await db.setSSO(OrganizationSSO(organizationID: organization.id, providerID: provider.id.rawValue, enforced: true))
            var grant = Seed.grant(client: client.clientID, user: user.id, session: session.id, at: now)
            grant.organizationID = organization.id
            try await db.insertGrant(grant)
            try await db.insertRefreshToken(
                RefreshToken(
                    tokenHash: SecretHash.of(facts.refresh_token), grantID: grant.id, issuedAt: now,
                    expiresAt: now.addingTimeInterval(86400 * 365)))
            try await db.saveTemplateOverride(
                TemplateOverride(name: "email/code", subject: "Code", text: "{{code}}", updatedAt: now), author: "operator:ops@example.com")
            try await db.saveConsoleEnrolment(
                ConsoleEnrolment(
                    idHash: SecretHash.of(facts.enrolment_id), userID: user.id,
                    sealedTOTPSecret: db.seal(try #require(Base64URL.decode(facts.totp_secret))), createdAt: now,
                    expiresAt: now.addingTimeInterval(86400 * 365)))
            try await db.ensureSigningKeys(at: now)
            let endpoint = WebhookEndpoint(
                id: .generate(at: now), url: "https://hooks.acme.example/gatehouse", events: ["user.created"],
                secret: WebhookEndpoint.generateSecret(), createdAt: now, updatedAt: now)
            try await store.markWebhookTenant(tenant)
            try await db.insertWebhookEndpoint(endpoint)
            (facts.webhook_id, facts.webhook_secret) = (endpoint.id.rawValue, endpoint.secret)
            var secretJWT = Seed.client(at: now)
            let jwtSecret = ClientKeys.secretKey(environment: .live)
            secretJWT.secretHash = SecretHash.of(jwtSecret)
            secretJWT.tokenEndpointAuthMethod = .clientSecretJWT
            secretJWT.sealedSecret = db.seal(Array(jwtSecret.utf8))
            try await store.registerClient(secretJWT, in: tenant)
            var keyJWT = Seed.client(at: now)
            keyJWT.tokenEndpointAuthMethod = .privateKeyJWT
            keyJWT.jwks = [Self.clientKey]
            try await store.registerClient(keyJWT, in: tenant)
            let jti = RandomText.base62(count: 22)
            _ = try await db.recordClientAssertion(clientID: keyJWT.clientID, jti: jti, expiresAt: now.addingTimeInterval(86400 * 365))
            (facts.secret_jwt_client_id, facts.secret_jwt_client_secret) = (secretJWT.clientID, jwtSecret)
            (facts.key_jwt_client_id, facts.key_jwt_used_jti) = (keyJWT.clientID, jti)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(facts).write(to: Self.fixture.appendingPathComponent("fixture.json"))
        // The store is gone and its pools closed: fold any write-ahead log into the files.
        let files = ["instance.sqlite"] + (try fm.contentsOfDirectory(atPath: Self.fixture.appendingPathComponent("tenants").path)).map { "tenants/\($0)" }
        for file in files where file.hasSuffix(".sqlite") {
            let queue = try DatabaseQueue(path: Self.fixture.appendingPathComponent(file).path)
            try await queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try queue.close()
        }
    }

    @Test("a data folder of today's schema opens, is fully migrated, and its rows read back")
    func readsBack() async throws {
        try await TemporaryDirectory.with("current-schema") { directory in
            let data = directory.appendingPathComponent("data")
            try FileManager.default.copyItem(at: Self.fixture, to: data)
            let key = Array(try Data(contentsOf: data.appendingPathComponent("master.key")))
            let facts = try JSONDecoder().decode(Facts.self, from: Data(contentsOf: data.appendingPathComponent("fixture.json")))
            let now = Date(timeIntervalSince1970: facts.written_at)
            let store = try InstanceStore(
                configuration: StoreConfiguration(dataDirectory: data), masterKey: key, clock: TestClock(now),
                logger: Logger(label: "gatehouse.migration-tests"))
            #expect(try store.migrateAllTenants().allSatisfy { $0.applied.isEmpty }, "today's schema needs no migration")
            let tenant = try #require(store.resolve(slug: facts.tenant))
            #expect(store.resolve(hostname: facts.hostname) == tenant)
            #expect(try await store.resolve(clientID: facts.client_id) == tenant)
            let db = try await store.storage(for: tenant)
            let user = try #require(try await db.user(email: facts.email))
            #expect(try user.passwordHash.map { try PasswordHasher().verify(facts.password, encoded: $0) } == true)
            let client = try #require(try await db.client(clientID: facts.client_id))
            #expect(client.secretHash.map { SecretHash.matches(facts.client_secret, $0) } == true)
            #expect(user.publicMetadata == Self.publicMetadata && user.privateMetadata == Self.privateMetadata)
            #expect(client.customClaims == Self.customClaims)
            #expect(try await db.session(id: #require(SessionID(rawValue: facts.session_id)))?.userID == user.id)
            #expect(try await db.refreshToken(hash: SecretHash.of(facts.refresh_token)) != nil)
            let enrolment = try #require(try await db.consoleEnrolment(idHash: SecretHash.of(facts.enrolment_id), userID: user.id, at: now))
            #expect(try enrolment.sealedTOTPSecret.map(db.unseal) == Base64URL.decode(facts.totp_secret))
            #expect(try await db.keyRing(at: now).signing.isEmpty == false, "signing keys still open with the master key")
            #expect(db.templateOverride(named: "email/code")?.text == "{{code}}")
            // Its save is the template's one version (written since 2026-12-08).
            #expect(try await db.templateVersions(named: "email/code", limit: 5).map(\.author) == ["operator:ops@example.com"])
            // The user holds a console role (written since 2026-12-08).
            #expect(try await db.consoleRole(of: user.id) == .tenantViewer)
            if let raw = facts.organization_id {
                let id = try #require(OrganizationID(rawValue: raw))
                #expect(try await db.organization(id: id)?.publicMetadata == ["plan": .string("pro")])
                #expect(try await db.membership(organization: id, user: user.id)?.role == OrganizationRole.owner)
                let token = try #require(try await db.refreshToken(hash: SecretHash.of(facts.refresh_token)))
                #expect(try await db.grant(id: token.grantID)?.organizationID == id)
            }
            if let raw = facts.invitation_id, let token = facts.invitation_token {
                let invitation = try #require(try await db.pendingInvitation(tokenHash: SecretHash.of(token), at: now))
                #expect(invitation.id.rawValue == raw && invitation.role == OrganizationRole.admin)
                #expect(try await db.verifiedDomain("acme.example")?.organizationID == invitation.organizationID)
                #expect(try await db.sso(of: invitation.organizationID)?.enforced == true)
            }
            if let raw = facts.webhook_id {
                let id = try #require(WebhookEndpointID(rawValue: raw))
                let endpoint = try #require(try await db.webhookEndpoint(id: id))
                #expect(endpoint.secret == facts.webhook_secret && endpoint.events == ["user.created"])
                #expect(try await store.webhookTenants(limit: 10) == [tenant])
            }
            if let secretID = facts.secret_jwt_client_id, let secret = facts.secret_jwt_client_secret, let keyID = facts.key_jwt_client_id,
                let jti = facts.key_jwt_used_jti
            {
                let secretJWT = try #require(try await db.client(clientID: secretID))
                #expect(secretJWT.tokenEndpointAuthMethod == .clientSecretJWT)
                #expect(try secretJWT.sealedSecret.map(db.unseal) == Array(secret.utf8))
                let keyJWT = try #require(try await db.client(clientID: keyID))
                #expect(keyJWT.tokenEndpointAuthMethod == .privateKeyJWT && keyJWT.jwks == [Self.clientKey] && keyJWT.sealedSecret == nil)
                #expect(try await db.recordClientAssertion(clientID: keyID, jti: jti, expiresAt: now.addingTimeInterval(60)) == false)
                #expect(client.tokenEndpointAuthMethod == nil, "a client of before keeps authenticating as before")
            }
        }
    }
}
