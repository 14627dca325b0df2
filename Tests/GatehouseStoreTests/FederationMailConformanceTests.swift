import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

@testable import GatehouseStore

/// Upstream providers and identities, pending upstream sign-ins, the mail outbox and template
/// overrides, run against every `StorageBackend`.
@Suite("Storage conformance: federation, mail outbox, template overrides")
struct FederationMailConformanceTests {
    static func provider(_ slug: String, at now: Date) -> UpstreamProvider {
        UpstreamProvider(
            id: .generate(at: now), slug: slug, kind: .oidc, name: slug.capitalized, clientID: "client-\(slug)",
            clientSecret: "secret-\(slug)", discoveryURL: "https://\(slug).example.com/.well-known/openid-configuration",
            scopes: ["openid", "email"], claimMapping: .init(email: "mail"), createdAt: now, updatedAt: now)
    }

    static func identity(_ user: UserID, _ provider: UpstreamProviderID, subject: String, at now: Date) -> UpstreamIdentity {
        UpstreamIdentity(
            id: .generate(at: now), userID: user, providerID: provider, issuer: "https://idp.example.com", subject: subject,
            email: nil, createdAt: now)
    }

    @Test("providers: sealed secrets read back, slugs are unique, lookups by id or slug", arguments: StorageBackend.all)
    func providers(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let now = clock.now
            let zeta = Self.provider("zeta", at: now)
            let alpha = Self.provider("alpha", at: now)
            try await a.insertUpstreamProvider(zeta)
            try await a.insertUpstreamProvider(alpha)
            await #expect(throws: StoreError.self) { try await a.insertUpstreamProvider(Self.provider("zeta", at: now)) }
            #expect(try await a.upstreamProviders() == [alpha, zeta])
            #expect(try await a.upstreamProvider(zeta.id.rawValue) == zeta)
            #expect(try await a.upstreamProvider("alpha") == alpha)
            #expect(try await b.upstreamProvider("alpha") == nil)
            var renamed = alpha
            renamed.slug = "zeta"
            await #expect(throws: StoreError.self) { try await a.updateUpstreamProvider(renamed) }
            renamed.slug = "beta"
            renamed.clientSecret = nil
            renamed.enabled = false
            try await a.updateUpstreamProvider(renamed)
            #expect(try await a.upstreamProvider("beta") == renamed)
            try await a.deleteUpstreamProvider(id: renamed.id)
            #expect(try await a.upstreamProviders() == [zeta])
        }
    }

    @Test("a pending upstream sign-in is taken once by 20 racers", arguments: StorageBackend.all)
    func federationStateOnce(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            let now = clock.now
            let provider = Self.provider("acme", at: now)
            try await a.insertUpstreamProvider(provider)
            let state = FederationState(
                stateHash: Seed.hash(), providerID: provider.id, purpose: .signIn, interactionID: "int-1", userID: nil,
                browserBindingHash: Seed.hash(), nonce: "nonce", codeVerifier: "verifier", redirectURI: "https://gh.example/cb",
                createdAt: now, expiresAt: now.addingTimeInterval(600))
            try await a.insertFederationState(state, now: now)
            let taken = try await Race.run(20) { _ in try await a.consumeFederationState(hash: state.stateHash) }
            #expect(taken.compactMap { $0 } == [state])
        }
    }

    @Test("identities: linked once, user and identity both or neither, the last sign-in method stays", arguments: StorageBackend.all)
    func identities(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            let provider = Self.provider("acme", at: now)
            try await a.insertUpstreamProvider(provider)
            let first = Self.identity(user.id, provider.id, subject: "s-1", at: now)
            try await a.linkUpstreamIdentity(first)
            await #expect(throws: StoreError.self) {
                try await a.linkUpstreamIdentity(Self.identity(user.id, provider.id, subject: "s-1", at: now))
            }
            #expect(try await a.upstreamIdentity(providerID: provider.id, issuer: first.issuer, subject: "s-1") == first)
            try await a.touchUpstreamIdentity(id: first.id, email: "new@example.com", at: now.addingTimeInterval(1))
            let touched = try await a.upstreamIdentities(userID: user.id)
            #expect(touched.map(\.email) == ["new@example.com"] && touched.map(\.lastUsedAt) == [now.addingTimeInterval(1)])

            let newcomer = {
                var user = Seed.user(at: now)
                user.passwordHash = nil
                return user
            }()
            let taken = Self.identity(newcomer.id, provider.id, subject: "s-1", at: now)
            await #expect(throws: StoreError.self) { try await a.insertUser(newcomer, identity: taken) }
            #expect(try await a.user(id: newcomer.id) == nil, "neither the user nor the identity")
            let own = [Self.identity(newcomer.id, provider.id, subject: "s-2", at: now), Self.identity(newcomer.id, provider.id, subject: "s-3", at: now)]
            try await a.insertUser(newcomer, identity: own[0])
            try await a.linkUpstreamIdentity(own[1])
            let floor = SignInFloor(passkeysSignIn: true, requiredSecondFactor: nil)
            let removals = try await Race.run(2) { index in
                try await a.removeSignInMethod(.upstreamIdentity(own[index].id), userID: newcomer.id, keeping: floor)
            }
            #expect(removals.sorted { "\($0)" < "\($1)" } == [.lastWayIn, .removed])
            #expect(try await a.upstreamIdentities(userID: newcomer.id).count == 1)
            #expect(try await a.removeSignInMethod(.upstreamIdentity(first.id), userID: newcomer.id, keeping: floor) == .notFound)
            #expect(try await a.removeSignInMethod(.upstreamIdentity(first.id), userID: user.id, keeping: floor) == .removed, "the user has a password")
            // An identity at a disabled provider is no way in: the newcomer's last one goes then.
            var disabled = provider
            disabled.enabled = false
            try await a.updateUpstreamProvider(disabled)
            let last = try #require(try await a.upstreamIdentities(userID: newcomer.id).first)
            #expect(try await a.removeSignInMethod(.upstreamIdentity(last.id), userID: newcomer.id, keeping: floor) == .removed)
        }
    }

    static func enqueue(_ message: OutboxMessage, in storage: any TenantStorage) async throws {
        switch storage {
        case let database as TenantDatabase: try await database.insertOutboxMessage(message)
        case let database as PostgresTenantDatabase: try await database.insertOutboxMessage(message)
        default: Issue.record("no outbox insertion for \(type(of: storage))")
        }
    }

    @Test("the outbox: due messages oldest first, sent and failed ones lose their content, old ones are purged", arguments: StorageBackend.all)
    func outbox(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, _, clock in
            let now = clock.now
            let messages = (1...3).map { index in
                OutboxMessage(
                    id: "msg_\(index)", template: "email/verify", recipient: "r\(index)@example.com", envelopeFrom: "noreply@example.com",
                    subject: "Hello", message: Array("Subject: Hello\r\n\r\nbody \(index)\r\n".utf8),
                    nextAttemptAt: now.addingTimeInterval(Double(index)), createdAt: now)
            }
            for message in messages { try await Self.enqueue(message, in: a) }
            #expect(try await a.nextMailDue() == now.addingTimeInterval(1))
            #expect(try await a.dueMail(at: now.addingTimeInterval(2), limit: 10) == Array(messages.prefix(2)))
            try await a.markMailSent(id: "msg_1", at: now)
            try await a.markMailAttemptFailed(id: "msg_2", error: "421 try later", retryAt: now.addingTimeInterval(60), at: now)
            try await a.markMailAttemptFailed(id: "msg_3", error: "550 no such user", retryAt: nil, at: now)
            #expect(try await a.nextMailDue() == now.addingTimeInterval(60))
            let listed = try await a.outbox(limit: 10)
            #expect(listed.map(\.id) == ["msg_3", "msg_2", "msg_1"] && listed.allSatisfy { $0.message.isEmpty })
            #expect(listed.map(\.attempts) == [1, 1, 0] && listed[0].failedAt == now && listed[2].sentAt == now)
            #expect(try await a.dueMail(at: now.addingTimeInterval(60), limit: 10).map(\.message) == [messages[1].message])
            try await a.purgeMail(before: now.addingTimeInterval(1))
            #expect(try await a.outbox(limit: 10).map(\.id) == ["msg_2"])
        }
    }

    @Test("template overrides: 20 concurrent saves all reach the cache; deletes say whether there was one", arguments: StorageBackend.all)
    func templates(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let now = clock.now
            _ = a.templateOverrides()
            _ = try await Race.run(20) { index in
                try await a.saveTemplateOverride(TemplateOverride(name: "page/p\(index)", body: "<p>\(index)</p>", updatedAt: now), author: "test")
            }
            #expect(a.templateOverrides().overrides.count == 20)
            let email = TemplateOverride(name: "email/verify", subject: "S", text: "T", html: nil, updatedAt: now)
            try await a.saveTemplateOverride(email, author: "test")
            #expect(a.templateOverride(named: "email/verify") == email)
            #expect(b.templateOverrides().overrides.isEmpty)
            #expect(try await a.deleteTemplateOverride(named: "email/verify", author: "test", at: Date()))
            #expect(try await a.deleteTemplateOverride(named: "email/verify", author: "test", at: Date()) == false)
            #expect(a.templateOverride(named: "email/verify") == nil)
        }
    }

    @Test("template versions: every save and reset is a version, newest first, per tenant, at most keptPerTemplate", arguments: StorageBackend.all)
    func templateVersions(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let now = clock.now
            try await a.saveTemplateOverride(TemplateOverride(name: "page/login", body: "<p>one</p>", updatedAt: now), author: "operator:a@x.test")
            try await a.saveTemplateOverride(
                TemplateOverride(name: "page/login", body: "<p>two</p>", updatedAt: now.addingTimeInterval(1)), author: "admin_token")
            #expect(try await a.deleteTemplateOverride(named: "page/login", author: "client:pk_1", at: now.addingTimeInterval(2)))
            #expect(try await a.deleteTemplateOverride(named: "page/login", author: "client:pk_1", at: now.addingTimeInterval(3)) == false)
            let email = TemplateOverride(name: "email/verify", subject: "S", text: "T", html: "<p>H</p>", updatedAt: now)
            try await a.saveTemplateOverride(email, author: "admin_token")
            let versions = try await a.templateVersions(named: "page/login", limit: 10)
            #expect(versions.map(\.author) == ["client:pk_1", "admin_token", "operator:a@x.test"])
            #expect(versions.map(\.body) == [nil, "<p>two</p>", "<p>one</p>"] && versions[0].isDefault)
            #expect(versions.map(\.createdAt) == [now.addingTimeInterval(2), now.addingTimeInterval(1), now])
            #expect(versions[0].id > versions[1].id && versions[1].id > versions[2].id)
            #expect(try await a.templateVersion(id: versions[1].id) == versions[1])
            #expect(versions[1].override(at: now)?.body == "<p>two</p>" && versions[0].override(at: now) == nil)
            let mail = try await a.templateVersions(named: "email/verify", limit: 10)
            #expect(mail.count == 1 && mail[0].subject == "S" && mail[0].text == "T" && mail[0].html == "<p>H</p>" && mail[0].body == nil)
            #expect(try await b.templateVersions(named: "page/login", limit: 10).isEmpty)
            #expect(try await b.templateVersion(id: versions[1].id) == nil)
            for index in 0..<(TemplateVersion.keptPerTemplate + 5) {
                try await a.saveTemplateOverride(TemplateOverride(name: "page/consent", body: "<p>\(index)</p>", updatedAt: now), author: "t")
            }
            let kept = try await a.templateVersions(named: "page/consent", limit: 1000)
            #expect(kept.count == TemplateVersion.keptPerTemplate && kept.first?.body == "<p>\(TemplateVersion.keptPerTemplate + 4)</p>")
            #expect(try await a.templateVersions(named: "page/login", limit: 10).count == 3)
        }
    }
}
