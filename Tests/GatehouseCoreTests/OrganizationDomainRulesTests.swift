import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStoreTesting
import Testing

/// Verified domains and per-organization SSO at sign-in (docs/contract.md A8): the auto-join
/// decision, home-realm discovery, and both applied to a real in-memory store, up to the
/// organization step choosing the organization joined in the same sign-in.
@Suite("Sign-in flow: auto-join and home-realm discovery (docs/contract.md A8)")
struct OrganizationDomainRulesTests {
    static let now = TestClock.start
    static let acme = OrganizationID.generate(at: now)
    static let bank = OrganizationID.generate(at: now + 1)

    static func domain(
        _ name: String = "customera.com", of organization: OrganizationID = acme, verified: Bool = true, autoJoin: Bool = true,
        role: String = OrganizationRole.member
    ) -> OrganizationDomain {
        OrganizationDomain(
            organizationID: organization, domain: name, verifiedAt: verified ? now : nil, autoJoin: autoJoin, defaultRole: role,
            createdAt: now)
    }

    // MARK: Auto-join decision

    struct JoinRow: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var emailVerified = true
        var domain: OrganizationDomain? = OrganizationDomainRulesTests.domain()
        var sso: [OrganizationSSO] = []
        var memberOf: Set<OrganizationID> = []
        let expected: [OrganizationAutoJoin.Join]
    }

    static let joinRows: [JoinRow] = [
        JoinRow(
            testDescription: "verified email in a verified auto-join domain joins with the domain's role",
            domain: domain(role: OrganizationRole.admin), expected: [.init(organizationID: acme, role: OrganizationRole.admin)]),
        JoinRow(testDescription: "an unverified email joins nothing", emailVerified: false, expected: []),
        JoinRow(testDescription: "an unverified domain joins nothing", domain: domain(verified: false), expected: []),
        JoinRow(testDescription: "a domain without auto-join joins nothing", domain: domain(autoJoin: false), expected: []),
        JoinRow(testDescription: "no domain joins nothing", domain: nil, expected: []),
        JoinRow(testDescription: "an existing membership is kept as it is", memberOf: [acme], expected: []),
        JoinRow(
            testDescription: "arriving through an organization's SSO provider joins it, email unverified too",
            emailVerified: false, domain: nil, sso: [OrganizationSSO(organizationID: bank, providerID: "idp_x", enforced: false, defaultRole: "billing")],
            expected: [.init(organizationID: bank, role: "billing")]),
        JoinRow(
            testDescription: "an organization reached by SSO and by domain is joined once, with the SSO's role",
            sso: [OrganizationSSO(organizationID: acme, providerID: "idp_x", enforced: true, defaultRole: OrganizationRole.admin)],
            expected: [.init(organizationID: acme, role: OrganizationRole.admin)]),
        JoinRow(
            testDescription: "SSO of a member's organization adds nothing; the domain still joins another",
            domain: domain(of: bank), sso: [OrganizationSSO(organizationID: acme, providerID: "idp_x", enforced: false)],
            memberOf: [acme], expected: [.init(organizationID: bank, role: OrganizationRole.member)]),
    ]

    @Test("auto-join decision", arguments: joinRows)
    func autoJoinDecision(_ row: JoinRow) {
        let joins = OrganizationAutoJoin.decide(
            emailVerified: row.emailVerified, domain: row.domain, ssoOrganizations: row.sso, memberOf: row.memberOf)
        #expect(joins == row.expected)
    }

    // MARK: Home-realm discovery decision

    @Test("routing: a verified domain whose organization has SSO goes to its provider; nothing else is routed")
    func routingDecision() {
        let sso = OrganizationSSO(organizationID: Self.acme, providerID: "idp_a", enforced: false)
        #expect(HomeRealm.decide(domain: Self.domain(), sso: sso) == .organization(sso, domain: "customera.com"))
        #expect(HomeRealm.decide(domain: Self.domain(verified: false), sso: sso) == .local, "an unverified domain routes nowhere")
        #expect(HomeRealm.decide(domain: Self.domain(), sso: nil) == .local, "no SSO: the tenant's own sign-in")
        #expect(HomeRealm.decide(domain: nil, sso: sso) == .local)
        #expect(HomeRealm.decide(domain: Self.domain(of: Self.bank), sso: sso) == .local, "another organization's SSO")
        #expect(!HomeRealm.decide(domain: Self.domain(), sso: sso).refusesLocalSignIn, "not enforced: passwords still work elsewhere")
        var enforced = sso
        enforced.enforced = true
        #expect(HomeRealm.decide(domain: Self.domain(), sso: enforced).refusesLocalSignIn)
        #expect(!HomeRealm.local.refusesLocalSignIn)
        #expect(HomeRealm.refusal(domain: "customera.com").contains("single sign-on"))
    }

    @Test("email domains", arguments: [("x@customera.com", "customera.com"), ("a@b@c.org", "c.org"), ("nobody", nil), ("x@", nil)])
    func emailDomain(_ email: String, _ expected: String?) {
        #expect(EmailAddress.domain(of: email) == expected)
    }

    // MARK: Against a store

    /// An in-memory tenant with organizations Acme (domain customera.com) and Bank, and a user.
    struct Fixture {
        let store: InMemoryTenantStore
        let now = OrganizationDomainRulesTests.now
        let acme: Organization
        let bank: Organization

        init() async throws {
            store = InMemoryTenantStore()
            acme = Organization(id: OrganizationDomainRulesTests.acme, name: "Acme", slug: "acme", createdAt: now, updatedAt: now)
            bank = Organization(id: OrganizationDomainRulesTests.bank, name: "Bank", slug: "bank", createdAt: now, updatedAt: now)
            try await store.insertOrganization(acme, firstMember: nil)
            try await store.insertOrganization(bank, firstMember: nil)
        }

        func user(_ email: String, verified: Bool) -> User {
            let user = User(
                id: .generate(at: now), email: email, emailVerified: verified, name: nil, passwordHash: nil, createdAt: now,
                updatedAt: now)
            store.insertUser(user)
            return user
        }
    }

    @Test("auto-join stores the membership, once, and the organization step then chooses it")
    func autoJoinApplied() async throws {
        let t = try await Fixture()
        try await t.store.insertDomain(Self.domain(role: OrganizationRole.admin))
        let user = t.user("charlie@customera.com", verified: true)
        let joined = try await OrganizationAutoJoin.apply(to: user, arrivedThrough: nil, store: t.store, now: t.now)
        #expect(joined.map(\.organizationID) == [Self.acme] && joined.map(\.role) == [OrganizationRole.admin])
        #expect(try await t.store.membership(organization: Self.acme, user: user.id)?.role == OrganizationRole.admin)
        // Again at the next sign-in: nothing new, and a changed role is kept.
        _ = try await t.store.changeRole(organization: Self.acme, user: user.id, to: OrganizationRole.member, at: t.now)
        #expect(try await OrganizationAutoJoin.apply(to: user, arrivedThrough: nil, store: t.store, now: t.now).isEmpty)
        #expect(try await t.store.membership(organization: Self.acme, user: user.id)?.role == OrganizationRole.member)
        // The organization step of the same sign-in sees the membership: one membership is chosen.
        let options = [OrganizationOption(organization: t.acme, membership: try #require(joined.first))]
        let step = OrganizationStep.decide(
            OrganizationRequest(requested: true, required: false, named: nil), memberships: options, chosen: nil, canAsk: true)
        #expect(step == .chosen(.organization(Self.acme), mfaRequired: false))
    }

    @Test("no auto-join for an unverified address, an unverified domain, or a domain without auto-join")
    func autoJoinRefused() async throws {
        let t = try await Fixture()
        try await t.store.insertDomain(Self.domain())
        try await t.store.insertDomain(Self.domain("unverified.example", verified: false))
        try await t.store.insertDomain(Self.domain("closed.example", of: Self.bank, autoJoin: false))
        for user in [
            t.user("eve@customera.com", verified: false), t.user("a@unverified.example", verified: true),
            t.user("b@closed.example", verified: true), t.user("c@elsewhere.example", verified: true),
        ] {
            #expect(try await OrganizationAutoJoin.apply(to: user, arrivedThrough: nil, store: t.store, now: t.now).isEmpty)
            #expect(try await t.store.memberships(of: user.id).isEmpty, "\(user.email)")
        }
    }

    @Test("arriving through an organization's SSO provider joins it with the SSO's role; other providers join nothing")
    func ssoArrival() async throws {
        let t = try await Fixture()
        t.store.insertUpstreamProvider(id: "idp_customera")
        t.store.insertUpstreamProvider(id: "idp_other")
        try await t.store.setSSO(
            OrganizationSSO(organizationID: Self.bank, providerID: "idp_customera", enforced: true, defaultRole: OrganizationRole.admin))
        let user = t.user("x@somewhere.example", verified: false)
        #expect(try await OrganizationAutoJoin.apply(to: user, arrivedThrough: "idp_other", store: t.store, now: t.now).isEmpty)
        let joined = try await OrganizationAutoJoin.apply(to: user, arrivedThrough: "idp_customera", store: t.store, now: t.now)
        #expect(joined.map(\.organizationID) == [Self.bank] && joined.map(\.role) == [OrganizationRole.admin])
        #expect(try await t.store.memberships(of: user.id).map(\.organizationID) == [Self.bank])
    }

    @Test("home-realm discovery reads the verified domain and its organization's SSO")
    func discovery() async throws {
        let t = try await Fixture()
        try await t.store.insertDomain(Self.domain())
        try await t.store.insertDomain(Self.domain("pending.example", of: Self.bank, verified: false))
        #expect(try await HomeRealm.discover(email: "x@customera.com", in: t.store) == .local, "no SSO set")
        #expect(try await HomeRealm.discover(email: "not an address", in: t.store) == .local)
        #expect(try await HomeRealm.discover(email: "x@pending.example", in: t.store) == .local)
        t.store.insertUpstreamProvider(id: "idp_a")
        let sso = OrganizationSSO(organizationID: Self.acme, providerID: "idp_a", enforced: true)
        try await t.store.setSSO(sso)
        try await t.store.setSSO(OrganizationSSO(organizationID: Self.bank, providerID: "idp_a", enforced: true))
        let routed = try await HomeRealm.discover(email: " X@CustomerA.com ", in: t.store)
        #expect(routed == .organization(sso, domain: "customera.com") && routed.refusesLocalSignIn)
        #expect(try await HomeRealm.discover(email: "x@pending.example", in: t.store) == .local, "an unverified domain is not routed")
        #expect(try await HomeRealm.discover(email: "x@sub.customera.com", in: t.store) == .local, "domains match exactly")
    }
}
