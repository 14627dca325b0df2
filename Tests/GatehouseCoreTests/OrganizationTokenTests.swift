import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStoreTesting
import Testing

/// Tokens issued within an organization (docs/contract.md A8): `org_id`, `org_role` and
/// `org_permissions` in access tokens, ID tokens, userinfo and introspection, read afresh at every
/// issuance; refresh keeps the organization, reflects role changes, fails once the membership
/// ends, and switches organization with `organization=`.
@Suite("Organization context in tokens and refresh (docs/contract.md A8, RFC 6749 §6)")
struct OrganizationTokenTests {
    /// A fixture with two organizations: Acme (the user is a `billing` member, a custom role with
    /// permissions) and Bank (the user is an `admin`); Other has no membership of the user.
    struct Orgs {
        let f: TokenFixture
        let acme: Organization
        let bank: Organization
        let other: Organization

        init(bankRequiresMFA: Bool = false) async throws {
            f = try TokenFixture()
            let now = f.clock.now
            acme = Organization(id: .generate(at: now), name: "Acme", slug: "acme", createdAt: now, updatedAt: now)
            bank = Organization(
                id: .generate(at: now + 1), name: "Bank", slug: "bank", mfaRequired: bankRequiresMFA, createdAt: now,
                updatedAt: now)
            other = Organization(id: .generate(at: now + 2), name: "Other", slug: "other", createdAt: now, updatedAt: now)
            try await f.store.insertRole(
                OrganizationRole(name: "billing", permissions: ["invoices:write", "invoices:read"], createdAt: now, updatedAt: now))
            try await f.store.insertOrganization(
                acme, firstMember: Membership(organizationID: acme.id, userID: f.user.id, role: "billing", createdAt: now, updatedAt: now))
            try await f.store.insertOrganization(
                bank,
                firstMember: Membership(organizationID: bank.id, userID: f.user.id, role: OrganizationRole.admin, createdAt: now, updatedAt: now))
            try await f.store.insertOrganization(other, firstMember: nil)
        }

        /// Redeems a code whose grant acts within `organization` (as the authorization endpoint stores it).
        func signIn(
            within organization: OrganizationID?, scope: ScopeSet = ["openid", "profile", "organization"]
        ) async throws -> TokenResponse {
            let issued = try await f.issueCode(to: .web, scope: scope)
            try await f.store.setOrganization(of: issued.grant.id, to: organization)
            return try await f.token(f.codeRequest(issued), as: .web)
        }

        func refresh(_ token: String?, organization: String) async throws -> TokenResponse {
            try await f.token(
                [("grant_type", "refresh_token"), ("refresh_token", token ?? ""), ("organization", organization)], as: .web)
        }

        func claims(_ response: TokenResponse) async throws -> (AccessTokenClaims, IDTokenClaims) {
            let access = try await f.tokens.validateAccessToken(response.accessToken, store: f.store)
            let id = try decodeJWT(try #require(response.idToken), as: IDTokenClaims.self).claims
            return (access, id)
        }
    }

    @Test("a grant within an organization: access and ID tokens carry org_id, org_role and org_permissions")
    func claimsInTokens() async throws {
        let o = try await Orgs()
        let (access, id) = try await o.claims(try await o.signIn(within: o.acme.id))
        #expect(access.orgID == o.acme.id.rawValue)
        #expect(access.orgRole == "billing")
        #expect(access.orgPermissions == ["invoices:read", "invoices:write"])
        #expect(id.orgID == o.acme.id.rawValue)
        #expect(id.orgRole == "billing")
        #expect(id.orgPermissions == ["invoices:read", "invoices:write"])
        // A built-in role without permissions carries an empty array, not nothing.
        let (bankAccess, _) = try await o.claims(try await o.signIn(within: o.bank.id))
        #expect(bankAccess.orgRole == OrganizationRole.admin && bankAccess.orgPermissions == [])
    }

    @Test("a personal grant carries no org claims, not even as null")
    func personal() async throws {
        let o = try await Orgs()
        let response = try await o.signIn(within: nil)
        for token in [response.accessToken, try #require(response.idToken)] {
            let payload = try #require(token.split(separator: ".").dropFirst().first)
            let json = String(decoding: try #require(Base64URL.decode(String(payload))), as: UTF8.self)
            #expect(!json.contains("org_"))
        }
    }

    @Test("userinfo and introspection show the organization context")
    func userinfoAndIntrospection() async throws {
        let o = try await Orgs()
        let response = try await o.signIn(within: o.acme.id)
        let info = try await UserinfoEndpoint.handle(accessToken: response.accessToken, tokens: o.f.tokens, store: o.f.store)
        #expect(info.orgID == o.acme.id.rawValue && info.orgRole == "billing" && info.orgPermissions == ["invoices:read", "invoices:write"])
        let introspected = try await o.f.introspect(response.accessToken)
        #expect(introspected.active && introspected.orgID == o.acme.id.rawValue && introspected.orgRole == "billing")
        #expect(introspected.orgPermissions == ["invoices:read", "invoices:write"])
        let refresh = try await o.f.introspect(try #require(response.refreshToken))
        #expect(refresh.orgID == o.acme.id.rawValue)
        // Userinfo reads afresh: a changed role shows at once.
        _ = try await o.f.store.changeRole(organization: o.acme.id, user: o.f.user.id, to: OrganizationRole.member, at: o.f.clock.now)
        let after = try await UserinfoEndpoint.handle(accessToken: response.accessToken, tokens: o.f.tokens, store: o.f.store)
        #expect(after.orgRole == OrganizationRole.member && after.orgPermissions == [])
    }

    @Test("a refresh keeps the organization and reflects a role change and the role's new permissions")
    func refreshReflectsRole() async throws {
        let o = try await Orgs()
        let first = try await o.signIn(within: o.acme.id)
        _ = try await o.f.store.changeRole(organization: o.acme.id, user: o.f.user.id, to: OrganizationRole.owner, at: o.f.clock.now)
        o.f.clock.advance(30)
        let second = try await o.f.refresh(first.refreshToken)
        let (access, id) = try await o.claims(second)
        #expect(access.orgID == o.acme.id.rawValue && access.orgRole == "owner" && access.orgPermissions == [])
        #expect(id.orgID == o.acme.id.rawValue && id.orgRole == "owner")
        try await o.f.store.updateRole(
            OrganizationRole(name: OrganizationRole.owner, permissions: ["org:*"], createdAt: o.f.clock.now, updatedAt: o.f.clock.now))
        let third = try await o.f.refresh(second.refreshToken)
        #expect(try await o.claims(third).0.orgPermissions == ["org:*"])
    }

    @Test("a removed membership makes the refresh invalid_grant (RFC 6749 §5.2) and rotates nothing")
    func removedMembership() async throws {
        let o = try await Orgs()
        let first = try await o.signIn(within: o.acme.id)
        #expect(try await o.f.store.removeMembership(organization: o.acme.id, user: o.f.user.id, at: o.f.clock.now) != .notFound)
        let refused = await oauthErrorCode { _ = try await o.f.refresh(first.refreshToken) }
        #expect(refused == .invalidGrant)
        let token = try await o.f.store.refreshToken(hash: SecretHash.of(try #require(first.refreshToken)))
        #expect(token?.rotatedAt == nil)
    }

    @Test("a membership removed before the code is redeemed: invalid_grant, and the code is not burnt")
    func removedBeforeCode() async throws {
        let o = try await Orgs()
        let issued = try await o.f.issueCode(to: .web, scope: ["openid", "organization"])
        try await o.f.store.setOrganization(of: issued.grant.id, to: o.acme.id)
        _ = try await o.f.store.removeMembership(organization: o.acme.id, user: o.f.user.id, at: o.f.clock.now)
        let refused = await oauthErrorCode { _ = try await o.f.token(o.f.codeRequest(issued), as: .web) }
        #expect(refused == .invalidGrant)
        #expect(try await o.f.store.authorizationCode(hash: SecretHash.of(issued.code))?.consumedAt == nil)
    }

    @Test("a deleted organization ends its grants: refresh is invalid_grant")
    func deletedOrganization() async throws {
        let o = try await Orgs()
        let first = try await o.signIn(within: o.acme.id)
        #expect(try await o.f.store.deleteOrganization(o.acme.id, at: o.f.clock.now))
        let refused = await oauthErrorCode { _ = try await o.f.refresh(first.refreshToken) }
        #expect(refused == .invalidGrant)
    }

    @Test("organization= on a refresh switches the grant to another of the user's organizations, by slug or id")
    func switching() async throws {
        let o = try await Orgs()
        let first = try await o.signIn(within: o.acme.id)
        let grantID = try #require(try await o.f.tokens.validateAccessToken(first.accessToken, store: o.f.store).grantID)
        let switched = try await o.refresh(first.refreshToken, organization: "bank")
        let (access, id) = try await o.claims(switched)
        #expect(access.orgID == o.bank.id.rawValue && access.orgRole == OrganizationRole.admin)
        #expect(id.orgID == o.bank.id.rawValue)
        #expect(try await o.f.store.grant(id: grantID)?.organizationID == o.bank.id)
        // The grant stays switched on the next plain refresh; back by id.
        let kept = try await o.f.refresh(switched.refreshToken)
        #expect(try await o.claims(kept).0.orgID == o.bank.id.rawValue)
        let back = try await o.refresh(kept.refreshToken, organization: o.acme.id.rawValue)
        #expect(try await o.claims(back).0.orgID == o.acme.id.rawValue)
        // A personal grant with the organization scope may enter one.
        let personal = try await o.signIn(within: nil)
        #expect(try await o.claims(personal).0.orgID == nil)
        let entered = try await o.refresh(personal.refreshToken, organization: "acme")
        #expect(try await o.claims(entered).0.orgID == o.acme.id.rawValue)
    }

    @Test("a rotated refresh token presented with organization= is still detected as reused (RFC 9700 §4.14.2)")
    func reuseWithOrganization() async throws {
        let o = try await Orgs()
        let first = try await o.signIn(within: o.acme.id)
        let second = try await o.f.refresh(first.refreshToken)
        o.f.clock.advance(11)
        let reuse = await oauthErrorCode { _ = try await o.refresh(first.refreshToken, organization: "other") }
        #expect(reuse == .invalidGrant)
        let successor = await oauthErrorCode { _ = try await o.f.refresh(second.refreshToken) }
        #expect(successor == .invalidGrant, "the reuse revoked the grant")
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let organization: String
        var scope: ScopeSet = ["openid", "organization"]
        var bankRequiresMFA = false
        let expected: OAuthError.Code
    }

    static let refusals: [Refusal] = [
        Refusal(testDescription: "an organization the user is not a member of", organization: "other", expected: .invalidGrant),
        Refusal(testDescription: "an organization that does not exist", organization: "nowhere", expected: .invalidGrant),
        Refusal(
            testDescription: "an unknown organization id", organization: OrganizationID.generate(at: TestClock.start).rawValue,
            expected: .invalidGrant),
        Refusal(testDescription: "a malformed organization", organization: "Not A Slug", expected: .invalidRequest),
        Refusal(
            testDescription: "a grant without the organization scope", organization: "bank", scope: ["openid"],
            expected: .invalidScope),
        Refusal(
            testDescription: "an organization that requires MFA, for a sign-in without it", organization: "bank",
            bankRequiresMFA: true, expected: .invalidGrant),
    ]

    @Test("a refused switch changes nothing: the same refresh token still works, in the same organization", arguments: refusals)
    func refusedSwitch(_ row: Refusal) async throws {
        let o = try await Orgs(bankRequiresMFA: row.bankRequiresMFA)
        let first = try await o.signIn(within: o.acme.id, scope: row.scope)
        let refused = await oauthErrorCode { _ = try await o.refresh(first.refreshToken, organization: row.organization) }
        #expect(refused == row.expected)
        let retry = try await o.f.refresh(first.refreshToken)
        #expect(try await o.claims(retry).0.orgID == o.acme.id.rawValue)
    }
}
