import Foundation
import GatehouseCore
import PostgresNIO

/// Console roles of the tenant's users on PostgreSQL (`ConsoleRoleStore`), as
/// `TenantDatabase+ConsoleRoles.swift` does on SQLite.
extension PostgresTenantDatabase {
    public func consoleRole(of userID: UserID) async throws -> ConsoleRole? {
        let rows = try await query("SELECT role FROM \(unescaped: schema).console_roles WHERE user_id = \(userID.rawValue)")
        return try rows.first.flatMap { ConsoleRole(rawValue: try $0.decode(String.self)) }
    }

    @discardableResult
    public func setConsoleRole(_ role: ConsoleRole?, of userID: UserID, at now: Date) async throws -> Bool {
        try await transaction { connection in
            guard !(try await self.run("SELECT 1 FROM \(unescaped: self.schema).users WHERE id = \(userID.rawValue) FOR SHARE", on: connection)).isEmpty
            else { return false }
            if let role {
                try await self.run(
                    """
                    INSERT INTO \(unescaped: self.schema).console_roles (user_id, role, granted_at) VALUES (\(userID.rawValue), \(role.rawValue), \(now))
                    ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at
                    """, on: connection)
            } else {
                try await self.run("DELETE FROM \(unescaped: self.schema).console_roles WHERE user_id = \(userID.rawValue)", on: connection)
            }
            return true
        }
    }
}
