import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Dynamic client registration state (RFC 7591 §3, RFC 7592) in a real tenant database on every
/// backend: initial access tokens are used at most `max_uses` times, never after expiry, once
/// each under concurrency, and only in their tenant; a registration goes with its client.
@Suite("Client registrations (RFC 7591, RFC 7592)")
struct ClientRegistrationStoreTests {
    @Test("an initial access token is spent once per use, up to max_uses, before expiry, in its tenant only", arguments: StorageBackend.all)
    func tokens(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let now = clock.now
            let hash = Seed.hash()
            try await a.insertRegistrationToken(
                RegistrationToken(id: "rat_one", tokenHash: hash, description: "ci", createdAt: now, expiresAt: now.addingTimeInterval(60), maxUses: 3))
            #expect(try await !b.useRegistrationToken(hash: hash, at: now))
            // Five concurrent uses of a token with three: three succeed.
            let results = try await Race.run(5) { _ in try await a.useRegistrationToken(hash: hash, at: now) }
            #expect(results.filter { $0 }.count == 3)
            #expect(try await a.registrationTokens().first?.uses == 3)
            let open = Seed.hash()
            try await a.insertRegistrationToken(
                RegistrationToken(id: "rat_two", tokenHash: open, description: nil, createdAt: now, expiresAt: now.addingTimeInterval(60), maxUses: nil))
            #expect(try await a.useRegistrationToken(hash: open, at: now))
            #expect(try await !a.useRegistrationToken(hash: open, at: now.addingTimeInterval(61)))
            #expect(try await a.deleteRegistrationToken(id: "rat_two"))
            #expect(try await !a.deleteRegistrationToken(id: "rat_two"))
            #expect(try await !a.useRegistrationToken(hash: open, at: now))
            #expect(try await b.registrationTokens().isEmpty)
        }
    }

    @Test("a registration is read back with its metadata and goes with its client", arguments: StorageBackend.all)
    func registrations(_ backend: StorageBackend) async throws {
        try await backend.withInstance { store, a, b, clock in
            let client = Seed.client(at: clock.now)
            try await store.registerClient(client, in: a.tenant)
            let registration = ClientRegistration(
                clientID: client.clientID, accessTokenHash: Seed.hash(), metadata: ["client_uri": .string("https://rp.example")], createdAt: clock.now)
            try await a.saveClientRegistration(registration)
            let read = try await a.clientRegistration(clientID: client.clientID)
            #expect(read?.accessTokenHash == registration.accessTokenHash && read?.metadata == registration.metadata)
            #expect(try await b.clientRegistration(clientID: client.clientID) == nil)
            try await store.deleteClient(clientID: client.clientID, in: a.tenant)
            #expect(try await a.clientRegistration(clientID: client.clientID) == nil)
        }
    }
}
