import Foundation
import GatehouseCore
import GRDB

/// Sessions, interactions and consent of a tenant database (`SessionStore`, `InteractionStore`).
extension TenantDatabase {
    public func insertSession(_ session: Session) async throws {
        try await pool.write { db in
            try db.execute(cached: "INSERT INTO sessions (\(Session.columns)) VALUES (?,?,?,?,?,?,?,?,?,?)", arguments: session.arguments)
        }
    }

    public func session(tokenHash: [UInt8]) async throws -> Session? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Session.columns) FROM sessions WHERE token_hash = ?", arguments: [Data(tokenHash)])
                .map(Session.init(row:))
        }
    }

    public func session(id: SessionID) async throws -> Session? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Session.columns) FROM sessions WHERE id = ?", arguments: [id.rawValue])
                .map(Session.init(row:))
        }
    }

    public func sessions(userID: UserID) async throws -> [Session] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(Session.columns) FROM sessions WHERE user_id = ? ORDER BY created_at DESC",
                arguments: [userID.rawValue]
            ).map(Session.init(row:))
        }
    }

    @discardableResult
    public func endSession(id: SessionID, at now: Date) async throws -> [GrantID] {
        let revoked = try await pool.write { db -> [String] in
            // Back-Channel Logout §2.5: the logout tokens owed commit with the session's end.
            try Self.queueBackchannelLogouts(.session(id), at: now, db: db)
            try db.execute(cached: "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id.rawValue])
            // Every grant issued under the session ends with it, `offline_access` ones included:
            // their refresh tokens would otherwise keep minting ID tokens carrying the ended `sid`.
            return try Self.revokeLiveGrants(.sessionID, id.rawValue, at: now, db: db)
        }
        revocations.revokeGrants(revoked, at: now)
        return revoked.compactMap(GrantID.init(rawValue:))
    }

    // MARK: Interactions and consent

    public func insertInteraction(_ interaction: Interaction) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO interactions (\(Interaction.columns)) VALUES (?,?,?,?,?,?,?,?,?,?)",
                arguments: interaction.arguments)
        }
    }

    public func interaction(id: String) async throws -> Interaction? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Interaction.columns) FROM interactions WHERE id = ?", arguments: [id])
                .flatMap(Interaction.init(row:))
        }
        .flatMap { $0.id == id ? $0 : nil }  // exact matches only (text is bound up to a NUL byte)
    }

    public func updateInteraction(_ interaction: Interaction) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE interactions SET user_id = ?, login_done = ?, consent_done = ?, organization = ? WHERE id = ?",
                arguments: [
                    interaction.userID?.rawValue, interaction.loginDone, interaction.consentDone, interaction.organization?.stored,
                    interaction.id,
                ])
        }
    }

    public func deleteInteraction(id: String) async throws {
        try await pool.write { db in try db.execute(cached: "DELETE FROM interactions WHERE id = ?", arguments: [id]) }
    }

    /// Consumes an interaction and stores the grant with its authorization code, in one
    /// transaction: the interaction is consumed once, so of two concurrent submissions of its
    /// last step only one gets a code (RFC 6749 §10.5: codes are single use; RFC 9700 §4.2).
    /// - Returns: false, storing nothing, when the interaction was already consumed or is unknown.
    public func consumeInteraction(id: String, issuing grant: Grant, code: AuthorizationCode) async throws -> Bool {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM interactions WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { return false }
            try Self.insertGrant(grant, code: code, db: db)
            return true
        }
    }

    public func consent(userID: UserID, clientID: String) async throws -> Consent? {
        try await pool.read { db in
            try Row.fetchOne(
                db, cached: "SELECT scope, granted_at FROM consents WHERE user_id = ? AND client_id = ?",
                arguments: [userID.rawValue, clientID]
            ).map {
                Consent(
                    userID: userID, clientID: clientID, scope: (try? ScopeSet(parsing: $0["scope"])) ?? [],
                    grantedAt: $0.date("granted_at"))
            }
        }
    }

    public func saveConsent(_ consent: Consent) async throws {
        try await pool.write { db in
            try db.execute(
                cached: """
                    INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES (?,?,?,?)
                    ON CONFLICT(user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at
                    """, arguments: [consent.userID.rawValue, consent.clientID, consent.scope.description, consent.grantedAt])
        }
    }
}
