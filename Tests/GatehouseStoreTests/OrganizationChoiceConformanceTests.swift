import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing

/// The organization context a sign-in chose (docs/contract.md A8) is kept by the interaction and
/// the pending sign-in alike on every `StorageBackend`, through every write that touches them.
@Suite("Storage conformance: the organization choice of interactions and pending sign-ins")
struct OrganizationChoiceConformanceTests {
    @Test("an interaction keeps its organization choice: insert, update, and a sign-in written without a code", arguments: StorageBackend.all)
    func interaction(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            let organization = OrganizationID.generate(at: now)
            var interaction = Seed.interaction(client: "pk_dev_x", at: now)
            try await a.insertInteraction(interaction)
            #expect(try await a.interaction(id: interaction.id)?.organization == nil, "nothing chosen yet")
            interaction.organization = .personal
            try await a.updateInteraction(interaction)
            #expect(try await a.interaction(id: interaction.id)?.organization == .personal)
            interaction.organization = .organization(organization)
            interaction.userID = user.id
            interaction.loginDone = true
            try await a.completeSignIn(
                pendingIDHash: SecretHash.of(interaction.id), session: .start(Seed.session(user: user.id, at: now)),
                interaction: interaction, issuing: nil)
            #expect(try await a.interaction(id: interaction.id) == interaction)

            var created = Seed.interaction(client: "pk_dev_x", at: now)
            created.organization = .organization(organization)
            try await a.insertInteraction(created)
            #expect(try await a.interaction(id: created.id) == created)
        }
    }

    @Test("a pending sign-in keeps its organization choice and the organization stage", arguments: StorageBackend.all)
    func pendingSignIn(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, _, user, now in
            let id = Seed.hash()
            var pending = PendingSignIn(
                idHash: id, userID: user.id, clientID: "pk_dev_x", amr: ["pwd"], scope: "openid organization",
                stage: .organization, createdAt: now, expiresAt: now.addingTimeInterval(600))
            try await a.savePendingSignIn(pending)
            #expect(try await a.pendingSignIn(idHash: id, at: now) == pending)
            pending.stage = .challenge
            pending.organization = .organization(OrganizationID.generate(at: now))
            try await a.savePendingSignIn(pending)
            #expect(try await a.pendingSignIn(idHash: id, at: now) == pending)
        }
    }
}
