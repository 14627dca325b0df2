import Foundation
import GatehouseCore
import GRDB
import Synchronization

/// Grants, authorization codes and refresh tokens of a tenant database (`GrantStore`).
extension TenantDatabase {
    public func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws {
        try await pool.write { db in try Self.insertGrant(grant, code: code, db: db) }
    }

    static func insertGrant(_ grant: Grant, code: AuthorizationCode, db: Database) throws {
        try db.execute(cached: "INSERT INTO grants (\(Grant.columns)) VALUES (\(Grant.placeholders))", arguments: grant.arguments)
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
            try db.execute(cached: "INSERT INTO grants (\(Grant.columns)) VALUES (\(Grant.placeholders))", arguments: grant.arguments)
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
        at now: Date, reuseGrace: TimeInterval, admit: @escaping @Sendable (Grant) -> Bool
    ) async throws -> RefreshRotation {
        let result = try await pool.write { db -> RefreshRotation in
            guard
                let token = try Row.fetchOne(
                    db, cached: "SELECT token_hash, grant_id, issued_at, expires_at, rotated_at FROM refresh_tokens WHERE token_hash = ?",
                    arguments: [Data(hash)], decode: RefreshToken.init(row:)),
                let grant = try Row.fetchOne(
                    db, cached: "SELECT \(Grant.columns) FROM grants WHERE id = ?", arguments: [token.grantID.rawValue],
                    decode: Grant.init(row:))
            else { return .notFound }
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
            guard admit(grant) else { return .notAdmitted(grant) }
            try db.execute(cached: "UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?", arguments: [now, Data(hash)])
            try db.execute(
                cached: "INSERT INTO refresh_tokens (token_hash, grant_id, issued_at, expires_at) VALUES (?,?,?,?)",
                arguments: [Data(successorHash), grant.id.rawValue, now, successorExpiresAt])
            let user = try Row.fetchOne(
                db, cached: "SELECT \(User.columns) FROM users WHERE id = ?", arguments: [grant.userID.rawValue], decode: User.init(row:))
            return .rotated(grant, user)
        }
        if case .reuseDetected(let id) = result {
            revocations.revokeGrants([id.rawValue], at: now)
            StoreEvents.refreshTokenReuse.add(1, ordering: .relaxed)
        }
        return result
    }

    /// The column that selects the grants `revokeLiveGrants` revokes.
    enum GrantOwner: String {
        case clientID = "client_id"
        case sessionID = "session_id"
        case userID = "user_id"
        case organizationID = "organization_id"
    }

    /// Revokes, in the caller's transaction, every unrevoked grant whose `owner` column is `value`.
    /// - Returns: the ids of the grants revoked (for the revocation index, updated by the caller).
    static func revokeLiveGrants(_ owner: GrantOwner, _ value: String, at now: Date, db: Database) throws -> [String] {
        let grants = try String.fetchAll(
            db, cached: "SELECT id FROM grants WHERE \(owner.rawValue) = ? AND revoked_at IS NULL", arguments: [value])
        try db.execute(
            cached: "UPDATE grants SET revoked_at = ? WHERE \(owner.rawValue) = ? AND revoked_at IS NULL", arguments: [now, value])
        return grants
    }
}
