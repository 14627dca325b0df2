import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import GRDB
import Testing

/// Creating, reopening and deleting tenants (docs/architecture.md, Tenancy in the types).
@Suite("InstanceStore: tenant lifecycle")
struct TenantLifecycleTests {
    @Test("a new tenant gets its own SQLite file in WAL mode")
    func tenantFileInWALMode() async throws {
        try await StoreFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("acme")
            let file = fixture.tenantFile(tenant)
            #expect(FileManager.default.fileExists(atPath: file.path))
            let mode = try RawSQLite.read(file) { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            #expect(store.resolve(slug: "acme") == tenant)
            #expect(store.tenants().map(\.slug) == ["acme"])
            #expect(tenant.tenant.issuer(publicURL: "https://id.example.com") == "https://id.example.com/t/acme")
        }
    }

    @Test("a new tenant has one Ed25519 signing key whose private key is sealed under the master key")
    func signingKeySealed() async throws {
        try await StoreFixture.withStore { store, fixture in
            let tenant = try await store.makeTenant("acme")
            let ring = try await store.database(for: tenant).keyRing(at: fixture.clock.now)
            let signer = try ring.signer(for: .eddsa)
            let privateKey = try #require(signer.signingKey).privateKeyBytes()
            let rows = try RawSQLite.read(fixture.tenantFile(tenant)) { db in
                try Row.fetchAll(db, sql: "SELECT kid, sealed_private_key FROM signing_keys")
                    .map { ($0["kid"] as String, Array($0["sealed_private_key"] as Data)) }
            }
            #expect(rows.count == 1)
            let (kid, sealed) = try #require(rows.first)
            #expect(kid == signer.kid)
            #expect(sealed != privateKey)
            #expect(!sealed.contains(subsequence: privateKey), "the raw private key appears nowhere in the blob")
            #expect(try SecretBox(key: fixture.masterKey).open(sealed) == privateKey)
        }
    }

    @Test("opening a tenant's keys with another master key fails as unavailable")
    func wrongMasterKey() async throws {
        try await StoreFixture.with { fixture in
            do {
                _ = try await fixture.open().makeTenant("acme")
            }
            let wrong = try fixture.open(masterKey: SecretBox.generateKey())
            let tenant = try #require(wrong.resolve(slug: "acme"))
            let db = try await wrong.database(for: tenant)
            await expectUnavailable { _ = try await db.keyRing(at: fixture.clock.now) }
            // The right key still works on the same files.
            let right = try fixture.open()
            #expect(try await right.database(for: #require(right.resolve(slug: "acme"))).keyRing(at: fixture.clock.now).jwks.count == 1)
        }
    }

    @Test("a duplicate slug is a conflict and leaves no second tenant or file behind")
    func duplicateSlug() async throws {
        try await StoreFixture.withStore { store, fixture in
            let first = try await store.makeTenant("acme")
            await expectConflict { _ = try await store.createTenant(slug: "acme", name: "Other", environment: .live, settings: TenantSettings()) }
            #expect(store.tenants().count == 1)
            #expect(store.resolve(slug: "acme") == first)
            let files = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.appendingPathComponent("tenants").path)
            #expect(files.filter { $0.hasSuffix(".sqlite") } == ["\(first.id.rawValue).sqlite"])
        }
    }

    @Test("deleting a tenant removes its files, its registry row and its client-key index rows")
    func deleteTenant() async throws {
        try await StoreFixture.withStore { store, fixture in
            let doomed = try await store.makeTenant("doomed")
            let kept = try await store.makeTenant("kept")
            let client = Seed.client(at: fixture.clock.now)
            try await store.registerClient(client, in: doomed)
            let keptClient = Seed.client(at: fixture.clock.now)
            try await store.registerClient(keptClient, in: kept)
            let file = fixture.tenantFile(doomed)

            try await store.deleteTenant(doomed)

            for suffix in ["", "-wal", "-shm"] {
                #expect(!FileManager.default.fileExists(atPath: file.path + suffix), "\(file.lastPathComponent)\(suffix) is removed")
            }
            #expect(store.resolve(slug: "doomed") == nil)
            #expect(store.tenants().map(\.slug) == ["kept"])
            #expect(try await store.resolve(clientID: client.clientID) == nil)
            #expect(try await store.resolve(clientID: keptClient.clientID) == kept)
            let (tenantRows, keyRows) = try RawSQLite.read(fixture.instanceFile) { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tenants WHERE id = ?", arguments: [doomed.id.rawValue]) ?? -1,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client_keys WHERE tenant_id = ?", arguments: [doomed.id.rawValue]) ?? -1
                )
            }
            #expect(tenantRows == 0)
            #expect(keyRows == 0)

            // A restart does not bring it back, and the slug can be taken again as a new tenant.
            let reopened = try fixture.open()
            #expect(reopened.resolve(slug: "doomed") == nil)
            let again = try await reopened.makeTenant("doomed")
            #expect(again.id != doomed.id)
            #expect(try await reopened.database(for: again).client(clientID: client.clientID) == nil)
        }
    }

    @Test("an update racing a deletion never brings the tenant back; an update after it is notFound")
    func updateRacingDeletion() async throws {
        try await StoreFixture.withStore { store, _ in try await store.expectUpdatesDoNotResurrectDeletedTenants() }
    }

    @Test("a new InstanceStore on the same folder sees the same tenants")
    func reopenSeesTenants() async throws {
        try await StoreFixture.with { fixture in
            var settings = TenantSettings()
            settings.accessTokenTTL = 600
            settings.allowedOrigins = ["https://app.example.com"]
            let created: [ResolvedTenant]
            do {
                let store = try fixture.open()
                created = [
                    try await store.createTenant(slug: "acme", name: "Acme Corp", environment: .live, settings: settings),
                    try await store.makeTenant("beta"),
                ]
            }
            let reopened = try fixture.open()
            #expect(reopened.tenants() == created.map(\.tenant).sorted { $0.slug < $1.slug })
            #expect(reopened.resolve(slug: "acme") == created[0])
            #expect(reopened.resolve(slug: "acme")?.tenant.settings == settings)
            #expect(reopened.resolve(slug: "acme")?.tenant.environment == .live)
        }
    }

    @Test("updating a tenant's settings is visible at once and after a restart")
    func updateTenant() async throws {
        try await StoreFixture.with { fixture in
            var settings = TenantSettings()
            settings.refreshTokenTTL = 7200
            do {
                let store = try fixture.open()
                let tenant = try await store.makeTenant("acme")
                _ = try await store.database(for: tenant)
                let updated = try await store.updateTenant(tenant, name: "Acme Renamed", settings: settings)
                #expect(updated.tenant.settings == settings)
                #expect(store.resolve(slug: "acme") == updated)
                #expect(try await store.database(for: updated).tenant == updated, "the open database carries the new settings")
            }
            let reopened = try fixture.open()
            #expect(reopened.resolve(slug: "acme")?.tenant.name == "Acme Renamed")
            #expect(reopened.resolve(slug: "acme")?.tenant.settings == settings)
        }
    }
}

extension Array where Element: Equatable {
    func contains(subsequence: [Element]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return subsequence.isEmpty }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<($0 + subsequence.count)]) == subsequence }
    }
}
