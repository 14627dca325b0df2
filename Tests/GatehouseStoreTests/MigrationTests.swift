import Foundation
import GatehouseCore
import GatehouseCrypto
@testable import GatehouseStore
import GRDB
import Logging
import Testing

/// Migrations from a data folder of a shipped schema (docs/architecture.md H11: migrations are never edited
/// after they ship, so an old database must reach today's schema with its data intact), and the
/// refusal of a database written by a newer version.
@Suite("Migrations from shipped schemas")
struct MigrationTests {
    /// A data folder written by Gatehouse on 2026-11-29's schema (tenant `acme` with a client, a
    /// user, a signed-in session with a refresh token, an email template override) and its key.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/schema-2026-11-29")

    struct Facts: Decodable {
        let tenant: String, client_id: String, client_secret: String, email: String, password: String
        let refresh_token: String, session_id: String
    }

    static func copyFixture(to directory: URL) throws -> (key: [UInt8], facts: Facts) {
        let fm = FileManager.default
        try fm.createDirectory(at: directory.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        try fm.copyItem(at: fixture.appendingPathComponent("instance.sqlite"), to: directory.appendingPathComponent("instance.sqlite"))
        for name in try fm.contentsOfDirectory(atPath: fixture.appendingPathComponent("tenants").path) {
            try fm.copyItem(at: fixture.appendingPathComponent("tenants/\(name)"), to: directory.appendingPathComponent("tenants/\(name)"))
        }
        let key = Array(try Data(contentsOf: fixture.appendingPathComponent("master.key")))
        let facts = try JSONDecoder().decode(Facts.self, from: Data(contentsOf: fixture.appendingPathComponent("fixture.json")))
        return (key, facts)
    }

    static func open(_ directory: URL, key: [UInt8]) throws -> InstanceStore {
        try InstanceStore(
            configuration: StoreConfiguration(dataDirectory: directory), masterKey: key, clock: TestClock(Date()),
            logger: Logger(label: "gatehouse.migration-tests"))
    }

    @Test("a data folder of the 2026-11-29 schema reaches today's schema with its tenants, users, clients, sessions, tokens, keys and templates")
    func migratesWithDataIntact() async throws {
        try await TemporaryDirectory.with("migration") { directory in
            let (key, facts) = try Self.copyFixture(to: directory)
            let store = try Self.open(directory, key: key)
            let tenant = try #require(store.resolve(slug: facts.tenant))
            let db = try await store.database(for: tenant)

            let applied = try await db.pool.read { db in try Migrations.tenant.appliedIdentifiers(db) }
            #expect(applied == Set(Migrations.tenant.migrations), "every migration of this version is applied")
            let user = try #require(try await db.user(email: facts.email))
            #expect(try user.passwordHash.map { try PasswordHasher().verify(facts.password, encoded: $0) } == true)
            let client = try #require(try await db.client(clientID: facts.client_id))
            #expect(client.secretHash.map { SecretHash.matches(facts.client_secret, $0) } == true)
            #expect(try await db.session(id: #require(SessionID(rawValue: facts.session_id))) != nil)
            #expect(try await db.refreshToken(hash: SecretHash.of(facts.refresh_token)) != nil)
            #expect(try await db.keyRing(at: Date()).signing[.eddsa]?.signingKey != nil, "signing keys still open with the master key")
            #expect(db.templateOverride(named: "email/code") != nil)
            #expect(try await store.resolve(clientID: facts.client_id) == tenant)
        }
    }

    @Test("gatehouse migrate's report lists, per tenant, the migrations applied now")
    func migrateAllReports() async throws {
        try await TemporaryDirectory.with("migration") { directory in
            let (key, facts) = try Self.copyFixture(to: directory)
            let shipped = try Self.tenantMigrations(directory, facts.tenant, key: key)
            let store = try Self.open(directory, key: key)
            let reports = try store.migrateAllTenants()
            let acme = try #require(reports.first { $0.database == facts.tenant })
            #expect(acme.applied == Migrations.tenant.migrations.filter { !shipped.contains($0) })
            #expect(try store.migrateAllTenants().allSatisfy { $0.applied.isEmpty }, "a second run has nothing to do")
        }
    }

    @Test("a tenant database written by a newer version is refused and left untouched")
    func newerSchemaRefused() async throws {
        try await TemporaryDirectory.with("migration") { directory in
            let (key, facts) = try Self.copyFixture(to: directory)
            let store = try Self.open(directory, key: key)
            let tenant = try #require(store.resolve(slug: facts.tenant))
            let file = directory.appendingPathComponent("tenants/\(tenant.id.rawValue).sqlite")
            let queue = try DatabaseQueue(path: file.path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('2099-01-01-from-the-future')")
            }
            let before = try Self.schema(queue)
            try queue.close()
            do {
                _ = try await store.database(for: tenant)
                Issue.record("a newer database was opened")
            } catch let StoreError.unavailable(message) {
                #expect(message.contains("newer version") && message.contains("2099-01-01-from-the-future"), "\(message)")
            }
            #expect(throws: StoreError.self) { try store.migrateAllTenants() }
            let after = try DatabaseQueue(path: file.path)
            #expect(try Self.schema(after) == before, "no migration ran on the newer database")
            try after.close()
        }
    }

    @Test("an instance database written by a newer version is refused")
    func newerInstanceRefused() throws {
        try TemporaryDirectory.withSync("migration") { directory in
            let (key, _) = try Self.copyFixture(to: directory)
            let queue = try DatabaseQueue(path: directory.appendingPathComponent("instance.sqlite").path)
            try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('2099-01-01-instance')") }
            try queue.close()
            #expect(throws: StoreError.self) { _ = try Self.open(directory, key: key) }
        }
    }

    /// The schema and the applied migrations of a database.
    static func schema(_ queue: DatabaseQueue) throws -> [String] {
        try queue.read { db in
            try String.fetchAll(db, sql: "SELECT coalesce(sql, name) FROM sqlite_master ORDER BY name")
                + String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
    }

    static func tenantMigrations(_ directory: URL, _ slug: String, key: [UInt8]) throws -> Set<String> {
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("instance.sqlite").path)
        let id = try queue.read { db in try String.fetchOne(db, sql: "SELECT id FROM tenants WHERE slug = ?", arguments: [slug]) }
        try queue.close()
        let tenantQueue = try DatabaseQueue(path: directory.appendingPathComponent("tenants/\(try #require(id)).sqlite").path)
        defer { try? tenantQueue.close() }
        return Set(try tenantQueue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") })
    }
}

extension TemporaryDirectory {
    /// The synchronous form of `with`.
    static func withSync<T>(_ label: String, _ body: (URL) throws -> T) throws -> T {
        let directory = try TemporaryDirectory(label)
        defer { directory.remove() }
        return try body(directory.url)
    }
}
