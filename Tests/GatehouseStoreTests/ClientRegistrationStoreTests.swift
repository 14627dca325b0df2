import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Dynamic client registration state (RFC 7591 §3, RFC 7592) in a real tenant database on every
/// backend: initial access tokens are used at most `max_uses` times, never after expiry, once
/// each under concurrency, and only in their tenant; a registration goes with its client.
@Suite("Client registrations (RFC 7591, RFC 7592)")
struct ClientRegistrationStoreTests {
    static func eachBackend(_ body: @escaping @Sendable (any InstanceStorage, any TenantHandle, any TenantHandle, TestClock) async throws -> Void) async throws
    {
        try await StoreFixture.withStore { store, fixture in
            let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
            let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
            try await body(store, a, b, fixture.clock)
        }
        if PostgresFixture.url != nil {
            try await PostgresFixture.withStore { store, fixture in
                let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
                let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
                try await body(store, a, b, fixture.clock)
            }
        }
    }

    @Test("an initial access token is spent once per use, up to max_uses, before expiry, in its tenant only")
    func tokens() async throws {
        try await Self.eachBackend { store, a, b, clock in
            let now = clock.now
            let hash = Seed.hash()
            try await a.insertRegistrationToken(
                RegistrationToken(id: "rat_one", tokenHash: hash, description: "ci", createdAt: now, expiresAt: now.addingTimeInterval(60), maxUses: 3))
            #expect(try await !b.useRegistrationToken(hash: hash, at: now))
            // Five concurrent uses of a token with three: three succeed.
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 { group.addTask { try await a.useRegistrationToken(hash: hash, at: now) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
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

    @Test("a registration is read back with its metadata and goes with its client")
    func registrations() async throws {
        try await Self.eachBackend { store, a, b, clock in
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
