import Foundation
import GatehouseCore
@testable import GatehouseFederation
import Testing

/// Account linking, discovery consistency and provider configuration rules.
@Suite("Federation rules")
struct FederationRulesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func user(verified: Bool = true, disabled: Bool = false) -> User {
        User(
            id: .generate(at: now), email: "ada@example.com", emailVerified: verified, name: nil, passwordHash: "$argon2id$…",
            disabled: disabled, createdAt: now, updatedAt: now)
    }

    static func profile(verified: Bool) -> UpstreamProfile {
        UpstreamProfile(issuer: "https://idp.example", subject: "s1", email: "Ada@Example.com", emailVerified: verified, name: "Ada")
    }

    @Test("a linked identity signs its user in, whatever the email says")
    func linkedIdentity() {
        let user = Self.user()
        #expect(
            FederatedSignInDecision.decide(
                identityUser: user, emailUser: nil, profile: Self.profile(verified: false),
                normalizedEmail: nil, accountLinking: "never", allowSignup: false) == .signIn(user.id))
        #expect(
            FederatedSignInDecision.decide(
                identityUser: Self.user(disabled: true), emailUser: nil, profile: Self.profile(verified: true),
                normalizedEmail: "ada@example.com", accountLinking: "verified_email", allowSignup: true)
                == .refuse(.userDisabled))
    }

    struct LinkRow: Sendable, CustomTestStringConvertible {
        let description: String
        let upstreamVerified: Bool
        let localVerified: Bool
        let policy: String
        let links: Bool
        var testDescription: String { description }
    }

    @Test(arguments: [
        LinkRow(
            description: "verified on both sides with verified_email links", upstreamVerified: true, localVerified: true, policy: "verified_email", links: true),
        LinkRow(description: "unverified upstream email does not link", upstreamVerified: false, localVerified: true, policy: "verified_email", links: false),
        LinkRow(
            description: "unverified local account does not capture the identity", upstreamVerified: true, localVerified: false, policy: "verified_email",
            links: false),
        LinkRow(description: "policy never does not link", upstreamVerified: true, localVerified: true, policy: "never", links: false),
    ])
    func emailLinking(_ row: LinkRow) {
        let existing = Self.user(verified: row.localVerified)
        let decision = FederatedSignInDecision.decide(
            identityUser: nil, emailUser: existing, profile: Self.profile(verified: row.upstreamVerified),
            normalizedEmail: "ada@example.com", accountLinking: row.policy, allowSignup: true)
        #expect(decision == (row.links ? .linkToExisting(existing.id) : .refuse(.accountExists)))
    }

    @Test("an unknown identity creates a user only with an email and when sign-up is allowed")
    func creation() {
        let profile = Self.profile(verified: false)
        #expect(
            FederatedSignInDecision.decide(
                identityUser: nil, emailUser: nil, profile: profile, normalizedEmail: "ada@example.com",
                accountLinking: "verified_email", allowSignup: true) == .createUser)
        #expect(
            FederatedSignInDecision.decide(
                identityUser: nil, emailUser: nil, profile: profile, normalizedEmail: "ada@example.com",
                accountLinking: "verified_email", allowSignup: false) == .refuse(.signupClosed))
        #expect(
            FederatedSignInDecision.decide(
                identityUser: nil, emailUser: nil, profile: profile, normalizedEmail: nil,
                accountLinking: "verified_email", allowSignup: true) == .refuse(.missingEmail))
    }

    static func discovery(issuer: String) -> [UInt8] {
        Array(
            """
            {"issuer":"\(issuer)","authorization_endpoint":"https://idp.example/authorize","token_endpoint":"https://idp.example/token",
             "jwks_uri":"https://idp.example/jwks","userinfo_endpoint":"https://idp.example/userinfo"}
            """.utf8)
    }

    @Test("the discovered issuer must match the discovery URL (OIDC Discovery §4.3), except templates and Microsoft")
    func discoveryIssuer() throws {
        let url = "https://idp.example/.well-known/openid-configuration"
        _ = try OIDCMetadata.parse(Self.discovery(issuer: "https://idp.example"), fetchedFrom: url, kind: .oidc, allowHTTP: false)
        #expect(throws: FederationError.self) {
            try OIDCMetadata.parse(Self.discovery(issuer: "https://evil.example"), fetchedFrom: url, kind: .oidc, allowHTTP: false)
        }
        let ms = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
        let metadata = try OIDCMetadata.parse(
            Self.discovery(issuer: "https://login.microsoftonline.com/{tenantid}/v2.0"), fetchedFrom: ms,
            kind: .microsoft, allowHTTP: false)
        #expect(metadata.issuer.contains("{tenantid}"))
        #expect(throws: FederationError.self) {
            try OIDCMetadata.parse(Array("{\"issuer\":\"https://idp.example\"}".utf8), fetchedFrom: url, kind: .oidc, allowHTTP: false)
        }
    }

    @Test("http endpoints in a discovery document are refused unless allowed")
    func discoveryHTTP() throws {
        let body = Array(
            """
            {"issuer":"http://idp.example","authorization_endpoint":"http://idp.example/a","token_endpoint":"http://idp.example/t","jwks_uri":"http://idp.example/k"}
            """.utf8)
        let url = "http://idp.example/.well-known/openid-configuration"
        #expect(throws: FederationError.self) { try OIDCMetadata.parse(body, fetchedFrom: url, kind: .oidc, allowHTTP: false) }
        _ = try OIDCMetadata.parse(body, fetchedFrom: url, kind: .oidc, allowHTTP: true)
    }

    struct ConfigRow: Sendable, CustomTestStringConvertible {
        let description: String
        let change: @Sendable (inout UpstreamProvider) -> Void
        let field: String?
        var testDescription: String { description }
    }

    @Test(arguments: [
        ConfigRow(description: "a complete oidc provider is valid", change: { _ in }, field: nil),
        ConfigRow(description: "oidc without discovery_url", change: { $0.discoveryURL = nil }, field: "discovery_url"),
        ConfigRow(
            description: "http discovery_url without allow_http", change: { $0.discoveryURL = "http://idp.example/.well-known/openid-configuration" },
            field: "discovery_url"),
        ConfigRow(
            description: "oauth2 without endpoints",
            change: {
                $0.kind = .oauth2; $0.discoveryURL = nil
            }, field: "authorization_url"),
        ConfigRow(description: "endpoint URLs on an OIDC kind", change: { $0.tokenURL = "https://idp.example/token" }, field: "token_url"),
        ConfigRow(description: "OIDC scopes without openid", change: { $0.scopes = ["email"] }, field: "scopes"),
        ConfigRow(description: "bad slug", change: { $0.slug = "Acme SSO" }, field: "slug"),
        ConfigRow(description: "microsoft_tenant on another kind", change: { $0.microsoftTenant = "common" }, field: "microsoft_tenant"),
        ConfigRow(
            description: "github preset needs no URLs",
            change: {
                $0.kind = .github; $0.discoveryURL = nil
            }, field: nil),
    ])
    func configuration(_ row: ConfigRow) {
        var provider = UpstreamProvider(
            id: .generate(at: Self.now), slug: "acme-sso", kind: .oidc, name: "Acme SSO", clientID: "c",
            discoveryURL: "https://idp.example/.well-known/openid-configuration",
            createdAt: Self.now, updatedAt: Self.now)
        row.change(&provider)
        let fields = provider.validate(allowHTTP: false).map(\.field)
        if let field = row.field { #expect(fields.contains(field), "\(fields)") } else { #expect(fields.isEmpty, "\(fields)") }
    }

    @Test("GitHub keys identities by https://github.com and uses its endpoints; overrides move the issuer to their origin")
    func githubPreset() {
        var provider = UpstreamProvider(
            id: .generate(at: Self.now), slug: "github", kind: .github, name: "GitHub", clientID: "c",
            createdAt: Self.now, updatedAt: Self.now)
        #expect(provider.effectiveIssuer == "https://github.com")
        #expect(provider.effectiveUserinfoURL == "https://api.github.com/user")
        #expect(provider.effectiveScopes == ["read:user", "user:email"])
        provider.authorizationURL = "http://127.0.0.1:9999/login/oauth/authorize"
        #expect(provider.effectiveIssuer == "http://127.0.0.1:9999")
    }

    @Test("claim mapping follows dotted paths and reads numeric ids as text")
    func claimPaths() throws {
        let document = try #require(JSONValue.parse(Array(#"{"data":{"id":12345,"mail":"a@b.c","ok":"true"},"a.b":"flat"}"#.utf8)))
        #expect(document.value(atPath: "data.id")?.text == "12345")
        #expect(document.value(atPath: "data.ok")?.isTrue == true)
        #expect(document.value(atPath: "a.b")?.string == "flat")
        #expect(document.value(atPath: "data.missing") == nil)
    }

    @Test("a form-encoded token answer (GitHub's legacy shape) is read")
    func formTokenAnswer() {
        let document = FederationService.formDocument("access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=user%3Aemail&token_type=bearer")
        #expect(document["access_token"]?.string == "gho_16C7e42F292c6912E7710c838347Ae178B4a")
        #expect(document["scope"]?.string == "user:email")
    }
}
