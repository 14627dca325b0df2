import Foundation
import GatehouseStore
import GatehouseWeb
import Testing

/// `[storage]` and `[backup]` per backend: every key either takes effect on the chosen backend or
/// stops the start with a problem naming it (a setting accepted and ignored is a defect).
@Suite("Web: storage settings per backend")
struct StorageConfigurationTests {
    static let postgres: [String: String] = [
        "GATEHOUSE_STORAGE_BACKEND": "postgres", "GATEHOUSE_DATABASE_URL": "postgres://gatehouse@127.0.0.1:5432/gatehouse",
        "GATEHOUSE_ADMIN_TOKEN": "an-admin-token-for-every-node", "GATEHOUSE_MASTER_KEY_FILE": "/etc/gatehouse/master.key",
    ]

    @Test("max_open_tenants reaches the PostgreSQL store's handle LRU; unset, each backend has its default")
    func maxOpenTenantsOnPostgres() throws {
        let set = try ConfigurationTests.load("[storage]\nmax_open_tenants = 7\n", environment: Self.postgres)
        let url = try #require(set.databaseURL)
        #expect(try set.postgresConfiguration(url: url, keyPolicy: KeyPolicy()).maxOpenTenants == 7)
        let unset = try GatehouseConfiguration.load(path: nil, environment: Self.postgres)
        #expect(unset.maxOpenTenants == 1024)
        #expect(try unset.postgresConfiguration(url: url, keyPolicy: KeyPolicy()).maxOpenTenants == 1024)
        #expect(try GatehouseConfiguration.load(path: nil, environment: [:]).maxOpenTenants == 128)
    }

    @Test("serving on PostgreSQL needs the shared admin token; loading the configuration for maintenance does not")
    func adminTokenOnlyForNodes() throws {
        var environment = Self.postgres
        environment["GATEHOUSE_ADMIN_TOKEN"] = nil
        let maintenance = try GatehouseConfiguration.load(path: nil, environment: environment)
        #expect(maintenance.nodeProblems.map(\.key) == ["GATEHOUSE_ADMIN_TOKEN"])
        #expect(try GatehouseConfiguration.load(path: nil, environment: Self.postgres).nodeProblems.isEmpty)
        #expect(try GatehouseConfiguration.load(path: nil, environment: [:]).nodeProblems.isEmpty)
    }

    @Test("SQLite-only keys are refused with PostgreSQL, each named")
    func sqliteKeysOnPostgres() {
        let keys = ConfigurationTests.problemKeys(
            """
            [storage]
            synchronous = "full"
            max_open_tenants = 64
            [backup]
            dir = "/var/backups/gatehouse"
            interval_seconds = 3600
            keep = 3
            """, environment: Self.postgres)
        #expect(Set(keys) == ["storage.synchronous", "backup.dir", "backup.interval_seconds", "backup.keep"])
    }

    @Test("PostgreSQL-only keys are refused with SQLite, and [backup] settings without a folder")
    func postgresKeysOnSQLite() throws {
        let keys = ConfigurationTests.problemKeys(
            """
            [storage]
            max_connections = 5
            schema_prefix = "gh"
            [backup]
            keep = 3
            """)
        #expect(Set(keys) == ["storage.max_connections", "storage.schema_prefix", "backup.keep"])
        let backups = try ConfigurationTests.load("[backup]\ndir = \"/tmp/b\"\ninterval_seconds = 60\nkeep = 2\n")
        #expect(backups.backup.keep == 2)
    }

    @Test("the refusal names the key and says what to do")
    func message() throws {
        do {
            _ = try ConfigurationTests.load("[storage]\nsynchronous = \"full\"\n", environment: Self.postgres)
            Issue.record("expected a refusal")
        } catch let invalid as GatehouseConfiguration.Invalid {
            #expect(invalid.description.contains("storage.synchronous: has no effect with [storage] backend = \"postgres\""))
        }
    }
}

/// `[storage] connection_lifetime_seconds`: how long one PostgreSQL pool serves before it is renewed.
@Suite("Web: PostgreSQL pool lifetime")
struct PoolLifetimeConfigurationTests {
    @Test("connection_lifetime_seconds reaches the store (0: never renewed); default 60; out of range or on SQLite refused")
    func lifetime() throws {
        let postgres = StorageConfigurationTests.postgres
        let url = try #require(postgres["GATEHOUSE_DATABASE_URL"])
        let set = try ConfigurationTests.load("[storage]\nconnection_lifetime_seconds = 5\n", environment: postgres)
        #expect(try set.postgresConfiguration(url: url, keyPolicy: KeyPolicy()).connectionLifetime == 5)
        let never = try ConfigurationTests.load("[storage]\nconnection_lifetime_seconds = 0\n", environment: postgres)
        #expect(try never.postgresConfiguration(url: url, keyPolicy: KeyPolicy()).connectionLifetime == nil)
        let unset = try GatehouseConfiguration.load(path: nil, environment: postgres)
        #expect(try unset.postgresConfiguration(url: url, keyPolicy: KeyPolicy()).connectionLifetime == 60)
        #expect(
            ConfigurationTests.problemKeys("[storage]\nconnection_lifetime_seconds = -1\n", environment: postgres)
                == ["storage.connection_lifetime_seconds"])
        #expect(ConfigurationTests.problemKeys("[storage]\nconnection_lifetime_seconds = 30\n") == ["storage.connection_lifetime_seconds"])
    }
}
