import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Keys match exactly: a client id or interaction id with anything appended after a NUL byte finds
/// nothing (SQLite binds text only up to a NUL), so a stale copy can never be cached under it.
@Suite("Storage conformance: lookups match keys exactly")
struct ExactKeyTests {
    @Test("a client id with a NUL byte and more appended finds no client", arguments: ConformanceBackend.all)
    func clientID(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let client = Seed.client(at: pair.clock.now)
            try await pair.a.insertClient(client)
            #expect(try await pair.a.store.client(clientID: client.clientID + "\u{0}x") == nil)
            #expect(try await pair.a.store.client(clientID: client.clientID + "\u{0}") == nil)
            #expect(try await pair.a.store.client(clientID: client.clientID) == client)
        }
    }

    @Test("an interaction id with a NUL byte and more appended finds no interaction", arguments: ConformanceBackend.all)
    func interactionID(_ backend: ConformanceBackend) async throws {
        try await backend.withPair { pair in
            let signed = try await pair.a.signIn(at: pair.clock.now)
            let interaction = Seed.interaction(client: signed.grant.clientID, at: pair.clock.now)
            try await pair.a.store.insertInteraction(interaction)
            #expect(try await pair.a.store.interaction(id: interaction.id + "\u{0}x") == nil)
            #expect(try await pair.a.store.interaction(id: interaction.id) == interaction)
        }
    }
}
