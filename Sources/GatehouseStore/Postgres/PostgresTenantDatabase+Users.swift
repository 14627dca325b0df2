import Foundation
import GatehouseCore
import PostgresNIO

/// Users of one tenant on PostgreSQL (`UserStore`, the user part of `AccountStore`), as
/// `TenantDatabase.swift` and `TenantDatabase+Admin.swift` do on SQLite.
extension PostgresTenantDatabase {
    public func user(id: UserID) async throws -> User? {
        try await query("SELECT \(unescaped: User.columns) FROM \(unescaped: schema).users WHERE id = \(id.rawValue)")
            .first.map(User.init(postgres:))
    }

    /// - Returns: nil for an email holding U+0000 (no stored email has one).
    public func user(email: String) async throws -> User? {
        guard !Self.hasNUL(email) else { return nil }
        return try await query("SELECT \(unescaped: User.columns) FROM \(unescaped: schema).users WHERE email = \(email)")
            .first.map(User.init(postgres:))
    }

    /// Stores a new user.
    /// - Throws: `StoreError.conflict` when the email is taken.
    public func insertUser(_ user: User) async throws {
        do {
            try await query(Self.insertion(of: user, schema: schema))
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("a user with this email already exists")
        }
    }

    static func insertion(of user: User, schema: String) -> PostgresQuery {
        """
        INSERT INTO \(unescaped: schema).users (\(unescaped: User.columns)) VALUES (\(user.id.rawValue), \(user.email), \
        \(user.emailVerified), \(user.name), \(user.passwordHash), \(user.disabled), \(user.createdAt), \(user.updatedAt), \
        \(JSONColumn.encode(user.publicMetadata)), \(JSONColumn.encode(user.privateMetadata)), \(UserProfileColumn.encode(user)))
        """
    }

    /// Users in id order (oldest first), after the user `after` (keyset pagination).
    /// - Parameters:
    ///   - email: only the user with this normalized email.
    ///   - query: only users whose email or name contains this text (case-insensitive for ASCII
    ///     only, as SQLite's LIKE: `ILIKE` under the "C" collation folds ASCII letters only).
    /// Ids compare and sort bytewise (collation "C"), as SQLite's text does.
    public func listUsers(limit: Int, after: UserID?, email: String?, query: String?) async throws -> [User] {
        guard !Self.hasNUL(email, query) else { return [] }
        let pattern = query.map(TenantDatabase.likePattern)
        return try await self.query(
            """
            SELECT \(unescaped: User.columns) FROM \(unescaped: schema).users
            WHERE id COLLATE "C" > \(after?.rawValue ?? "") AND (\(email)::text IS NULL OR email = \(email))
            AND (\(pattern)::text IS NULL OR email COLLATE "C" ILIKE \(pattern) ESCAPE '\\' OR name COLLATE "C" ILIKE \(pattern) ESCAPE '\\')
            ORDER BY id COLLATE "C" LIMIT \(limit)
            """
        ).map(User.init(postgres:))
    }

    public func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws {
        try await query("UPDATE \(unescaped: schema).users SET password_hash = \(hash), updated_at = \(at) WHERE id = \(userID.rawValue)")
    }

    /// Replaces a user's profile fields (email, name, verification, disabled, password hash, metadata).
    /// Disabling a user ends their sessions and revokes their grants.
    /// - Throws: `StoreError.conflict` when the new email is taken.
    public func updateUser(_ user: User, at now: Date) async throws {
        do {
            try await query(
                """
                UPDATE \(unescaped: schema).users SET email = \(user.email), email_verified = \(user.emailVerified), name = \(user.name), \
                password_hash = \(user.passwordHash), disabled = \(user.disabled), public_metadata = \(JSONColumn.encode(user.publicMetadata)), \
                private_metadata = \(JSONColumn.encode(user.privateMetadata)), profile = \(UserProfileColumn.encode(user)), updated_at = \(now) \
                WHERE id = \(user.id.rawValue)
                """)
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("a user with this email already exists")
        }
        if user.disabled { try await revokeEverything(of: user.id, at: now) }
    }

    /// Deletes a user with their sessions, grants, consents and memberships; their tokens stop
    /// working at once. - Throws: `StoreError.conflict` when the user is the last owner of an
    /// organization, decided under the owner row locks that membership changes take, so that a
    /// concurrent removal of the other owner cannot leave an organization without one.
    public func deleteUser(_ id: UserID, at now: Date) async throws {
        try await transaction { connection in try await self.refuseLastOwner(id, on: connection) }
        try await revokeEverything(of: id, at: now)
        try await transaction { connection in
            try await self.refuseLastOwner(id, on: connection)
            try await self.run("DELETE FROM \(unescaped: self.schema).users WHERE id = \(id.rawValue)", on: connection)
        }
    }

    /// Locks the owner rows of every organization `user` owns (organization, then user id
    /// order), then throws `StoreError.conflict` when the user is the only owner of one.
    private func refuseLastOwner(_ user: UserID, on connection: PostgresConnection) async throws {
        let owner = OrganizationRole.owner
        _ = try await run(
            """
            SELECT user_id FROM \(unescaped: schema).memberships WHERE role = \(owner) AND organization_id IN (
                SELECT organization_id FROM \(unescaped: schema).memberships WHERE user_id = \(user.rawValue) AND role = \(owner))
            ORDER BY organization_id, user_id FOR UPDATE
            """, on: connection)
        let slugs = try await run(
            """
            SELECT o.slug FROM \(unescaped: schema).memberships m JOIN \(unescaped: schema).organizations o ON o.id = m.organization_id
            WHERE m.user_id = \(user.rawValue) AND m.role = \(owner) AND NOT EXISTS (
                SELECT 1 FROM \(unescaped: schema).memberships other WHERE other.organization_id = m.organization_id
                AND other.role = m.role AND other.user_id <> m.user_id)
            ORDER BY o.slug
            """, on: connection
        ).map { try $0.decode(String.self) }
        if !slugs.isEmpty { throw StoreError.conflict(TenantDatabase.lastOwnerRefusal(slugs)) }
    }

    /// Ends every session of a user and revokes every grant, offline ones included.
    public func revokeEverything(of id: UserID, at now: Date) async throws {
        let grants = try await transaction { connection in
            try await self.queueBackchannelLogouts(.user(id, keep: nil), at: now, on: connection)
            try await self.run(
                "UPDATE \(unescaped: self.schema).sessions SET revoked_at = \(now) WHERE user_id = \(id.rawValue) AND revoked_at IS NULL",
                on: connection)
            return try await self.revokeLiveGrants(.userID, id.rawValue, at: now, on: connection)
        }
        revocations.revokeGrants(grants, at: now)
    }

    /// Revokes, in the caller's transaction, every unrevoked grant whose `owner` column is `value`
    /// (as `TenantDatabase.revokeLiveGrants` on SQLite); the `grants_revoked` trigger feeds the
    /// change feed.
    /// - Returns: the ids of the grants revoked (for the revocation index, updated by the caller).
    func revokeLiveGrants(
        _ owner: TenantDatabase.GrantOwner, _ value: String, at now: Date, on connection: PostgresConnection
    ) async throws -> [String] {
        try await run(
            """
            UPDATE \(unescaped: schema).grants SET revoked_at = \(PostgresTimestamp(now))
            WHERE \(unescaped: owner.rawValue) = \(value) AND revoked_at IS NULL RETURNING id
            """, on: connection
        ).map { try $0.decode(String.self) }
    }

    /// Marks a user's email address verified.
    public func markEmailVerified(_ userID: UserID, at now: Date) async throws {
        try await query("UPDATE \(unescaped: schema).users SET email_verified = true, updated_at = \(now) WHERE id = \(userID.rawValue)")
    }

    /// Records a proof of the user's address; on the first one (`email_verified` false → true,
    /// decided by one conditional update) ends in the same transaction every session, grant,
    /// outstanding sign-in link, other pending sign-in and — unless `keepPassword` — the password
    /// (as `TenantDatabase.proveEmail`, `TenantDatabase+Lifecycle.swift`, documents).
    /// - Returns: true when this was the first proof.
    @discardableResult
    public func proveEmail(_ userID: UserID, keepPassword: Bool, keepingPending: [UInt8]?, at now: Date) async throws -> Bool {
        let revoked = try await transaction { connection -> [String]? in
            let first = try await self.run(
                """
                UPDATE \(unescaped: self.schema).users SET email_verified = true, updated_at = \(now)
                WHERE id = \(userID.rawValue) AND email_verified = false RETURNING id
                """, on: connection)
            guard first.count == 1 else { return nil }
            if !keepPassword {
                try await self.run("UPDATE \(unescaped: self.schema).users SET password_hash = NULL WHERE id = \(userID.rawValue)", on: connection)
            }
            if let keepingPending {
                try await self.run(
                    "DELETE FROM \(unescaped: self.schema).pending_sign_ins WHERE user_id = \(userID.rawValue) AND id_hash <> \(Data(keepingPending))",
                    on: connection)
            } else if !keepPassword {
                try await self.run("DELETE FROM \(unescaped: self.schema).pending_sign_ins WHERE user_id = \(userID.rawValue)", on: connection)
            }
            try await self.queueBackchannelLogouts(.user(userID, keep: nil), at: now, on: connection)
            try await self.run(
                "UPDATE \(unescaped: self.schema).sessions SET revoked_at = \(now) WHERE user_id = \(userID.rawValue) AND revoked_at IS NULL",
                on: connection)
            let grants = try await self.revokeLiveGrants(.userID, userID.rawValue, at: now, on: connection)
            try await self.run(self.spendingSignInLinks(of: userID, at: now), on: connection)
            return grants
        }
        guard let revoked else { return false }
        revocations.revokeGrants(revoked, at: now)
        return true
    }

    /// Spends every outstanding password-reset and magic link of the user; email verification
    /// links stay.
    public func spendSignInLinks(of userID: UserID, at now: Date) async throws {
        try await query(spendingSignInLinks(of: userID, at: now))
    }

    func spendingSignInLinks(of userID: UserID, at now: Date) -> PostgresQuery {
        """
        UPDATE \(unescaped: schema).one_time_tokens SET consumed_at = \(now) WHERE user_id = \(userID.rawValue) AND consumed_at IS NULL \
        AND purpose IN (\(OneTimePurpose.resetPassword.rawValue), \(OneTimePurpose.magicLink.rawValue))
        """
    }
}
