import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Users' metadata and clients' custom claims (docs/contract.md A9) are stored and read back alike
/// on SQLite and PostgreSQL: on insert, on update, and through the client cache.
@Suite("Storage conformance: user metadata and client custom claims")
struct CustomClaimStoreTests {
    static let publicMetadata: [String: JSONValue] = [
        "plan": .string("pro"), "seats": .number(5), "nested": .object(["list": .array([.bool(true), .null])]),
    ]
    static let claims: [String: CustomClaim] = [
        "plan": "{{user.public_metadata.plan}}", "https://example.com/env": CustomClaim(value: .number(1), in: [.userinfo]),
    ]

    /// Runs `body` with an instance store of each backend and a fresh tenant of it.
    static func eachBackend(_ body: @Sendable (any InstanceStorage, ResolvedTenant) async throws -> Void) async throws {
        try await StoreFixture.withStore { store, _ in try await body(store, try await store.makeTenant("claims")) }
        if PostgresFixture.url != nil {
            try await PostgresFixture.withStore { store, _ in try await body(store, try await store.makeTenant("claims")) }
        }
    }

    @Test("user metadata is stored on insert and replaced on update")
    func userMetadata() async throws {
        try await Self.eachBackend { store, tenant in
            let db = try await store.storage(for: tenant)
            var user = Seed.user(email: "meta@example.com", at: Date(timeIntervalSince1970: 1_800_000_000))
            user.publicMetadata = Self.publicMetadata
            user.privateMetadata = ["crm_id": .string("C-1")]
            try await db.insertUser(user)
            #expect(try await db.user(id: user.id) == user)
            user.publicMetadata = [:]
            user.privateMetadata = ["crm_id": .string("C-2")]
            try await db.updateUser(user, at: user.updatedAt)
            let read = try #require(try await db.user(email: user.email))
            #expect(read.publicMetadata == [:] && read.privateMetadata == ["crm_id": .string("C-2")])
        }
    }

    @Test("a client's custom claims are stored on insert and update, and the cache follows")
    func clientClaims() async throws {
        try await Self.eachBackend { store, tenant in
            var client = Seed.client(at: Date(timeIntervalSince1970: 1_800_000_000))
            client.customClaims = Self.claims
            try await store.registerClient(client, in: tenant, builtin: nil)
            let db = try await store.storage(for: tenant)
            #expect(try await db.client(clientID: client.clientID)?.customClaims == Self.claims)
            client.customClaims = ["tier": "gold"]
            try await db.updateClient(client)
            #expect(try await db.client(clientID: client.clientID)?.customClaims == ["tier": "gold"])
            #expect(try await db.listClients().first { $0.clientID == client.clientID }?.customClaims == ["tier": "gold"])
        }
    }

    @Test("`gatehouse storage copy` (SQLite → PostgreSQL) keeps users' metadata and clients' custom claims", .enabled(if: PostgresFixture.url != nil))
    func storageCopy() async throws {
        try await StoreFixture.withStore { sqlite, _ in
            let tenant = try await sqlite.makeTenant("copied")
            var user = Seed.user(email: "copied@example.com", at: Date(timeIntervalSince1970: 1_800_000_000))
            user.publicMetadata = Self.publicMetadata
            user.privateMetadata = ["crm_id": .string("C-3")]
            try await sqlite.storage(for: tenant).insertUser(user)
            var client = Seed.client(at: user.createdAt)
            client.customClaims = Self.claims
            try await sqlite.registerClient(client, in: tenant, builtin: nil)
            try await PostgresFixture.withStore { postgres, _ in
                _ = try await postgres.copy(from: sqlite)
                let copied = try await postgres.storage(for: try #require(postgres.resolve(slug: "copied")))
                let read = try #require(try await copied.user(id: user.id))
                #expect(read.publicMetadata == Self.publicMetadata && read.privateMetadata == ["crm_id": .string("C-3")])
                #expect(try await copied.client(clientID: client.clientID)?.customClaims == Self.claims)
            }
        }
    }
}
