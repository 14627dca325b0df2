import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseStoreTesting
import Testing

/// `OrganizationStore`'s guarantees (docs/contract.md A8) on every backend: SQLite, PostgreSQL
/// and the in-memory store the core's tests use.
@Suite("Storage conformance: organizations, roles and memberships")
struct OrganizationConformanceTests {
    @Test("a slug is unique in a tenant, on insert and update; slugs and ids of tenant A are unknown in B", arguments: ConformanceBackend.all)
    func slugs(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let (a, b) = (pair.a.store, pair.b.store)
            let acme = Seed.organization("acme", at: now)
            try await a.insertOrganization(acme, firstMember: nil)
            #expect(try await a.organization(id: acme.id) == acme)
            #expect(try await a.organization(slug: "acme") == acme)
            #expect(try await a.organization(slug: "acme\u{0}x") == nil)
            try await expectRefusal(.conflict) { try await a.insertOrganization(Seed.organization("acme", at: now), firstMember: nil) }
            let globex = Seed.organization("globex", at: now)
            try await a.insertOrganization(globex, firstMember: nil)
            var renamed = globex
            renamed.slug = "acme"
            try await expectRefusal(.conflict) { try await a.updateOrganization(renamed) }
            try await expectRefusal(.notFound) { try await a.updateOrganization(Seed.organization("nobody", at: now)) }
            renamed.slug = "globex-inc"
            renamed.name = "Globex Inc"
            renamed.publicMetadata = ["plan": .string("pro")]
            renamed.privateMetadata = ["seats": .number(5)]
            renamed.mfaRequired = true
            renamed.updatedAt = now.addingTimeInterval(1)
            try await a.updateOrganization(renamed)
            #expect(try await a.organization(id: globex.id) == renamed)
            #expect(try await a.organization(slug: "globex") == nil)

            // Tenant B knows nothing of A's organizations, and may use the same slug.
            #expect(try await b.organization(id: acme.id) == nil)
            #expect(try await b.organization(slug: "acme") == nil)
            #expect(try await b.listOrganizations(limit: 10, after: nil, query: nil).isEmpty)
            #expect(try await b.deleteOrganization(acme.id, at: now) == false)
            try await b.insertOrganization(Seed.organization("acme", at: now), firstMember: nil)
            #expect(try await a.organization(id: acme.id) == acme)
        }
    }

    @Test("organizations list in id order with keyset pagination and a case-insensitive query", arguments: ConformanceBackend.all)
    func listing(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let store = pair.a.store
            var all: [Organization] = []
            for (index, slug) in ["alpha", "bravo", "charlie", "delta", "echo"].enumerated() {
                var org = Seed.organization(slug, at: pair.clock.now.addingTimeInterval(Double(index)))
                org.name = "Customer \(slug.uppercased())"
                try await store.insertOrganization(org, firstMember: nil)
                all.append(org)
            }
            let first = try await store.listOrganizations(limit: 2, after: nil, query: nil)
            let second = try await store.listOrganizations(limit: 2, after: first.last?.id, query: nil)
            let third = try await store.listOrganizations(limit: 2, after: second.last?.id, query: nil)
            #expect((first + second + third).map(\.id) == all.map(\.id).sorted())
            #expect(third.count == 1)
            #expect(try await store.listOrganizations(limit: 10, after: nil, query: "customer c").map(\.slug) == ["charlie"])
            #expect(try await store.listOrganizations(limit: 10, after: nil, query: "LT").map(\.slug) == ["delta"])
            #expect(try await store.listOrganizations(limit: 10, after: nil, query: "%").isEmpty)
        }
    }

    @Test("the first member is stored with the organization, or nothing is", arguments: ConformanceBackend.all)
    func firstMember(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let alice = Seed.user(at: now)
            try await pair.a.insertUser(alice)
            let acme = Seed.organization("acme", at: now)
            try await store.insertOrganization(acme, firstMember: Seed.membership(acme.id, alice.id, "owner", at: now))
            #expect(try await store.membership(organization: acme.id, user: alice.id)?.role == "owner")
            #expect(try await store.memberships(of: alice.id).map(\.organizationID) == [acme.id])

            let ghost = Seed.organization("ghost", at: now)
            try await expectRefusal(.notFound) {
                try await store.insertOrganization(ghost, firstMember: Seed.membership(ghost.id, .generate(at: now), "owner", at: now))
            }
            try await expectRefusal(.notFound) {
                try await store.insertOrganization(ghost, firstMember: Seed.membership(ghost.id, alice.id, "emperor", at: now))
            }
            #expect(try await store.organization(slug: "ghost") == nil, "nothing is created")
            #expect(try await store.memberships(of: alice.id).count == 1)
        }
    }

    @Test("memberships: a conflict for a member, not found for an unknown organization, user or role", arguments: ConformanceBackend.all)
    func memberships(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let (alice, bob) = (Seed.user(at: now), Seed.user(at: now))
            try await pair.a.insertUser(alice)
            try await pair.a.insertUser(bob)
            let acme = Seed.organization("acme", at: now)
            try await store.insertOrganization(acme, firstMember: Seed.membership(acme.id, alice.id, "owner", at: now))
            try await store.insertMembership(Seed.membership(acme.id, bob.id, "member", at: now))
            try await expectRefusal(.conflict) { try await store.insertMembership(Seed.membership(acme.id, bob.id, "admin", at: now)) }
            try await expectRefusal(.notFound) {
                try await store.insertMembership(Seed.membership(.generate(at: now), bob.id, "member", at: now))
            }
            try await expectRefusal(.notFound) {
                try await store.insertMembership(Seed.membership(acme.id, .generate(at: now), "member", at: now))
            }
            let carol = Seed.user(at: now)
            try await pair.a.insertUser(carol)
            try await expectRefusal(.notFound) { try await store.insertMembership(Seed.membership(acme.id, carol.id, "emperor", at: now)) }
            #expect(try await store.membership(organization: acme.id, user: carol.id) == nil)
            #expect(try await store.membership(organization: acme.id, user: bob.id)?.role == "member")

            // Keyset pagination by user id.
            try await store.insertMembership(Seed.membership(acme.id, carol.id, "admin", at: now))
            let ids = [alice.id, bob.id, carol.id].sorted()
            let page1 = try await store.members(of: acme.id, limit: 2, after: nil)
            let page2 = try await store.members(of: acme.id, limit: 2, after: page1.last?.userID)
            #expect((page1 + page2).map(\.userID) == ids)
            #expect(page2.count == 1)

            // Roles change; an unknown role or member is reported as such.
            let later = now.addingTimeInterval(5)
            #expect(try await store.changeRole(organization: acme.id, user: bob.id, to: "admin", at: later).membership?.role == "admin")
            #expect(try await store.membership(organization: acme.id, user: bob.id)?.updatedAt == later)
            #expect(try await store.changeRole(organization: acme.id, user: bob.id, to: "emperor", at: later) == .unknownRole)
            #expect(try await store.changeRole(organization: acme.id, user: .generate(at: now), to: "admin", at: later) == .notFound)
            #expect(try await store.removeMembership(organization: acme.id, user: bob.id, at: later).membership?.userID == bob.id)
            #expect(try await store.removeMembership(organization: acme.id, user: bob.id, at: later) == .notFound)
            #expect(try await pair.b.store.membership(organization: acme.id, user: alice.id) == nil)
        }
    }

    @Test("the last owner can be neither demoted nor removed; with two owners one may go", arguments: ConformanceBackend.all)
    func lastOwner(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let (alice, bob) = (Seed.user(at: now), Seed.user(at: now))
            try await pair.a.insertUser(alice)
            try await pair.a.insertUser(bob)
            let acme = Seed.organization("acme", at: now)
            try await store.insertOrganization(acme, firstMember: Seed.membership(acme.id, alice.id, "owner", at: now))
            #expect(try await store.changeRole(organization: acme.id, user: alice.id, to: "admin", at: now) == .lastOwner)
            #expect(try await store.removeMembership(organization: acme.id, user: alice.id, at: now) == .lastOwner)
            #expect(try await store.changeRole(organization: acme.id, user: alice.id, to: "owner", at: now).membership != nil)
            try await store.insertMembership(Seed.membership(acme.id, bob.id, "owner", at: now))
            #expect(try await store.changeRole(organization: acme.id, user: alice.id, to: "member", at: now).membership != nil)
            #expect(try await store.removeMembership(organization: acme.id, user: bob.id, at: now) == .lastOwner)
            #expect(try await store.membership(organization: acme.id, user: bob.id)?.role == "owner")
        }
    }

    @Test("of concurrent demotions and removals of an organization's only two owners, at most one succeeds", arguments: ConformanceBackend.all)
    func concurrentLastOwner(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            for round in 0..<8 {
                let (alice, bob) = (Seed.user(at: now), Seed.user(at: now))
                try await pair.a.insertUser(alice)
                try await pair.a.insertUser(bob)
                let org = Seed.organization("org-\(round)", at: now)
                try await store.insertOrganization(org, firstMember: Seed.membership(org.id, alice.id, "owner", at: now))
                try await store.insertMembership(Seed.membership(org.id, bob.id, "owner", at: now))
                let results = try await Race.run(2) { index in
                    let user = index == 0 ? alice.id : bob.id
                    return round.isMultiple(of: 2)
                        ? try await store.changeRole(organization: org.id, user: user, to: "member", at: now)
                        : try await store.removeMembership(organization: org.id, user: user, at: now)
                }
                #expect(results.filter { $0.membership != nil }.count == 1, "round \(round): \(results)")
                #expect(results.filter { $0 == .lastOwner }.count == 1)
                let owners = try await store.members(of: org.id, limit: 10, after: nil).filter { $0.role == "owner" }
                #expect(owners.count == 1)
            }
        }
    }

    @Test("roles: built-ins first and undeletable, names unique, a role in use cannot be deleted", arguments: ConformanceBackend.all)
    func roles(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            #expect(try await store.roles().map(\.name) == ["owner", "admin", "member"])
            try await expectRefusal(.conflict) { try await store.insertRole(Seed.role("admin", at: now)) }
            let billing = Seed.role("billing", permissions: ["invoices:write", "invoices:read", "invoices:read"], at: now)
            try await store.insertRole(billing)
            try await store.insertRole(Seed.role("auditor", at: now))
            #expect(try await store.roles().map(\.name) == ["owner", "admin", "member", "auditor", "billing"])
            #expect(try await store.role(named: "billing") == billing)
            #expect(billing.permissions == ["invoices:read", "invoices:write"])
            try await expectRefusal(.conflict) { try await store.insertRole(Seed.role("billing", at: now)) }

            var edited = billing
            edited.permissions = ["org:billing:*"]
            edited.description = "Pays the bills"
            edited.updatedAt = now.addingTimeInterval(3)
            try await store.updateRole(edited)
            #expect(try await store.role(named: "billing") == edited)
            try await expectRefusal(.notFound) { try await store.updateRole(Seed.role("nobody", at: now)) }
            var owner = try #require(try await store.role(named: "owner"))
            owner.permissions = ["org:*"]
            try await store.updateRole(owner)
            #expect(try await store.role(named: "owner")?.permissions == ["org:*"])

            let (alice, bob) = (Seed.user(at: now), Seed.user(at: now))
            try await pair.a.insertUser(alice)
            try await pair.a.insertUser(bob)
            let acme = Seed.organization("acme", at: now)
            try await store.insertOrganization(acme, firstMember: Seed.membership(acme.id, alice.id, "owner", at: now))
            try await store.insertMembership(Seed.membership(acme.id, bob.id, "billing", at: now))
            #expect(try await store.deleteRole(named: "billing") == .inUse(1))
            #expect(try await store.deleteRole(named: "owner") == .builtIn)
            #expect(try await store.deleteRole(named: "member") == .builtIn)
            #expect(try await store.deleteRole(named: "nobody") == .notFound)
            #expect(try await store.deleteRole(named: "auditor") == .deleted)
            _ = try await store.changeRole(organization: acme.id, user: bob.id, to: "member", at: now)
            #expect(try await store.deleteRole(named: "billing") == .deleted)
            #expect(try await store.roles().map(\.name) == ["owner", "admin", "member"])
            #expect(try await pair.b.store.role(named: "auditor") == nil)
            #expect(try await pair.b.store.role(named: "owner")?.permissions == [])
        }
    }

    @Test("deleting an organization removes its memberships and revokes its grants, and no other", arguments: ConformanceBackend.all)
    func deletion(_ backend: ConformanceBackend) async throws {
        try await backend.withSignedIn { pair, signed, now in
            let store = pair.a.store
            let acme = Seed.organization("acme", at: now)
            let globex = Seed.organization("globex", at: now)
            try await store.insertOrganization(acme, firstMember: Seed.membership(acme.id, signed.user.id, "owner", at: now))
            try await store.insertOrganization(globex, firstMember: Seed.membership(globex.id, signed.user.id, "owner", at: now))
            var acmeGrant = Seed.grant(client: signed.grant.clientID, user: signed.user.id, session: signed.session.id, at: now)
            acmeGrant.organizationID = acme.id
            try await store.insertGrant(acmeGrant)
            #expect(try await store.grant(id: acmeGrant.id) == acmeGrant)
            try await store.setOrganization(of: signed.grant.id, to: globex.id)
            #expect(try await store.grant(id: signed.grant.id)?.organizationID == globex.id)

            let later = now.addingTimeInterval(10)
            #expect(try await store.deleteOrganization(acme.id, at: later))
            #expect(try await store.deleteOrganization(acme.id, at: later) == false)
            #expect(try await store.organization(id: acme.id) == nil)
            #expect(try await store.memberships(of: signed.user.id).map(\.organizationID) == [globex.id])
            #expect(try await store.grant(id: acmeGrant.id)?.revokedAt == later)
            #expect(try await store.isAccessTokenRevoked(jti: "jti-acme", grantID: acmeGrant.id))
            #expect(try await store.grant(id: signed.grant.id)?.revokedAt == nil)
            #expect(try await store.isAccessTokenRevoked(jti: "jti-globex", grantID: signed.grant.id) == false)
            let reopened = try await pair.a.reopen().store
            #expect(try await reopened.isAccessTokenRevoked(jti: "jti-acme", grantID: acmeGrant.id))

            try await store.setOrganization(of: signed.grant.id, to: nil)
            #expect(try await store.grant(id: signed.grant.id)?.organizationID == nil)
            try await expectRefusal(.notFound) { try await store.setOrganization(of: .generate(at: now), to: globex.id) }
            try await expectRefusal(.notFound) { try await pair.b.store.setOrganization(of: signed.grant.id, to: nil) }
        }
    }
}

extension OrganizationConformanceTests {
    @Test("a client's organization_required is stored and updated", arguments: ConformanceBackend.all)
    func organizationRequired(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            var client = Seed.client(at: pair.clock.now)
            client.organizationRequired = true
            try await pair.a.insertClient(client)
            #expect(try await pair.a.store.client(clientID: client.clientID)?.organizationRequired == true)
            guard let admin = pair.a.store as? any ClientAdminStore else { return }
            client.organizationRequired = false
            try await admin.updateClient(client)
            #expect(try await pair.a.store.client(clientID: client.clientID)?.organizationRequired == false)
            #expect(try await pair.a.reopen().store.client(clientID: client.clientID)?.organizationRequired == false)
        }
    }
}

/// Cases that need the account store (deleting users): SQLite and PostgreSQL.
@Suite("Storage conformance: organizations and the account store")
struct OrganizationAccountConformanceTests {
    @Test("deleting a user removes the user's memberships", arguments: StorageBackend.all)
    func userDeletion(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, alice, now in
            let bob = Seed.user(at: now)
            try await a.insertUser(bob)
            let acme = Seed.organization("acme", at: now)
            try await a.insertOrganization(acme, firstMember: Seed.membership(acme.id, alice.id, "owner", at: now))
            try await a.insertMembership(Seed.membership(acme.id, bob.id, "member", at: now))
            try await a.deleteUser(bob.id, at: now)
            #expect(try await a.members(of: acme.id, limit: 10, after: nil).map(\.userID) == [alice.id])
            #expect(try await a.memberships(of: bob.id).isEmpty)

        }
    }

    @Test("the last owner of an organization cannot be deleted; one of two owners can", arguments: StorageBackend.all)
    func lastOwnerDeletion(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, alice, now in
            let bob = Seed.user(at: now)
            try await a.insertUser(bob)
            let acme = Seed.organization("acme", at: now)
            try await a.insertOrganization(acme, firstMember: Seed.membership(acme.id, alice.id, "owner", at: now))
            try await a.insertMembership(Seed.membership(acme.id, bob.id, "member", at: now))
            await #expect(throws: StoreError.self) { try await a.deleteUser(alice.id, at: now) }
            #expect(try await a.user(id: alice.id) != nil)
            #expect(try await a.membership(organization: acme.id, user: alice.id)?.role == "owner")
            // A second owner: either may now go, and the other stays owner.
            _ = try await a.changeRole(organization: acme.id, user: bob.id, to: "owner", at: now)
            try await a.deleteUser(alice.id, at: now)
            #expect(try await a.user(id: alice.id) == nil)
            #expect(try await a.members(of: acme.id, limit: 10, after: nil).map(\.role) == ["owner"])
            await #expect(throws: StoreError.self) { try await a.deleteUser(bob.id, at: now) }
        }
    }
}

/// The store's refusal, whichever backend made it: `StoreError` (SQLite, PostgreSQL) or the
/// in-memory store's `ConstraintViolation` of the same kind.
func expectRefusal(
    _ kind: InMemoryTenantStore.ConstraintViolation.Kind, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async throws {
    do {
        try await body()
        Issue.record("expected a refusal (\(kind))", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        switch (kind, error) {
        case (.conflict, .conflict), (.notFound, .notFound): break
        default: Issue.record("expected \(kind), got \(error)", sourceLocation: sourceLocation)
        }
    } catch let error as InMemoryTenantStore.ConstraintViolation {
        #expect(error.kind == kind, sourceLocation: sourceLocation)
    }
}

extension MembershipChange {
    /// The membership of `.done`, else nil.
    var membership: Membership? {
        if case .done(let membership) = self { return membership }
        return nil
    }
}

extension Seed {
    static func organization(_ slug: String, at now: Date) -> Organization {
        Organization(id: .generate(at: now), name: slug.capitalized, slug: slug, createdAt: now, updatedAt: now)
    }

    static func membership(_ organization: OrganizationID, _ user: UserID, _ role: String, at now: Date) -> Membership {
        Membership(organizationID: organization, userID: user, role: role, createdAt: now, updatedAt: now)
    }

    static func role(_ name: String, permissions: [String] = ["reports:read"], at now: Date) -> OrganizationRole {
        OrganizationRole(name: name, permissions: permissions, description: nil, createdAt: now, updatedAt: now)
    }
}
