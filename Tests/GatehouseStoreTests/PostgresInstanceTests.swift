import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Logging
import Testing

/// The PostgreSQL instance: schemas, migrations under concurrency, the master-key check, tenant
/// lifecycle as schemas. Runs when the test cluster's URL is set (`PostgresFixture.url`).
@Suite(.enabled(if: PostgresFixture.url != nil, "GATEHOUSE_TEST_DATABASE_URL is not set"))
struct PostgresInstanceTests {
    @Test func nodesStartingTogetherMigrateOnceAndAgreeOnTheRegistry() async throws {
        try await PostgresFixture.with { fixture in
            let stores = try await Race.run(4) { _ in try await fixture.open() }
            defer { for store in stores { store.shutdown() } }
            let tenant = try await stores[0].makeTenant("acme")
            let other = try await fixture.open()
            defer { other.shutdown() }
            #expect(other.resolve(slug: "acme") == tenant)
        }
    }

    @Test func anotherMasterKeyIsRefused() async throws {
        try await PostgresFixture.with { fixture in
            try await fixture.open().shutdown()
            await expectUnavailable { _ = try await fixture.open(masterKey: SecretBox.generateKey()) }
        }
    }

    @Test func aSchemaWrittenByANewerVersionIsRefused() async throws {
        try await PostgresFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("acme")
            try await store.recordForeignMigration("2099-01-01-from-the-future", tenant: tenant)
            await expectUnavailable { _ = try await fixture.open().storage(for: tenant) }
        }
    }

    @Test func aTenantIsASchemaCreatedAndDroppedWithIt() async throws {
        try await PostgresFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("acme")
            #expect(try await store.schemaNames(startingWith: fixture.prefix + "_t_").count == 1)
            await expectConflict { _ = try await store.makeTenant("acme") }
            try await store.deleteTenant(tenant)
            #expect(try await store.schemaNames(startingWith: fixture.prefix + "_t_").isEmpty)
            #expect(store.resolve(slug: "acme") == nil)
        }
    }

    @Test func anUpdateRacingADeletionNeverBringsTheTenantBack() async throws {
        try await PostgresFixture.withStore { store, _ in try await store.expectUpdatesDoNotResurrectDeletedTenants() }
    }

    @Test func maxOpenTenantsBoundsTheHandlesANodeKeeps() async throws {
        try await PostgresFixture.with { fixture in
            let store = try await fixture.open(maxOpenTenants: 2)
            for index in 0..<5 {
                let tenant = try await store.makeTenant("lru-\(index)")
                _ = try await store.storage(for: tenant)
                #expect(store.openDatabaseCount <= 2)
            }
            #expect(store.openDatabaseCount == 2)
        }
    }

    @Test func aClosedStoreFailsAtOnceWithUnavailable() async throws {
        try await PostgresFixture.with { fixture in
            let store = try await fixture.open()
            _ = try await store.makeTenant("acme")
            await store.close()
            let started = Date()
            do {
                _ = try await store.resolve(clientID: "pk_test_unknown")
                Issue.record("expected a failure")
            } catch {
                #expect(StoreError.unavailable(from: error) != nil, "\(String(reflecting: error))")
            }
            #expect(Date().timeIntervalSince(started) < 1)
        }
    }

    @Test(arguments: [
        "mysql://u@h/d", "postgres://h/d", "postgres://u@h", "postgres://u@h/d?sslmode=sometimes",
    ])
    func aBadURLIsNamedWithoutItsPassword(_ url: String) async throws {
        do {
            _ = try await PostgresInstanceStore.open(
                configuration: PostgresStoreConfiguration(url: url), masterKey: SecretBox.generateKey(), clock: TestClock(),
                logger: .init(label: "test"))
            Issue.record("expected a refusal")
        } catch StoreError.unavailable(let message) {
            #expect(message.contains("database URL"), "\(message)")
        }
    }
}
