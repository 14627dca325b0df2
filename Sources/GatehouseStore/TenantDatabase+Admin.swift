import Foundation
import GatehouseCore
import GRDB

/// Administrative operations on one tenant's users and sessions.
extension TenantDatabase {
    /// Replaces a user's profile fields (email, name, verification, disabled, password hash,
    /// metadata, phone number and address).
    /// Disabling a user ends their sessions and revokes their grants.
    /// - Throws: `StoreError.conflict` when the new email is taken.
    public func updateUser(_ user: User, at now: Date) async throws {
        do {
            try await pool.write { db in
                try db.execute(
                    cached: """
                        UPDATE users SET email = ?, email_verified = ?, name = ?, password_hash = ?, disabled = ?, public_metadata = ?,
                        private_metadata = ?, profile = ?, updated_at = ? WHERE id = ?
                        """,
                    arguments: [
                        user.email, user.emailVerified, user.name, user.passwordHash, user.disabled, JSONColumn.encode(user.publicMetadata),
                        JSONColumn.encode(user.privateMetadata), UserProfileColumn.encode(user), now, user.id.rawValue,
                    ])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("a user with this email already exists")
        }
        if user.disabled { try await revokeEverything(of: user.id, at: now) }
    }

    /// Deletes a user with their sessions, grants, consents and memberships; their tokens stop
    /// working at once. - Throws: `StoreError.conflict` naming the organizations when the user is
    /// the last owner of one (an organization always keeps one owner), decided in the deleting
    /// transaction; nothing is revoked then.
    public func deleteUser(_ id: UserID, at now: Date) async throws {
        try await pool.read { db in try Self.refuseLastOwner(id, db: db) }
        try await revokeEverything(of: id, at: now)
        try await pool.write { db in
            try Self.refuseLastOwner(id, db: db)
            try db.execute(cached: "DELETE FROM users WHERE id = ?", arguments: [id.rawValue])
        }
    }

    /// Throws `StoreError.conflict` when `user` is the only owner of an organization.
    static func refuseLastOwner(_ user: UserID, db: Database) throws {
        let slugs = try String.fetchAll(
            db,
            cached: """
                SELECT o.slug FROM memberships m JOIN organizations o ON o.id = m.organization_id
                WHERE m.user_id = ? AND m.role = ? AND NOT EXISTS (
                    SELECT 1 FROM memberships other WHERE other.organization_id = m.organization_id
                    AND other.role = m.role AND other.user_id <> m.user_id)
                ORDER BY o.slug
                """, arguments: [user.rawValue, OrganizationRole.owner])
        if !slugs.isEmpty { throw StoreError.conflict(Self.lastOwnerRefusal(slugs)) }
    }

    /// The refusal to delete the last owner of the organizations `slugs`.
    public static func lastOwnerRefusal(_ slugs: [String]) -> String {
        "the user is the last owner of the organization\(slugs.count == 1 ? "" : "s") \(slugs.joined(separator: ", ")): "
            + "make another member owner or delete the organization first"
    }

    /// Ends every session of a user and revokes every grant, offline ones included.
    public func revokeEverything(of id: UserID, at now: Date) async throws {
        let grants = try await pool.write { db -> [String] in
            try Self.queueBackchannelLogouts(.user(id, keep: nil), at: now, db: db)
            try db.execute(cached: "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", arguments: [now, id.rawValue])
            let ids = try String.fetchAll(db, cached: "SELECT id FROM grants WHERE user_id = ? AND revoked_at IS NULL", arguments: [id.rawValue])
            try db.execute(cached: "UPDATE grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", arguments: [now, id.rawValue])
            return ids
        }
        revocations.revokeGrants(grants, at: now)
    }

    /// Active sessions of the tenant, newest first (by id, which orders by creation), optionally of
    /// one user, before the session `before` (keyset pagination).
    public func activeSessions(userID: UserID?, at now: Date, limit: Int, before: SessionID?) async throws -> [Session] {
        try await pool.read { db in
            var sql = "SELECT \(Session.columns) FROM sessions WHERE revoked_at IS NULL AND expires_at > ?"
            var arguments: SQLArguments = [now]
            if let userID {
                sql += " AND user_id = ?"
                arguments += [userID.rawValue]
            }
            if let before {
                sql += " AND id < ?"
                arguments += [before.rawValue]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, cached: sql, arguments: arguments).map(Session.init(row:))
        }
    }
}
