import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO
import Synchronization

/// Sessions, interactions and consent of a tenant schema (`SessionStore`, `InteractionStore`), as
/// `TenantDatabase+Sessions.swift` does them on SQLite.
extension PostgresTenantDatabase {
    /// - Throws: `StoreError.conflict` on a duplicate id or token hash.
    public func insertSession(_ session: Session) async throws {
        let statement = insert(into: "sessions", columns: Session.columns, values: session.postgresValues)
        try await Self.mapConflict("a session with this id or token already exists") { try await query(statement) }
    }

    public func session(tokenHash: [UInt8]) async throws -> Session? {
        try await query(
            "SELECT \(unescaped: Session.columns) FROM \(unescaped: schema).sessions WHERE token_hash = \(ByteBuffer(bytes: tokenHash))"
        ).first.map(Session.init(postgres:))
    }

    public func session(id: SessionID) async throws -> Session? {
        guard !Self.hasNUL(id.rawValue) else { return nil }
        return try await query("SELECT \(unescaped: Session.columns) FROM \(unescaped: schema).sessions WHERE id = \(id.rawValue)")
            .first.map(Session.init(postgres:))
    }

    public func sessions(userID: UserID) async throws -> [Session] {
        guard !Self.hasNUL(userID.rawValue) else { return [] }
        return try await query(
            "SELECT \(unescaped: Session.columns) FROM \(unescaped: schema).sessions WHERE user_id = \(userID.rawValue) ORDER BY created_at DESC"
        ).map(Session.init(postgres:))
    }

    @discardableResult
    public func endSession(id: SessionID, at now: Date) async throws -> [GrantID] {
        guard !Self.hasNUL(id.rawValue) else { return [] }
        let revoked = try await transaction { connection in
            // Back-Channel Logout §2.5: the logout tokens owed commit with the session's end.
            try await self.queueBackchannelLogouts(.session(id), at: now, on: connection)
            try await self.run(
                """
                UPDATE \(unescaped: self.schema).sessions SET revoked_at = \(PostgresTimestamp(now))
                WHERE id = \(id.rawValue) AND revoked_at IS NULL
                """, on: connection)
            // Every grant issued under the session ends with it, `offline_access` ones included:
            // their refresh tokens would otherwise keep minting ID tokens carrying the ended `sid`.
            return try await self.revokeLiveGrants(.sessionID, id.rawValue, at: now, on: connection)
        }
        revocations.revokeGrants(revoked, at: now)
        return revoked.compactMap(GrantID.init(rawValue:))
    }

    public func revokeOthers(of id: UserID, keep: SessionID?, at now: Date) async throws {
        let keepID = keep?.rawValue ?? ""
        let revoked = try await transaction { connection in
            try await self.queueBackchannelLogouts(.user(id, keep: keep), at: now, on: connection)
            try await self.run(
                """
                UPDATE \(unescaped: self.schema).sessions SET revoked_at = \(PostgresTimestamp(now))
                WHERE user_id = \(id.rawValue) AND revoked_at IS NULL AND id != \(keepID)
                """, on: connection)
            return try await self.run(
                """
                UPDATE \(unescaped: self.schema).grants SET revoked_at = \(PostgresTimestamp(now))
                WHERE user_id = \(id.rawValue) AND revoked_at IS NULL AND (session_id IS NULL OR session_id != \(keepID)) RETURNING id
                """, on: connection
            ).map { try $0.decode(String.self) }
        }
        revocations.revokeGrants(revoked, at: now)
    }

    /// Active sessions of the tenant, newest first (by id, which orders by creation), optionally of
    /// one user, before the session `before` (keyset pagination).
    public func activeSessions(userID: UserID?, at now: Date, limit: Int, before: SessionID?) async throws -> [Session] {
        var statement: PostgresQuery =
            "SELECT \(unescaped: Session.columns) FROM \(unescaped: schema).sessions WHERE revoked_at IS NULL AND expires_at > \(PostgresTimestamp(now))"
        var bindings = statement.binds
        var sql = statement.sql
        if let userID {
            bindings.append(userID.rawValue)
            sql += " AND user_id = $\(bindings.count)"
        }
        if let before {
            bindings.append(before.rawValue)
            sql += " AND id < $\(bindings.count)"
        }
        bindings.append(limit)
        sql += " ORDER BY id DESC LIMIT $\(bindings.count)"
        statement = PostgresQuery(unsafeSQL: sql, binds: bindings)
        return try await query(statement).map(Session.init(postgres:))
    }

    // MARK: Interactions and consent

    public func insertInteraction(_ interaction: Interaction) async throws {
        let statement = insert(into: "interactions", columns: Interaction.columns, values: interaction.postgresValues)
        try await Self.mapConflict("an interaction with this id already exists") { try await query(statement) }
    }

    public func interaction(id: String) async throws -> Interaction? {
        guard !Self.hasNUL(id) else { return nil }  // exact matches only (docs/architecture.md, Storage)
        return try await query("SELECT \(unescaped: Interaction.columns) FROM \(unescaped: schema).interactions WHERE id = \(id)")
            .first.flatMap(Interaction.init(postgres:))
    }

    public func updateInteraction(_ interaction: Interaction) async throws {
        guard !Self.hasNUL(interaction.id) else { return }
        try await query(
            """
            UPDATE \(unescaped: schema).interactions SET user_id = \(interaction.userID?.rawValue), login_done = \(interaction.loginDone),
            consent_done = \(interaction.consentDone), organization = \(interaction.organization?.stored) WHERE id = \(interaction.id)
            """)
    }

    public func deleteInteraction(id: String) async throws {
        guard !Self.hasNUL(id) else { return }
        try await query("DELETE FROM \(unescaped: schema).interactions WHERE id = \(id)")
    }

    /// Consumes an interaction and stores the grant with its authorization code, in one
    /// transaction: the interaction is consumed once, so of two concurrent submissions of its
    /// last step only one gets a code (RFC 6749 §10.5: codes are single use; RFC 9700 §4.2). A
    /// concurrent `DELETE` of the same row waits for this one and then deletes nothing.
    /// - Returns: false, storing nothing, when the interaction was already consumed or is unknown.
    public func consumeInteraction(id: String, issuing grant: Grant, code: AuthorizationCode) async throws -> Bool {
        guard !Self.hasNUL(id) else { return false }
        return try await transaction { connection in
            let deleted = try await self.run("DELETE FROM \(unescaped: self.schema).interactions WHERE id = \(id) RETURNING id", on: connection)
            guard deleted.count == 1 else { return false }
            try await self.insertGrant(grant, code: code, on: connection)
            return true
        }
    }

    public func consent(userID: UserID, clientID: String) async throws -> Consent? {
        guard !Self.hasNUL(userID.rawValue), !Self.hasNUL(clientID) else { return nil }
        return try await query(
            """
            SELECT scope, granted_at FROM \(unescaped: schema).consents WHERE user_id = \(userID.rawValue) AND client_id = \(clientID)
            """
        ).first.map { row in
            let r = PostgresRowReader(row)
            return Consent(
                userID: userID, clientID: clientID, scope: (try? ScopeSet(parsing: try r("scope"))) ?? [],
                grantedAt: try r.date("granted_at"))
        }
    }

    public func saveConsent(_ consent: Consent) async throws {
        try await query(
            """
            INSERT INTO \(unescaped: schema).consents (user_id, client_id, scope, granted_at)
            VALUES (\(consent.userID.rawValue), \(consent.clientID), \(consent.scope.description), \(PostgresTimestamp(consent.grantedAt)))
            ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at
            """)
    }
}
