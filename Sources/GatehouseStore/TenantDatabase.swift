import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB
import Synchronization

/// One tenant's SQLite database (WAL) and the caches that belong to it.
///
/// The only way to obtain one is `InstanceStore.database(for:)` with a `ResolvedTenant`, so every
/// query here is scoped to that tenant by construction: there is no tenant id parameter to get wrong.
public final class TenantDatabase: TenantStore, Sendable {
    public let tenant: ResolvedTenant
    let pool: DatabasePool
    let caches: TenantCaches
    var revocations: RevocationIndex { caches.revocations }
    /// Access tokens of this tenant already verified (shared by the tenant's live handles).
    public var verifiedTokens: VerifiedTokenCache { caches.verifiedTokens }
    /// Entries held by the in-memory revocation index (revoked grants, revoked `jti`s).
    public var revocationCounts: (grants: Int, accessTokens: Int) { revocations.counts }
    let keyPolicy: KeyPolicy
    let masterKey: SecretBox

    init(tenant: ResolvedTenant, pool: DatabasePool, masterKey: SecretBox, keyPolicy: KeyPolicy, caches: TenantCaches, now: Date) throws {
        self.tenant = tenant
        self.keyPolicy = keyPolicy
        self.pool = pool
        self.masterKey = masterKey
        self.caches = caches
        // A tenant update makes a new handle, so the horizon follows the access-token lifetime.
        caches.revocations.setHorizon(TimeInterval(tenant.tenant.settings.accessTokenTTL))
        // Shared caches are loaded once, by the first handle.
        guard
            caches.loaded.withLock({ loaded in
                defer { loaded = true }; return !loaded
            })
        else { return }
        let since = caches.revocations.loadFrom(now: now)
        let (grants, tokens) = try pool.read { db in
            let g = try Row.fetchAll(db, cached: "SELECT id, revoked_at FROM grants WHERE revoked_at >= ?", arguments: [since])
                .map { ($0["id"] as String, $0["revoked_at"] as Date) }
            let t = try Row.fetchAll(db, cached: "SELECT jti, expires_at FROM revoked_access_tokens WHERE expires_at > ?", arguments: [now])
                .map { ($0["jti"] as String, $0["expires_at"] as Date) }
            return (g, t)
        }
        revocations.load(grants: grants, accessTokens: tokens, since: since)
    }

    // MARK: Clients

    public func client(clientID: String) async throws -> Client? {
        if let cached = caches.clients.withLock({ $0[clientID] }) { return cached }
        let found = try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Client.columns) FROM clients WHERE client_id = ?", arguments: [clientID])
                .map(Client.init(row:))
        }
        if let found { caches.clients.withLock { $0[clientID] = found } }
        return found
    }

    /// Stores a new client. The caller has registered its key in the instance index.
    public func insertClient(_ client: Client, builtin: String? = nil) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO clients (\(Client.columns), builtin) VALUES (\(Client.placeholders),?)",
                arguments: client.arguments + [builtin])
        }
    }

    /// Replaces a client's mutable fields.
    public func updateClient(_ client: Client) async throws {
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE clients SET name = ?, secret_hash = ?, redirect_uris = ?, post_logout_redirect_uris = ?,
                    grant_types = ?, first_party = ?, allowed_scopes = ?, id_token_signed_response_alg = ?,
                    access_token_signing_alg = ?, previous_secret_hash = ?, previous_secret_expires_at = ? WHERE id = ?
                    """,
                arguments: [
                    client.name, client.secretHash.map { Data($0) }, JSONColumn.encode(client.redirectURIs),
                    JSONColumn.encode(client.postLogoutRedirectURIs),
                    JSONColumn.encode(client.grantTypes.map(\.rawValue).sorted()), client.firstParty,
                    client.allowedScopes?.description, client.idTokenSigningAlgorithm.rawValue,
                    client.accessTokenSigningAlgorithm.rawValue, client.previousSecretHash.map { Data($0) },
                    client.previousSecretExpiresAt, client.id.rawValue,
                ])
        }
        caches.clients.withLock { $0[client.clientID] = nil }
    }

    /// Deletes a client and revokes its grants.
    public func deleteClient(clientID: String, at now: Date) async throws {
        let revoked = try await pool.write { db in
            let ids = try String.fetchAll(db, cached: "SELECT id FROM grants WHERE client_id = ? AND revoked_at IS NULL", arguments: [clientID])
            try db.execute(cached: "UPDATE grants SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL", arguments: [now, clientID])
            try db.execute(cached: "DELETE FROM clients WHERE client_id = ?", arguments: [clientID])
            return ids
        }
        revocations.revokeGrants(revoked, at: now)
        caches.clients.withLock { $0[clientID] = nil }
    }

    public func listClients() async throws -> [Client] {
        try await pool.read { db in
            try Row.fetchAll(db, cached: "SELECT \(Client.columns) FROM clients WHERE builtin IS NULL ORDER BY id").map(Client.init(row:))
        }
    }

    /// The built-in client named `builtin` (e.g. `account-console`), if it exists.
    public func builtinClient(_ builtin: String) async throws -> Client? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Client.columns) FROM clients WHERE builtin = ?", arguments: [builtin]).map(Client.init(row:))
        }
    }

    // MARK: Users

    public func user(id: UserID) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(User.columns) FROM users WHERE id = ?", arguments: [id.rawValue]).map(User.init(row:))
        }
    }

    public func user(email: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(User.columns) FROM users WHERE email = ?", arguments: [email]).map(User.init(row:))
        }
    }

    /// Stores a new user.
    /// - Throws: `StoreError.conflict` when the email is taken.
    public func insertUser(_ user: User) async throws {
        do {
            try await pool.write { db in
                try db.execute(cached: "INSERT INTO users (\(User.columns)) VALUES (?,?,?,?,?,?,?,?)", arguments: user.arguments)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("a user with this email already exists")
        }
    }

    /// Users in id order (oldest first), after the user `after` (keyset pagination).
    /// - Parameters:
    ///   - email: only the user with this normalized email.
    ///   - query: only users whose email or name contains this text (case-insensitive for ASCII).
    public func listUsers(limit: Int = 100, after: UserID? = nil, email: String? = nil, query: String? = nil) async throws -> [User] {
        try await pool.read { db in
            var sql = "SELECT \(User.columns) FROM users WHERE id > ?"
            var arguments: StatementArguments = [after?.rawValue ?? ""]
            if let email {
                sql += " AND email = ?"
                arguments += [email]
            }
            if let query {
                let pattern =
                    "%"
                    + query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_") + "%"
                sql += " AND (email LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')"
                arguments += [pattern, pattern]
            }
            sql += " ORDER BY id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(User.init(row:))
        }
    }

    public func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", arguments: [hash, at, userID.rawValue])
        }
    }

    // MARK: Sessions

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
            try db.execute(cached: "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id.rawValue])
            // Every grant issued under the session ends with it, `offline_access` ones included:
            // their refresh tokens would otherwise keep minting ID tokens carrying the ended `sid`.
            let grants = try String.fetchAll(
                db, cached: "SELECT id FROM grants WHERE session_id = ? AND revoked_at IS NULL",
                arguments: [id.rawValue])
            try db.execute(
                cached: "UPDATE grants SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL",
                arguments: [now, id.rawValue])
            return grants
        }
        revocations.revokeGrants(revoked, at: now)
        return revoked.compactMap(GrantID.init(rawValue:))
    }

    // MARK: Interactions and consent

    public func insertInteraction(_ interaction: Interaction) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO interactions (\(Interaction.columns)) VALUES (?,?,?,?,?,?,?,?,?)",
                arguments: interaction.arguments)
        }
    }

    public func interaction(id: String) async throws -> Interaction? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Interaction.columns) FROM interactions WHERE id = ?", arguments: [id])
                .flatMap(Interaction.init(row:))
        }
    }

    public func updateInteraction(_ interaction: Interaction) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE interactions SET user_id = ?, login_done = ?, consent_done = ? WHERE id = ?",
                arguments: [interaction.userID?.rawValue, interaction.loginDone, interaction.consentDone, interaction.id])
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
                    grantedAt: $0["granted_at"])
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

    // MARK: Grants, codes, refresh tokens

    public func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws {
        try await pool.write { db in try Self.insertGrant(grant, code: code, db: db) }
    }

    static func insertGrant(_ grant: Grant, code: AuthorizationCode, db: Database) throws {
        try db.execute(cached: "INSERT INTO grants (\(Grant.columns)) VALUES (?,?,?,?,?,?,?,?,?,?)", arguments: grant.arguments)
        try db.execute(
            cached: """
                INSERT INTO authorization_codes (code_hash, grant_id, client_id, redirect_uri, redirect_uri_sent, code_challenge, expires_at)
                VALUES (?,?,?,?,?,?,?)
                """,
            arguments: [
                Data(code.codeHash), code.grantID.rawValue, code.clientID, code.redirectURI,
                code.redirectURIWasSent, code.codeChallenge, code.expiresAt,
            ])
    }

    public func insertGrant(_ grant: Grant) async throws {
        try await pool.write { db in
            try db.execute(cached: "INSERT INTO grants (\(Grant.columns)) VALUES (?,?,?,?,?,?,?,?,?,?)", arguments: grant.arguments)
        }
    }

    public func grant(id: GrantID) async throws -> Grant? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Grant.columns) FROM grants WHERE id = ?", arguments: [id.rawValue]).map(Grant.init(row:))
        }
    }

    public func authorizationCode(hash: [UInt8]) async throws -> AuthorizationCode? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                cached: """
                    SELECT code_hash, grant_id, client_id, redirect_uri, redirect_uri_sent, code_challenge, expires_at, consumed_at
                    FROM authorization_codes WHERE code_hash = ?
                    """, arguments: [Data(hash)]
            ).map(AuthorizationCode.init(row:))
        }
    }

    public func consumeAuthorizationCode(hash: [UInt8], at now: Date, storing refreshToken: RefreshToken?) async throws -> CodeConsumption {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    cached: """
                        SELECT code_hash, grant_id, client_id, redirect_uri, redirect_uri_sent, code_challenge, expires_at, consumed_at
                        FROM authorization_codes WHERE code_hash = ?
                        """, arguments: [Data(hash)])
            else { return .notFound }
            let code = AuthorizationCode(row: row)
            if code.consumedAt != nil { return .alreadyConsumed(code.grantID) }
            try db.execute(cached: "UPDATE authorization_codes SET consumed_at = ? WHERE code_hash = ?", arguments: [now, Data(hash)])
            if let token = refreshToken {
                try db.execute(
                    cached: "INSERT INTO refresh_tokens (token_hash, grant_id, issued_at, expires_at) VALUES (?,?,?,?)",
                    arguments: [Data(token.tokenHash), token.grantID.rawValue, token.issuedAt, token.expiresAt])
            }
            var consumed = code
            consumed.consumedAt = now
            return .consumed(consumed)
        }
    }

    public func revokeGrant(id: GrantID, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id.rawValue])
        }
        revocations.revokeGrants([id.rawValue], at: now)
    }

    public func insertRefreshToken(_ token: RefreshToken) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO refresh_tokens (token_hash, grant_id, issued_at, expires_at) VALUES (?,?,?,?)",
                arguments: [Data(token.tokenHash), token.grantID.rawValue, token.issuedAt, token.expiresAt])
        }
    }

    public func refreshToken(hash: [UInt8]) async throws -> RefreshToken? {
        try await pool.read { db in
            try Row.fetchOne(
                db, cached: "SELECT token_hash, grant_id, issued_at, expires_at, rotated_at FROM refresh_tokens WHERE token_hash = ?",
                arguments: [Data(hash)]
            ).map(RefreshToken.init(row:))
        }
    }

    public func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at now: Date, reuseGrace: TimeInterval
    ) async throws -> RefreshRotation {
        let result = try await pool.write { db -> RefreshRotation in
            guard
                let row = try Row.fetchOne(
                    db, cached: "SELECT token_hash, grant_id, issued_at, expires_at, rotated_at FROM refresh_tokens WHERE token_hash = ?",
                    arguments: [Data(hash)])
            else { return .notFound }
            let token = RefreshToken(row: row)
            guard
                let grantRow = try Row.fetchOne(
                    db, cached: "SELECT \(Grant.columns) FROM grants WHERE id = ?",
                    arguments: [token.grantID.rawValue])
            else { return .notFound }
            let grant = Grant(row: grantRow)
            // RFC 6749 §6: the token must have been issued to the authenticated client.
            guard grant.clientID == clientID else { return .notFound }
            guard grant.revokedAt == nil else { return .grantInactive }
            if let rotatedAt = token.rotatedAt {
                if now.timeIntervalSince(rotatedAt) <= reuseGrace { return .reusedWithinGrace }
                // RFC 9700 §4.14.2: reuse of an invalidated refresh token revokes the active one too.
                try db.execute(cached: "UPDATE grants SET revoked_at = ? WHERE id = ?", arguments: [now, grant.id.rawValue])
                return .reuseDetected(grant.id)
            }
            guard now < token.expiresAt else { return .expired }
            if !grant.isOffline, let sessionID = grant.sessionID {
                let active =
                    try Bool.fetchOne(
                        db, cached: "SELECT revoked_at IS NULL AND expires_at > ? FROM sessions WHERE id = ?",
                        arguments: [now, sessionID.rawValue]) ?? false
                guard active else { return .grantInactive }
            }
            try db.execute(cached: "UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?", arguments: [now, Data(hash)])
            try db.execute(
                cached: "INSERT INTO refresh_tokens (token_hash, grant_id, issued_at, expires_at) VALUES (?,?,?,?)",
                arguments: [Data(successorHash), grant.id.rawValue, now, successorExpiresAt])
            return .rotated(grant)
        }
        if case .reuseDetected(let id) = result {
            revocations.revokeGrants([id.rawValue], at: now)
            StoreEvents.refreshTokenReuse.add(1, ordering: .relaxed)
        }
        return result
    }
}
