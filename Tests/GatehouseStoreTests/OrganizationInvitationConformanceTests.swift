import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseStoreTesting
import Testing

/// `OrganizationInvitationStore`'s guarantees (docs/contract.md A8) on every backend: SQLite,
/// PostgreSQL and the in-memory store.
@Suite("Storage conformance: organization invitations, domains and SSO")
struct OrganizationInvitationConformanceTests {
    @Test("invitations: stored, listed newest first with keyset pagination, one pending per address", arguments: ConformanceBackend.all)
    func invitations(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let acme = Seed.organization("acme", at: now)
            let globex = Seed.organization("globex", at: now)
            try await store.insertOrganization(acme, firstMember: nil)
            try await store.insertOrganization(globex, firstMember: nil)
            var sent: [OrganizationInvitation] = []
            for index in 0..<5 {
                let invitation = Seed.invitation(acme.id, "user\(index)@example.com", at: now.addingTimeInterval(Double(index)))
                try await store.insertInvitation(invitation)
                sent.append(invitation)
            }
            #expect(try await store.invitation(id: sent[2].id) == sent[2])
            let first = try await store.invitations(of: acme.id, limit: 2, before: nil)
            let second = try await store.invitations(of: acme.id, limit: 2, before: first.last?.id)
            let third = try await store.invitations(of: acme.id, limit: 2, before: second.last?.id)
            #expect((first + second + third).map(\.id) == sent.map(\.id).sorted(by: >))
            #expect(third.count == 1)
            #expect(try await store.invitations(of: globex.id, limit: 10, before: nil).isEmpty)

            // One pending invitation per (organization, address); another organization may invite it.
            try await expectRefusal(.conflict) { try await store.insertInvitation(Seed.invitation(acme.id, "user1@example.com", at: now)) }
            let elsewhere = Seed.invitation(globex.id, "user1@example.com", at: now)
            try await store.insertInvitation(elsewhere)
            #expect(try await store.pendingInvitations(email: "user1@example.com", at: now).map(\.id) == [sent[1].id, elsewhere.id].sorted())
            #expect(try await store.pendingInvitation(tokenHash: sent[3].tokenHash, at: now) == sent[3])
            #expect(try await store.pendingInvitation(tokenHash: Seed.token(), at: now) == nil)
            // Unknown organization or role: nothing is stored.
            try await expectRefusal(.notFound) { try await store.insertInvitation(Seed.invitation(.generate(at: now), "x@example.com", at: now)) }
            try await expectRefusal(.notFound) {
                try await store.insertInvitation(Seed.invitation(acme.id, "x@example.com", role: "emperor", at: now))
            }
            #expect(try await store.pendingInvitations(email: "x@example.com", at: now).isEmpty)
            // An expired invitation does not hold the address.
            let later = now.addingTimeInterval(OrganizationInvitation.defaultLifetime + 10)
            #expect(try await store.pendingInvitations(email: "user1@example.com", at: later).isEmpty)
            try await store.insertInvitation(Seed.invitation(acme.id, "user1@example.com", at: later))

            // Tenant B knows none of it.
            #expect(try await pair.b.store.invitation(id: sent[0].id) == nil)
            #expect(try await pair.b.store.pendingInvitation(tokenHash: sent[0].tokenHash, at: now) == nil)
            #expect(try await pair.b.store.pendingInvitations(email: "user1@example.com", at: now).isEmpty)
        }
    }

    @Test("of concurrent acceptances of one link exactly one succeeds, and the membership has the invited role", arguments: ConformanceBackend.all)
    func acceptOnce(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let bob = Seed.user(email: "bob@customera.com", at: now)
            try await pair.a.insertUser(bob)
            let acme = Seed.organization("acme", at: now)
            try await store.insertOrganization(acme, firstMember: nil)
            let invitation = Seed.invitation(acme.id, "bob@customera.com", role: "admin", at: now)
            try await store.insertInvitation(invitation)
            let outcomes = try await withThrowingTaskGroup(of: InvitationAcceptance.self) { group in
                for _ in 0..<8 { group.addTask { try await store.acceptInvitation(tokenHash: invitation.tokenHash, user: bob, at: now) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let accepted = outcomes.compactMap { outcome -> Membership? in
                if case .accepted(let accepted, let member) = outcome {
                    #expect(accepted.acceptedAt == now && accepted.acceptedBy == bob.id)
                    return member
                }
                return nil
            }
            #expect(accepted.count == 1)
            #expect(outcomes.filter { $0 == .unusable }.count == 7)
            #expect(accepted.first?.role == "admin")
            #expect(try await store.membership(organization: acme.id, user: bob.id)?.role == "admin")
            let stored = try #require(try await store.invitation(id: invitation.id))
            #expect(stored.status(at: now) == "accepted" && stored.acceptedBy == bob.id)
            #expect(try await store.pendingInvitation(tokenHash: invitation.tokenHash, at: now) == nil)
            #expect(try await store.revokeInvitation(invitation.id, at: now) == false)
            #expect(try await store.renewInvitation(invitation.id, tokenHash: Seed.token(), expiresAt: now + 60, at: now) == nil)
        }
    }

    @Test("only an account whose verified email is the invited address accepts; a member keeps their role", arguments: ConformanceBackend.all)
    func wrongAccount(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let mallory = Seed.user(email: "mallory@example.com", at: now)
            var unverified = Seed.user(email: "uv@customera.com", at: now)
            unverified.emailVerified = false
            let carol = Seed.user(email: "carol@customera.com".uppercased(), at: now)
            try await pair.a.insertUser(mallory)
            try await pair.a.insertUser(unverified)
            let acme = Seed.organization("acme", at: now)
            try await store.insertOrganization(acme, firstMember: nil)
            let invitation = Seed.invitation(acme.id, "carol@customera.com", role: "admin", at: now)
            try await store.insertInvitation(invitation)
            #expect(try await store.acceptInvitation(tokenHash: invitation.tokenHash, user: mallory, at: now) == .wrongAccount)
            let toUnverified = Seed.invitation(acme.id, "uv@customera.com", at: now)
            try await store.insertInvitation(toUnverified)
            #expect(try await store.acceptInvitation(tokenHash: toUnverified.tokenHash, user: unverified, at: now) == .wrongAccount)
            #expect(try await store.acceptInvitation(tokenHash: invitation.tokenHash, user: unverified, at: now) == .wrongAccount)
            #expect(try await store.membership(organization: acme.id, user: mallory.id) == nil)
            #expect(try await store.pendingInvitation(tokenHash: invitation.tokenHash, at: now) == invitation, "still usable")

            // The right account, already a member: the invitation is used, the membership kept.
            try await pair.a.insertUser(carol)
            try await store.insertMembership(Seed.membership(acme.id, carol.id, "member", at: now))
            guard case .accepted(_, let member) = try await store.acceptInvitation(tokenHash: invitation.tokenHash, user: carol, at: now)
            else {
                Issue.record("expected an acceptance")
                return
            }
            #expect(member.role == "member")

            // A role deleted since the invitation was sent: the invitee joins as a member.
            try await store.insertRole(Seed.role("billing", at: now))
            let dave = Seed.user(email: "dave@customera.com", at: now)
            try await pair.a.insertUser(dave)
            let billing = Seed.invitation(acme.id, "dave@customera.com", role: "billing", at: now)
            try await store.insertInvitation(billing)
            #expect(try await store.deleteRole(named: "billing") == .deleted)
            guard case .accepted(_, let joined) = try await store.acceptInvitation(tokenHash: billing.tokenHash, user: dave, at: now)
            else {
                Issue.record("expected an acceptance")
                return
            }
            #expect(joined.role == OrganizationRole.member)
        }
    }

    @Test("expired and revoked invitations are unusable; renewing gives a new link and expiry", arguments: ConformanceBackend.all)
    func expiryRevocationRenewal(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let erin = Seed.user(email: "erin@customera.com", at: now)
            try await pair.a.insertUser(erin)
            let acme = Seed.organization("acme", at: now)
            try await store.insertOrganization(acme, firstMember: nil)
            let expiring = Seed.invitation(acme.id, "erin@customera.com", lifetime: 60, at: now)
            try await store.insertInvitation(expiring)
            let later = now.addingTimeInterval(61)
            #expect(try await store.acceptInvitation(tokenHash: expiring.tokenHash, user: erin, at: later) == .unusable)
            #expect(try await store.revokeInvitation(expiring.id, at: later) == false, "an expired invitation is not pending")

            // Renewing the expired one: the old link stays dead, the new one works.
            let fresh = Seed.token()
            let renewed = try #require(try await store.renewInvitation(expiring.id, tokenHash: fresh, expiresAt: later + 3600, at: later))
            #expect(renewed.tokenHash == fresh && renewed.expiresAt == later + 3600 && renewed.status(at: later) == "pending")
            #expect(try await store.invitation(id: expiring.id) == renewed)
            #expect(try await store.acceptInvitation(tokenHash: expiring.tokenHash, user: erin, at: later) == .unusable)
            #expect(try await store.pendingInvitation(tokenHash: fresh, at: later)?.id == expiring.id)

            // Revoked: unusable, not renewable, and the address may be invited again.
            #expect(try await store.revokeInvitation(expiring.id, at: later) == true)
            #expect(try await store.revokeInvitation(expiring.id, at: later) == false)
            #expect(try await store.acceptInvitation(tokenHash: fresh, user: erin, at: later) == .unusable)
            #expect(try await store.renewInvitation(expiring.id, tokenHash: Seed.token(), expiresAt: later + 60, at: later) == nil)
            #expect(try await store.invitation(id: expiring.id)?.status(at: later) == "revoked")
            #expect(try await store.renewInvitation(.generate(at: now), tokenHash: Seed.token(), expiresAt: later + 60, at: later) == nil)

            // An expired invitation is not renewed while another is pending to that address.
            let old = Seed.invitation(acme.id, "frank@customera.com", lifetime: 60, at: now)
            try await store.insertInvitation(old)
            let current = Seed.invitation(acme.id, "frank@customera.com", at: later)
            try await store.insertInvitation(current)
            #expect(try await store.renewInvitation(old.id, tokenHash: Seed.token(), expiresAt: later + 60, at: later) == nil)
            #expect(try await store.renewInvitation(current.id, tokenHash: Seed.token(), expiresAt: later + 60, at: later) != nil)
        }
    }
}

extension Seed {
    static func token() -> [UInt8] { (0..<32).map { _ in UInt8.random(in: 0...255) } }

    static func invitation(
        _ organization: OrganizationID, _ email: String, role: String = "member",
        lifetime: TimeInterval = OrganizationInvitation.defaultLifetime, at now: Date
    ) -> OrganizationInvitation {
        OrganizationInvitation(
            id: .generate(at: now), organizationID: organization, email: email, role: role, tokenHash: token(), invitedBy: nil,
            createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
    }
}
