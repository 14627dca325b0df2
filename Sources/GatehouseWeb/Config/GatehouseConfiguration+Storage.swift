import Foundation
import GatehouseStore

extension GatehouseConfiguration {
    /// Whether the instance lives in PostgreSQL (`[storage] backend = "postgres"`).
    public var usesPostgres: Bool { storageBackend == "postgres" }

    /// Keys of the file that only the SQLite backend uses (`[backup]` copies SQLite files; `dir`
    /// has a problem of its own).
    static let sqliteOnlyKeys = ["storage.synchronous", "backup.interval_seconds", "backup.keep"]
    /// Keys of the file that only the PostgreSQL backend uses.
    static let postgresOnlyKeys = ["storage.max_connections", "storage.schema_prefix", "storage.connection_lifetime_seconds"]

    /// The problems of the `[storage]` backend settings. With PostgreSQL every node must share the
    /// master key and the admin token, so neither may be generated into one node's data folder,
    /// and backups are PostgreSQL's own (pg_dump, base backups), not `[backup]`'s file copies. A
    /// key the chosen backend would ignore is refused rather than accepted and ignored; so are
    /// `[backup]` settings without `backup.dir`.
    func validateStorageBackend() -> [Problem] {
        var problems: [Problem] = []
        let ignored = storageBackend == "postgres" ? Self.sqliteOnlyKeys : storageBackend == "sqlite" ? Self.postgresOnlyKeys : []
        for key in ignored where fileKeys.contains(key) {
            problems.append(Problem(key: key, message: "has no effect with [storage] backend = \"\(storageBackend)\"; remove it"))
        }
        switch storageBackend {
        case "sqlite":
            if databaseURL != nil {
                problems.append(Problem(key: "GATEHOUSE_DATABASE_URL", message: "is set but [storage] backend is 'sqlite'; set backend = \"postgres\""))
            }
            for key in ["backup.interval_seconds", "backup.keep"] where fileKeys.contains(key) && backup.directory == nil {
                problems.append(Problem(key: key, message: "has no effect without backup.dir; set dir or remove it"))
            }
        case "postgres":
            if let databaseURL {
                do {
                    _ = try postgresConfiguration(url: databaseURL, keyPolicy: KeyPolicy())
                } catch let error as StoreError {
                    problems.append(Problem(key: "GATEHOUSE_DATABASE_URL", message: "\(error.message)"))
                } catch {}
            } else {
                problems.append(Problem(key: "GATEHOUSE_DATABASE_URL", message: "is required with [storage] backend = \"postgres\""))
            }
            if masterKeyFile == nil {
                problems.append(
                    Problem(key: "security.master_key_file", message: "is required with PostgreSQL: every node must use the same master key"))
            }
            if backup.directory != nil {
                problems.append(
                    Problem(key: "backup.dir", message: "backs up SQLite files; with PostgreSQL use pg_dump or base backups"))
            }
        default:
            problems.append(Problem(key: "storage.backend", message: "must be 'sqlite' or 'postgres'"))
        }
        if !(1...1000).contains(databaseMaxConnections) {
            problems.append(Problem(key: "storage.max_connections", message: "must be 1…1000"))
        }
        if !(0...86_400).contains(databaseConnectionLifetime) {
            problems.append(Problem(key: "storage.connection_lifetime_seconds", message: "must be 0 (never renewed) … 86400"))
        }
        if (try? PostgresSchemas(prefix: databaseSchemaPrefix)) == nil {
            problems.append(Problem(key: "storage.schema_prefix", message: "must match [a-z][a-z0-9_]{0,19}"))
        }
        return problems
    }

    /// What serving as a node needs beyond a valid configuration: with PostgreSQL every node
    /// must accept the same admin token, so none may be generated into one node's data folder.
    /// Maintenance commands (`gatehouse migrate`, `storage copy`) do not serve and do not need it.
    public var nodeProblems: [Problem] {
        usesPostgres && adminToken == nil
            ? [Problem(key: "GATEHOUSE_ADMIN_TOKEN", message: "is required with PostgreSQL: every node must accept the same admin token")]
            : []
    }

    /// The PostgreSQL backend's settings.
    /// - Throws: `StoreError.unavailable` naming what is wrong with `url`.
    public func postgresConfiguration(url: String, keyPolicy: KeyPolicy) throws -> PostgresStoreConfiguration {
        let configuration = PostgresStoreConfiguration(
            url: url, schemaPrefix: databaseSchemaPrefix, maxConnections: databaseMaxConnections, maxOpenTenants: maxOpenTenants,
            keyPolicy: keyPolicy, connectionLifetime: databaseConnectionLifetime > 0 ? TimeInterval(databaseConnectionLifetime) : nil)
        try configuration.validate()
        return configuration
    }
}
