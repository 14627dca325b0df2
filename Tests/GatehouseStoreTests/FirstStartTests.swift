import Foundation
import GatehouseCore
import GatehouseStore
import GRDB
import Logging
import Testing

/// An instance store of any backend, opened as often as a case needs on one instance (each open is
/// a restart, or on PostgreSQL another node).
struct InstanceBackend: Sendable, CustomTestStringConvertible {
    typealias Opener = @Sendable () async throws -> any InstanceStorage
    let name: String
    let withInstance: @Sendable (_ body: @Sendable (_ open: @escaping Opener) async throws -> Void) async throws -> Void

    var testDescription: String { name }

    static let all: [InstanceBackend] = [sqlite] + (PostgresFixture.url == nil ? [] : [postgres])

    static let sqlite = InstanceBackend(name: "SQLite") { body in
        try await StoreFixture.with { fixture in try await body { try fixture.open() } }
    }

    static let postgres = InstanceBackend(name: "PostgreSQL") { body in
        try await PostgresFixture.with { fixture in try await body { try await fixture.open() } }
    }
}

/// The tenant `default` is made on the instance's first start only (`createFirstTenant`): the
/// first tenant's transaction records the instance as initialised, the same on both backends.
@Suite("Instance: the first start")
struct FirstStartTests {
    @Test("created on the first start; not again on a restart, even after every tenant was deleted", arguments: InstanceBackend.all)
    func onceAndNeverAgain(_ backend: InstanceBackend) async throws {
        try await backend.withInstance { open in
            let store = try await open()
            let created = try #require(try await store.createFirstTenant(slug: "default", name: "Default", environment: .dev))
            #expect(try await store.createFirstTenant(slug: "default", name: "Default", environment: .dev) == nil)
            try await store.deleteTenant(created)
            let restarted = try await open()
            #expect(try await restarted.createFirstTenant(slug: "default", name: "Default", environment: .dev) == nil)
            #expect(restarted.tenants().isEmpty)
        }
    }

    @Test("an instance whose registry holds tenants was initialised", arguments: InstanceBackend.all)
    func anyTenantInitialises(_ backend: InstanceBackend) async throws {
        try await backend.withInstance { open in
            _ = try await open().makeTenant("acme")
            let restarted = try await open()
            #expect(try await restarted.createFirstTenant(slug: "default", name: "Default", environment: .dev) == nil)
            #expect(restarted.tenants().map(\.slug) == ["acme"])
        }
    }

    @Test("of stores starting together, one creates it", arguments: InstanceBackend.all)
    func startingTogether(_ backend: InstanceBackend) async throws {
        try await backend.withInstance { open in
            var stores: [any InstanceStorage] = []
            for _ in 0..<4 { stores.append(try await open()) }
            let started = stores
            let created = try await Race.run(4) { index -> Bool in
                do {
                    return try await started[index].createFirstTenant(slug: "default", name: "Default", environment: .dev) != nil
                } catch StoreError.conflict {
                    return false
                }
            }
            #expect(created.filter { $0 }.count == 1)
            #expect(try await open().tenants().map(\.slug) == ["default"])
        }
    }

    @Test("SQLite: a data folder made before the instance recorded it counts as initialised, tenants or not")
    func olderDataFolder() async throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/schema-2026-11-29")
        try await TemporaryDirectory.with("first-start") { folder in
            let data = folder.appendingPathComponent("data")
            try FileManager.default.copyItem(at: fixture, to: data)
            let key = [UInt8](try Data(contentsOf: data.appendingPathComponent("master.key")))
            let queue = try DatabaseQueue(path: data.appendingPathComponent("instance.sqlite").path)
            try await queue.write { db in try db.execute(sql: "DELETE FROM tenants") }
            try queue.close()
            let store = try InstanceStore(
                configuration: StoreConfiguration(dataDirectory: data), masterKey: key, clock: TestClock(),
                logger: .init(label: "gatehouse.store-tests"))
            #expect(store.tenants().isEmpty)
            #expect(try await store.createFirstTenant(slug: "default", name: "Default", environment: .dev) == nil)
        }
    }
}
