import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO
import Synchronization

/// Grants, authorization codes, refresh tokens and revoked access tokens of a tenant schema
/// (`GrantStore`), as `TenantDatabase+Grants.swift` and `+AccessTokens.swift` do them on SQLite.
///
/// Exactly once across nodes: a code is consumed by a conditional `UPDATE … WHERE consumed_at IS
/// NULL` (a concurrent one waits for the row and then matches nothing); a refresh token is
/// rotated under its row lock (`SELECT … FOR UPDATE`), so a concurrent rotation reads it rotated.
extension PostgresTenantDatabase {
    public func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws {
        try await transaction { connection in try await self.insertGrant(grant, code: code, on: connection) }
    }

    /// Stores a grant and its code in the caller's transaction.
    func insertGrant(_ grant: Grant, code: AuthorizationCode, on connection: PostgresConnection) async throws {
        try await run(insert(into: "grants", columns: Grant.columns, values: grant.postgresValues), on: connection)
        var unconsumed = code
        unconsumed.consumedAt = nil
        try await run(insert(into: "authorization_codes", columns: AuthorizationCode.columns, values: unconsumed.postgresValues), on: connection)
    }

    public func insertGrant(_ grant: Grant) async throws {
        try await query(insert(into: "grants", columns: Grant.columns, values: grant.postgresValues))
    }

    public func grant(id: GrantID) async throws -> Grant? {
        guard !Self.hasNUL(id.rawValue) else { return nil }
        return try await query("SELECT \(unescaped: Grant.columns) FROM \(unescaped: schema).grants WHERE id = \(id.rawValue)")
            .first.map(Grant.init(postgres:))
    }

    public func authorizationCode(hash: [UInt8]) async throws -> AuthorizationCode? {
        try await query(
            """
            SELECT \(unescaped: AuthorizationCode.columns) FROM \(unescaped: schema).authorization_codes
            WHERE code_hash = \(ByteBuffer(bytes: hash))
            """
        ).first.map(AuthorizationCode.init(postgres:))
    }

    public func consumeAuthorizationCode(hash: [UInt8], at now: Date, storing refreshToken: RefreshToken?) async throws -> CodeConsumption {
        try await transaction { connection in
            let consumed = try await self.run(
                """
                UPDATE \(unescaped: self.schema).authorization_codes SET consumed_at = \(PostgresTimestamp(now))
                WHERE code_hash = \(ByteBuffer(bytes: hash)) AND consumed_at IS NULL RETURNING \(unescaped: AuthorizationCode.columns)
                """, on: connection)
            guard let row = consumed.first else {
                let grantID = try await self.run(
                    "SELECT grant_id FROM \(unescaped: self.schema).authorization_codes WHERE code_hash = \(ByteBuffer(bytes: hash))",
                    on: connection
                ).first?.decode(String.self)
                return grantID.flatMap(GrantID.init(rawValue:)).map(CodeConsumption.alreadyConsumed) ?? .notFound
            }
            if let token = refreshToken { try await self.insertRefreshToken(token, on: connection) }
            var code = try AuthorizationCode(postgres: row)
            code.consumedAt = now
            return .consumed(code)
        }
    }

    public func revokeGrant(id: GrantID, at now: Date) async throws {
        guard !Self.hasNUL(id.rawValue) else { return }
        try await query(
            """
            UPDATE \(unescaped: schema).grants SET revoked_at = \(PostgresTimestamp(now)) WHERE id = \(id.rawValue) AND revoked_at IS NULL
            """)
        revocations.revokeGrants([id.rawValue], at: now)
    }

    /// - Throws: `StoreError.conflict` on a duplicate hash.
    public func insertRefreshToken(_ token: RefreshToken) async throws {
        try await Self.mapConflict("this refresh token already exists") { try await query(refreshTokenInsert(token)) }
    }

    func insertRefreshToken(_ token: RefreshToken, on connection: PostgresConnection) async throws {
        try await Self.mapConflict("this refresh token already exists") { try await run(refreshTokenInsert(token), on: connection) }
    }

    private func refreshTokenInsert(_ token: RefreshToken) -> PostgresQuery {
        """
        INSERT INTO \(unescaped: schema).refresh_tokens (token_hash, grant_id, issued_at, expires_at)
        VALUES (\(ByteBuffer(bytes: token.tokenHash)), \(token.grantID.rawValue), \(PostgresTimestamp(token.issuedAt)),
        \(PostgresTimestamp(token.expiresAt)))
        """
    }

    public func refreshToken(hash: [UInt8]) async throws -> RefreshToken? {
        try await query(
            "SELECT \(unescaped: RefreshToken.columns) FROM \(unescaped: schema).refresh_tokens WHERE token_hash = \(ByteBuffer(bytes: hash))"
        ).first.map(RefreshToken.init(postgres:))
    }

    public func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at now: Date, reuseGrace: TimeInterval, admit: @escaping @Sendable (Grant) -> Bool
    ) async throws -> RefreshRotation {
        let result = try await transaction { connection -> RefreshRotation in
            // The token's row lock orders concurrent rotations: the second reads it rotated.
            guard
                let tokenRow = try await self.run(
                    """
                    SELECT \(unescaped: RefreshToken.columns) FROM \(unescaped: self.schema).refresh_tokens
                    WHERE token_hash = \(ByteBuffer(bytes: hash)) FOR UPDATE
                    """, on: connection
                ).first
            else { return .notFound }
            let token = try RefreshToken(postgres: tokenRow)
            // The grant's lock orders the rotation with a concurrent revocation of the grant.
            guard
                let grantRow = try await self.run(
                    "SELECT \(unescaped: Grant.columns) FROM \(unescaped: self.schema).grants WHERE id = \(token.grantID.rawValue) FOR NO KEY UPDATE",
                    on: connection
                ).first
            else { return .notFound }
            let grant = try Grant(postgres: grantRow)
            // RFC 6749 §6: the token must have been issued to the authenticated client.
            guard grant.clientID == clientID else { return .notFound }
            guard grant.revokedAt == nil else { return .grantInactive }
            if let rotatedAt = token.rotatedAt {
                if now.timeIntervalSince(rotatedAt) <= reuseGrace { return .reusedWithinGrace }
                // RFC 9700 §4.14.2: reuse of an invalidated refresh token revokes the active one too.
                try await self.run(
                    "UPDATE \(unescaped: self.schema).grants SET revoked_at = \(PostgresTimestamp(now)) WHERE id = \(grant.id.rawValue)",
                    on: connection)
                return .reuseDetected(grant.id)
            }
            guard now < token.expiresAt else { return .expired }
            if !grant.isOffline, let sessionID = grant.sessionID {
                let active = try await self.run(
                    """
                    SELECT revoked_at IS NULL AND expires_at > \(PostgresTimestamp(now)) FROM \(unescaped: self.schema).sessions
                    WHERE id = \(sessionID.rawValue)
                    """, on: connection
                ).first?.decode(Bool.self)
                guard active == true else { return .grantInactive }
            }
            guard admit(grant) else { return .notAdmitted(grant) }
            try await self.run(
                """
                UPDATE \(unescaped: self.schema).refresh_tokens SET rotated_at = \(PostgresTimestamp(now))
                WHERE token_hash = \(ByteBuffer(bytes: hash))
                """, on: connection)
            try await self.insertRefreshToken(
                RefreshToken(tokenHash: successorHash, grantID: grant.id, issuedAt: now, expiresAt: successorExpiresAt), on: connection)
            let user = try await self.run(
                "SELECT \(unescaped: User.columns) FROM \(unescaped: self.schema).users WHERE id = \(grant.userID.rawValue)", on: connection
            ).first
            return .rotated(grant, try user.map(User.init(postgres:)))
        }
        if case .reuseDetected(let id) = result {
            revocations.revokeGrants([id.rawValue], at: now)
            StoreEvents.refreshTokenReuse.add(1, ordering: .relaxed)
        }
        return result
    }

    // MARK: Access tokens

    public func revokeAccessToken(jti: String, expiresAt: Date) async throws {
        try await query(
            """
            INSERT INTO \(unescaped: schema).revoked_access_tokens (jti, expires_at) VALUES (\(jti), \(PostgresTimestamp(expiresAt)))
            ON CONFLICT (jti) DO NOTHING
            """)
        revocations.revokeAccessToken(jti, expiresAt: expiresAt)
    }

    public func isAccessTokenRevoked(jti: String, grantID: GrantID?, issuedAt: Date?) async throws -> Bool {
        // Older than the index remembers: the database decides.
        try await revocations.isRevoked(jti: jti, grantID: grantID, issuedAt: issuedAt) { grantID in
            guard !Self.hasNUL(grantID.rawValue) else { return nil }
            return try await query("SELECT revoked_at IS NOT NULL FROM \(unescaped: schema).grants WHERE id = \(grantID.rawValue)")
                .first?.decode(Bool.self)
        }
    }

    // MARK: Revocation index and housekeeping

    /// Loads the revocation index from the schema (as `TenantDatabase.init` does for SQLite):
    /// grants revoked within the index's horizon and unexpired revoked `jti`s.
    func loadRevocations(now: Date) async throws {
        let since = revocations.loadFrom(now: now)
        let grants = try await query(
            "SELECT id, revoked_at FROM \(unescaped: schema).grants WHERE revoked_at >= \(PostgresTimestamp(since))"
        ).map { row in
            let (id, at) = try row.decode((String, PostgresTimestamp).self)
            return (id, at.date)
        }
        let tokens = try await query(
            "SELECT jti, expires_at FROM \(unescaped: schema).revoked_access_tokens WHERE expires_at > \(PostgresTimestamp(now))"
        ).map { row in
            let (jti, expiresAt) = try row.decode((String, PostgresTimestamp).self)
            return (jti, expiresAt.date)
        }
        revocations.load(grants: grants, accessTokens: tokens, since: since)
    }

    /// Deletes expired interactions, codes, enrolments, revoked-token entries, client assertion `jti`s and day-old failure
    /// counters, in one transaction; prunes the revocation index.
    public func purgeExpired(now: Date) async throws {
        let dayAgo = PostgresTimestamp(now.addingTimeInterval(-86400))
        let deletions: [PostgresQuery] = [
            "DELETE FROM \(unescaped: schema).interactions WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).authorization_codes WHERE expires_at < \(PostgresTimestamp(now.addingTimeInterval(-3600)))",
            "DELETE FROM \(unescaped: schema).revoked_access_tokens WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).refresh_tokens WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).one_time_tokens WHERE expires_at < \(dayAgo)",
            "DELETE FROM \(unescaped: schema).pending_sign_ins WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).console_enrolments WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).client_assertions WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).pushed_authorizations WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).device_authorizations WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).dpop_proofs WHERE expires_at < \(PostgresTimestamp(now))",
            "DELETE FROM \(unescaped: schema).webauthn_challenges WHERE expires_at < \(PostgresTimestamp(now))",
            // Bindings of grants deleted since (an hour's margin for a code being issued).
            """
            DELETE FROM \(unescaped: schema).dpop_grant_keys WHERE created_at < \(PostgresTimestamp(now.addingTimeInterval(-3600)))
            AND grant_id NOT IN (SELECT id FROM \(unescaped: schema).grants)
            """,
            // Failure counters idle for a day are forgotten (SignInThrottle.persistedFor).
            "DELETE FROM \(unescaped: schema).sign_in_failures WHERE last_failure < \(dayAgo)",
        ]
        try await transaction { connection in
            for deletion in deletions { try await self.run(deletion, on: connection) }
        }
        revocations.prune(now: now)
    }
}
