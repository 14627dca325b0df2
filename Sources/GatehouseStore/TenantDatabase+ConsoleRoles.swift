import Foundation
import GatehouseCore
import GRDB

/// Console roles of the tenant's users (`ConsoleRoleStore`, table `console_roles`).
extension TenantDatabase {
    public func consoleRole(of userID: UserID) async throws -> ConsoleRole? {
        try await pool.read { db in
            try String.fetchOne(db, cached: "SELECT role FROM console_roles WHERE user_id = ?", arguments: [userID.rawValue])
                .flatMap(ConsoleRole.init(rawValue:))
        }
    }

    @discardableResult
    public func setConsoleRole(_ role: ConsoleRole?, of userID: UserID, at now: Date) async throws -> Bool {
        try await pool.write { db in
            guard try Bool.fetchOne(db, cached: "SELECT 1 FROM users WHERE id = ?", arguments: [userID.rawValue]) != nil else { return false }
            if let role {
                try db.execute(
                    cached: """
                        INSERT INTO console_roles (user_id, role, granted_at) VALUES (?,?,?)
                        ON CONFLICT(user_id) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at
                        """, arguments: [userID.rawValue, role.rawValue, now])
            } else {
                try db.execute(cached: "DELETE FROM console_roles WHERE user_id = ?", arguments: [userID.rawValue])
            }
            return true
        }
    }
}
