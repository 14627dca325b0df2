import Foundation
import GatehouseCore
import PostgresNIO

/// Settings of the PostgreSQL backend (`[storage] backend = "postgres"`).
public struct PostgresStoreConfiguration: Sendable {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`
    /// (`GATEHOUSE_DATABASE_URL`); `postgresql://` is accepted too. A `host` query parameter that
    /// starts with `/` names a Unix socket folder instead of a TCP host.
    public var url: String
    /// Prefix of the instance's schemas (`PostgresSchemas`), default `gatehouse`.
    public var schemaPrefix: String
    /// Connections of this node's pool, at most (the pool is bounded; requests wait for a free one).
    public var maxConnections: Int
    /// Tenant handles kept prepared at once (least recently used are dropped beyond this).
    public var maxOpenTenants: Int
    /// Signing key rotation.
    public var keyPolicy: KeyPolicy
    /// Seconds between two reads of the change feed (`PostgresChangeFeed`): how long another
    /// node's write may take to reach this node's caches, plus one query.
    public var changePollInterval: TimeInterval = 0.25
    /// Seconds a node waits at start for the database to answer before it gives up with
    /// `StoreError.unavailable`.
    public var startupTimeout: Int = 15
    /// Seconds one pool (`PostgresPool`) takes new work before the node replaces it with a fresh
    /// one and drains it; `nil`: never. A PostgreSQL backend keeps the catalog of every tenant
    /// schema it touched (≈ 40 KiB each) and pays for each catalog change in proportion to them.
    public var connectionLifetime: TimeInterval?

    public init(
        url: String, schemaPrefix: String = "gatehouse", maxConnections: Int = 20, maxOpenTenants: Int = 1024,
        keyPolicy: KeyPolicy = KeyPolicy(), connectionLifetime: TimeInterval? = 60
    ) {
        self.connectionLifetime = connectionLifetime
        self.url = url
        self.schemaPrefix = schemaPrefix
        self.maxConnections = maxConnections
        self.maxOpenTenants = maxOpenTenants
        self.keyPolicy = keyPolicy
    }

    /// `host:port/database` of `url`, without user or password, for messages.
    public var address: String {
        guard let c = URLComponents(string: url) else { return "(unparsable URL)" }
        return "\(c.host ?? "?"):\(c.port ?? 5432)/\(String(c.path.drop { $0 == "/" }))"
    }

    /// Checks `url` and the schema prefix without connecting.
    /// - Throws: `StoreError.unavailable` naming the problem (never the URL's password).
    public func validate() throws {
        _ = try clientConfiguration()
        _ = try PostgresSchemas(prefix: schemaPrefix)
    }

    /// The pool's connection settings parsed from `url`.
    /// - Throws: `StoreError.unavailable` naming what is wrong with the URL (never its password).
    func clientConfiguration() throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url) else {
            throw StoreError.unavailable(
                "the database URL is not a valid URL (GATEHOUSE_DATABASE_URL; a port must be a number, special characters in "
                    + "the password percent-encoded)")
        }
        guard let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw StoreError.unavailable("the database URL must start with postgres:// (GATEHOUSE_DATABASE_URL)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError.unavailable("the database URL names no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw StoreError.unavailable("the database URL names no database (postgres://USER@HOST/DATABASE)")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { _, last in last }
        let password = components.password?.removingPercentEncoding
        let username = user.removingPercentEncoding ?? user
        var configuration: PostgresClient.Configuration
        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            let port = components.port ?? 5432
            configuration = .init(
                unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw StoreError.unavailable("the database URL names no host (postgres://USER@HOST/DATABASE)")
            }
            let tls: PostgresClient.Configuration.TLS
            switch query["sslmode"] ?? "prefer" {
            case "disable": tls = .disable
            case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
            case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
            case let other: throw StoreError.unavailable("the database URL's sslmode '\(other)' is not one of disable, prefer, require")
            }
            configuration = .init(host: host, port: components.port ?? 5432, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.maximumConnections = max(1, maxConnections)
        configuration.options.minimumConnections = 0
        return configuration
    }
}
