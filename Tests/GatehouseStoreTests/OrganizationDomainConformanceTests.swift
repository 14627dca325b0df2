import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseStoreTesting
import Testing

/// Domains and per-organization SSO of `OrganizationInvitationStore` (docs/contract.md A8) on
/// every backend, and what deleting an organization takes with it.
@Suite("Storage conformance: organization domains and SSO")
struct OrganizationDomainConformanceTests {
    @Test("a domain is held by one organization of a tenant; only a verified one is found", arguments: ConformanceBackend.all)
    func domains(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let acme = Seed.organization("acme", at: now)
            let globex = Seed.organization("globex", at: now)
            try await store.insertOrganization(acme, firstMember: nil)
            try await store.insertOrganization(globex, firstMember: nil)
            let domain = OrganizationDomain(organizationID: acme.id, domain: "customera.com", createdAt: now)
            try await store.insertDomain(domain)
            try await store.insertDomain(OrganizationDomain(organizationID: acme.id, domain: "a.customera.com", createdAt: now))
            try await expectRefusal(.conflict) {
                try await store.insertDomain(OrganizationDomain(organizationID: globex.id, domain: "customera.com", createdAt: now))
            }
            try await expectRefusal(.conflict) { try await store.insertDomain(domain) }
            try await expectRefusal(.notFound) {
                try await store.insertDomain(OrganizationDomain(organizationID: .generate(at: now), domain: "ghost.com", createdAt: now))
            }
            try await expectRefusal(.notFound) {
                try await store.insertDomain(
                    OrganizationDomain(organizationID: acme.id, domain: "ghost.com", defaultRole: "emperor", createdAt: now))
            }
            #expect(try await store.domains(of: acme.id).map(\.domain) == ["a.customera.com", "customera.com"])
            #expect(try await store.domains(of: globex.id).isEmpty)
            #expect(try await store.verifiedDomain("customera.com") == nil, "not verified yet")

            var verified = domain
            verified.verifiedAt = now
            verified.autoJoin = true
            verified.defaultRole = "admin"
            #expect(try await store.updateDomain(verified))
            #expect(try await store.verifiedDomain("customera.com") == verified)
            #expect(try await store.verifiedDomain("CustomerA.COM") == verified)
            #expect(try await store.verifiedDomain("a.customera.com") == nil)
            var foreign = verified
            foreign.organizationID = globex.id
            #expect(try await store.updateDomain(foreign) == false, "globex does not hold it")
            var badRole = verified
            badRole.defaultRole = "emperor"
            try await expectRefusal(.notFound) { _ = try await store.updateDomain(badRole) }
            #expect(try await store.removeDomain("customera.com", of: globex.id) == false)
            #expect(try await store.removeDomain("customera.com", of: acme.id))
            #expect(try await store.removeDomain("customera.com", of: acme.id) == false)
            #expect(try await store.verifiedDomain("customera.com") == nil)
            // Released, another organization may hold it; tenant B may hold it at any time.
            try await store.insertDomain(OrganizationDomain(organizationID: globex.id, domain: "customera.com", createdAt: now))
            let other = Seed.organization("acme", at: now)
            try await pair.b.store.insertOrganization(other, firstMember: nil)
            try await pair.b.store.insertDomain(OrganizationDomain(organizationID: other.id, domain: "a.customera.com", createdAt: now))
            #expect(try await pair.b.store.domains(of: acme.id).isEmpty)
        }
    }

    @Test("SSO is set, replaced and removed; an unknown provider, organization or role is refused", arguments: ConformanceBackend.all)
    func sso(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let acme = Seed.organization("acme", at: now)
            let globex = Seed.organization("globex", at: now)
            try await store.insertOrganization(acme, firstMember: nil)
            try await store.insertOrganization(globex, firstMember: nil)
            let okta = try await pair.a.insertProvider("okta", now)
            let azure = try await pair.a.insertProvider("azure", now)
            #expect(try await store.sso(of: acme.id) == nil)
            try await expectRefusal(.notFound) {
                try await store.setSSO(OrganizationSSO(organizationID: acme.id, providerID: "idp_unknown", enforced: false))
            }
            try await expectRefusal(.notFound) {
                try await store.setSSO(OrganizationSSO(organizationID: .generate(at: now), providerID: okta, enforced: false))
            }
            try await expectRefusal(.notFound) {
                try await store.setSSO(OrganizationSSO(organizationID: acme.id, providerID: okta, enforced: false, defaultRole: "emperor"))
            }
            #expect(try await store.sso(of: acme.id) == nil, "nothing is stored")
            let first = OrganizationSSO(organizationID: acme.id, providerID: okta, enforced: false)
            try await store.setSSO(first)
            #expect(try await store.sso(of: acme.id) == first)
            let replaced = OrganizationSSO(organizationID: acme.id, providerID: azure, enforced: true, defaultRole: "admin")
            try await store.setSSO(replaced)
            #expect(try await store.sso(of: acme.id) == replaced)
            let shared = OrganizationSSO(organizationID: globex.id, providerID: azure, enforced: false)
            try await store.setSSO(shared)
            #expect(try await store.ssoOrganizations(provider: azure) == [replaced, shared].sorted { $0.organizationID < $1.organizationID })
            #expect(try await store.ssoOrganizations(provider: okta).isEmpty)
            #expect(try await store.removeSSO(of: acme.id))
            #expect(try await store.removeSSO(of: acme.id) == false)
            #expect(try await store.sso(of: acme.id) == nil)
            // A provider of tenant A is unknown in tenant B.
            let other = Seed.organization("acme", at: now)
            try await pair.b.store.insertOrganization(other, firstMember: nil)
            try await expectRefusal(.notFound) {
                try await pair.b.store.setSSO(OrganizationSSO(organizationID: other.id, providerID: azure, enforced: false))
            }
        }
    }

    @Test("deleting an organization removes its invitations, domains and SSO, and no other's", arguments: ConformanceBackend.all)
    func deletion(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let now = pair.clock.now
            let store = pair.a.store
            let acme = Seed.organization("acme", at: now)
            let globex = Seed.organization("globex", at: now)
            try await store.insertOrganization(acme, firstMember: nil)
            try await store.insertOrganization(globex, firstMember: nil)
            let provider = try await pair.a.insertProvider("okta", now)
            let invitations = [Seed.invitation(acme.id, "a@customera.com", at: now), Seed.invitation(globex.id, "a@customera.com", at: now)]
            for (organization, invitation) in zip([acme, globex], invitations) {
                try await store.insertInvitation(invitation)
                try await store.insertDomain(OrganizationDomain(organizationID: organization.id, domain: "\(organization.slug).com", createdAt: now))
                try await store.setSSO(OrganizationSSO(organizationID: organization.id, providerID: provider, enforced: true))
            }
            #expect(try await store.deleteOrganization(acme.id, at: now))
            #expect(try await store.invitation(id: invitations[0].id) == nil)
            #expect(try await store.pendingInvitation(tokenHash: invitations[0].tokenHash, at: now) == nil)
            #expect(try await store.domains(of: acme.id).isEmpty)
            #expect(try await store.sso(of: acme.id) == nil)
            #expect(try await store.ssoOrganizations(provider: provider).map(\.organizationID) == [globex.id])
            #expect(try await store.invitation(id: invitations[1].id) == invitations[1])
            #expect(try await store.domains(of: globex.id).map(\.domain) == ["globex.com"])
            // The domain is free again.
            try await store.insertDomain(OrganizationDomain(organizationID: globex.id, domain: "acme.com", createdAt: now))
        }
    }
}
