import Foundation
import GatehouseCore
import GatehouseCrypto
@testable import GatehouseStore
import GRDB
import Testing

/// The tenant archive's format and its view of the tenant schema: every table is either carried
/// or emptied, and every sealed column is re-sealed or leaves with its table, so a later
/// migration cannot add a table or a secret that an export silently carries under the wrong key.
@Suite("Tenant archive")
struct TenantArchiveTests {
    static func schema() throws -> (tables: Set<String>, sealed: Set<String>) {
        let queue = try DatabaseQueue()
        try Migrations.tenant.migrate(queue)
        return try queue.read { db in
            let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
            var sealed: Set<String> = []
            for table in tables {
                for column in try db.columns(in: table) where column.name.hasPrefix("sealed_") { sealed.insert("\(table).\(column.name)") }
            }
            return (tables, sealed)
        }
    }

    @Test("every table of the tenant schema is either kept or cleared by a copy, never both")
    func everyTableClassified() throws {
        let (tables, _) = try Self.schema()
        let kept = Set(TenantArchive.keptTables), cleared = Set(TenantArchive.clearedTables)
        #expect(kept.isDisjoint(with: cleared))
        #expect(kept.union(cleared) == tables, "classify new tables in TenantArchive.keptTables or clearedTables")
    }

    @Test("every sealed column of a kept table is re-sealed")
    func everySealedColumnResealed() throws {
        let (_, sealed) = try Self.schema()
        let cleared = Set(TenantArchive.clearedTables)
        let inKept = sealed.filter { !cleared.contains(String($0.split(separator: ".")[0])) }
        #expect(Set(TenantArchive.sealedColumns.map { "\($0.table).\($0.column)" }) == inKept)
    }

    @Test("an archive opens with its passphrase only, and any altered byte is refused")
    func archiveRoundTrip() throws {
        let keys = try TenantArchive.derivedKeys(passphrase: "a long enough passphrase", memoryKiB: 8, iterations: 1)
        let contents = TenantArchive.Contents(
            format: 1, createdAt: "2026-12-04T00:00:00Z", slug: "acme", name: "Acme",
            environment: .live, settings: TenantSettings())
        let database = SecureRandom.bytes(100_000)
        let archive = try TenantArchive.seal(contents: contents, database: database, keys: keys)
        let (opened, bytes, _) = try TenantArchive.open(archive, passphrase: "a long enough passphrase")
        #expect(opened == contents)
        #expect(bytes == database)
        #expect(throws: TenantArchive.Failure.self) { try TenantArchive.open(archive, passphrase: "another passphrase!") }
        let headerEnd = archive.firstIndex(of: 0x0A, after: TenantArchive.magic.count)
        for offset in [TenantArchive.magic.count + 20, headerEnd + 1, archive.count / 2, archive.count - 1] {
            var altered = archive
            altered[offset] ^= 1
            #expect(throws: TenantArchive.Failure.self) { try TenantArchive.open(altered, passphrase: "a long enough passphrase") }
        }
        #expect(throws: TenantArchive.Failure.self) { try TenantArchive.open(Array(archive.dropLast(40)), passphrase: "a long enough passphrase") }
        #expect(throws: TenantArchive.Failure.self) { try TenantArchive.checkPassphrase("short") }
    }

    @Test("a header asking for more than 1 GiB of Argon2 memory is refused before deriving")
    func refusesCostlyHeader() throws {
        let header =
            #"{"format":1,"kdf":{"algorithm":"argon2id","iterations":1,"memory_kib":4194304,"salt":"AAAAAAAAAAAAAAAAAAAAAA"},"stream_header":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#
        let archive = TenantArchive.magic + Array(header.utf8) + [0x0A] + [UInt8](repeating: 0, count: 64)
        #expect(throws: TenantArchive.Failure("the archive's key derivation costs are outside the accepted range")) {
            try TenantArchive.open(archive, passphrase: "a long enough passphrase")
        }
    }
}

private extension Array where Element == UInt8 {
    func firstIndex(of byte: UInt8, after start: Int) -> Int {
        self[start...].firstIndex(of: byte)!
    }
}

@Suite("Tenant archive schema check")
struct TenantArchiveSchemaTests {
    @Test("a migrated tenant database passes; one with an extra trigger, view or column is refused")
    func schemaCheck() throws {
        for extra in [
            "", "CREATE TRIGGER t AFTER UPDATE ON users BEGIN DELETE FROM clients; END",
            "CREATE VIEW v AS SELECT 1", "ALTER TABLE users ADD COLUMN x TEXT",
        ] {
            let queue = try DatabaseQueue()
            try Migrations.tenant.migrate(queue)
            if !extra.isEmpty { try queue.write { try $0.execute(sql: extra) } }
            if extra.isEmpty {
                try queue.read { try TenantArchive.checkSchema($0) }
            } else {
                #expect(throws: TenantArchive.Failure.self, "\(extra)") { try queue.read { try TenantArchive.checkSchema($0) } }
            }
        }
    }
}

extension TenantArchiveSchemaTests {
    @Test("a tenant database of the first shipped schema, once migrated, has exactly today's schema")
    func shippedSchemaMigratesToTheReference() async throws {
        try await TemporaryDirectory.with("archive-schema") { directory in
            let tenants = MigrationTests.fixture.appendingPathComponent("tenants")
            for name in try FileManager.default.contentsOfDirectory(atPath: tenants.path) where name.hasSuffix(".sqlite") {
                let copy = directory.appendingPathComponent(name)
                try FileManager.default.copyItem(at: tenants.appendingPathComponent(name), to: copy)
                let queue = try DatabaseQueue(path: copy.path)
                try Migrations.tenant.migrate(queue)
                try queue.read { try TenantArchive.checkSchema($0) }
                try queue.close()
            }
        }
    }
}

extension TenantArchiveTests {
    @Test("a scrubbed copy keeps organizations, roles and memberships; the grants go")
    func scrubKeepsMemberships() throws {
        let queue = try DatabaseQueue()
        try Migrations.tenant.migrate(queue)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO users (id, email, email_verified, created_at, updated_at) VALUES ('usr_1', 'a@example.com', 1, ?, ?)",
                arguments: [now, now])
            try db.execute(
                sql: """
                    INSERT INTO organizations (id, name, slug, public_metadata, private_metadata, created_at, updated_at)
                    VALUES ('org_1', 'Acme', 'acme', '{}', '{}', ?, ?)
                    """, arguments: [now, now])
            try db.execute(
                sql: "INSERT INTO organization_roles (name, permissions, created_at, updated_at) VALUES ('billing', '[]', ?, ?)", arguments: [now, now])
            try db.execute(
                sql: "INSERT INTO memberships (organization_id, user_id, role, created_at, updated_at) VALUES ('org_1', 'usr_1', 'billing', ?, ?)",
                arguments: [now, now])
            try TenantArchive.detachLiveCredentials(db, now: now)
            try TenantArchive.scrub(db)
        }
        let (roles, names, slugs) = try queue.read { db in
            (
                try String.fetchAll(db, sql: "SELECT role FROM memberships"),
                try String.fetchAll(db, sql: "SELECT name FROM organization_roles ORDER BY name"),
                try String.fetchAll(db, sql: "SELECT slug FROM organizations")
            )
        }
        #expect(roles == ["billing"])
        #expect(names == ["admin", "billing", "member", "owner"])
        #expect(slugs == ["acme"])
    }
}

extension TenantArchiveTests {
    @Test("a copy keeps invitations with dead links, domains and SSO; scrubbing replaces invited addresses")
    func copyKeepsInvitations() throws {
        let queue = try DatabaseQueue()
        try Migrations.tenant.migrate(queue)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let hash = Data(repeating: 7, count: 32)
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO organizations (id, name, slug, public_metadata, private_metadata, created_at, updated_at)
                    VALUES ('org_1', 'Acme', 'acme', '{}', '{}', ?, ?)
                    """, arguments: [now, now])
            try db.execute(
                sql: """
                    INSERT INTO upstream_providers (id, slug, kind, name, enabled, client_id, scopes, claim_mapping,
                    trust_upstream_mfa, allow_signup, created_at, updated_at)
                    VALUES ('idp_1', 'okta', 'oidc', 'Okta', 1, 'c', '[]', '{}', 0, 1, ?, ?)
                    """, arguments: [now, now])
            try db.execute(
                sql: """
                    INSERT INTO organization_invitations (id, organization_id, email, role, token_hash, created_at, expires_at)
                    VALUES ('inv_1', 'org_1', 'bob@customera.com', 'admin', ?, ?, ?)
                    """, arguments: [hash, now, now.addingTimeInterval(3600)])
            try db.execute(
                sql: """
                    INSERT INTO organization_domains (domain, organization_id, verified_at, auto_join, default_role, created_at)
                    VALUES ('customera.com', 'org_1', ?, 1, 'member', ?)
                    """, arguments: [now, now])
            try db.execute(
                sql: "INSERT INTO organization_sso (organization_id, provider_id, enforced, default_role) VALUES ('org_1', 'idp_1', 1, 'member')")
            try TenantArchive.detachLiveCredentials(db, now: now)
        }
        let (hashes, domains, sso) = try queue.read { db in
            (
                try Data.fetchAll(db, sql: "SELECT token_hash FROM organization_invitations"),
                try String.fetchAll(db, sql: "SELECT domain FROM organization_domains"),
                try String.fetchAll(db, sql: "SELECT provider_id FROM organization_sso")
            )
        }
        #expect(hashes.count == 1 && hashes[0] != hash && hashes[0].count == 32, "the invitation stays, its link does not")
        #expect(domains == ["customera.com"])
        #expect(sso == ["idp_1"])
        try queue.write { db in try TenantArchive.scrub(db) }
        #expect(try queue.read { db in try String.fetchAll(db, sql: "SELECT email FROM organization_invitations") } == ["inv_1@example.invalid"])
    }
}
