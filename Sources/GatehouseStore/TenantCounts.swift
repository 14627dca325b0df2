import GatehouseCore
import GRDB
import PostgresNIO

/// How many users, clients (built-in ones not counted) and organizations a tenant holds, for the
/// admin console's tenant list.
public struct TenantCounts: Sendable, Equatable {
    public let users: Int
    public let clients: Int
    public let organizations: Int

    public init(users: Int, clients: Int, organizations: Int) {
        self.users = users
        self.clients = clients
        self.organizations = organizations
    }
}

/// The counts of one tenant's rows, on every backend that holds a `TenantHandle`.
public protocol TenantCounting: Sendable {
    /// Counts the tenant's users, clients that are not built-in, and organizations (three `COUNT(*)`).
    func counts() async throws -> TenantCounts
}

extension TenantDatabase: TenantCounting {
    public func counts() async throws -> TenantCounts {
        try await pool.read { db in
            TenantCounts(
                users: try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM users") ?? 0,
                clients: try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM clients WHERE builtin IS NULL") ?? 0,
                organizations: try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM organizations") ?? 0)
        }
    }
}

extension PostgresTenantDatabase: TenantCounting {
    public func counts() async throws -> TenantCounts {
        let rows = try await query(
            """
            SELECT (SELECT COUNT(*) FROM \(unescaped: schema).users),
                (SELECT COUNT(*) FROM \(unescaped: schema).clients WHERE builtin IS NULL),
                (SELECT COUNT(*) FROM \(unescaped: schema).organizations)
            """)
        guard let row = rows.first else { return TenantCounts(users: 0, clients: 0, organizations: 0) }
        let (users, clients, organizations) = try row.decode((Int64, Int64, Int64).self)
        return TenantCounts(users: Int(users), clients: Int(clients), organizations: Int(organizations))
    }
}
