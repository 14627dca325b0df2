import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// Accounts and MFA storage of one tenant.
extension TenantDatabase {
    // MARK: Users

    /// Marks a user's email address verified.
    public func markEmailVerified(_ userID: UserID, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", arguments: [now, userID.rawValue])
        }
    }

    // MARK: Factors

    public func mfaFactors(userID: UserID) async throws -> [MFAFactor] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT id, user_id, kind, sealed_secret, last_used_step, created_at FROM mfa_factors WHERE user_id = ? ORDER BY created_at",
                arguments: [userID.rawValue]
            ).compactMap { row in
                guard let kind = MFAFactorKind(rawValue: row["kind"]) else { return nil }
                return MFAFactor(
                    id: row["id"], userID: userID, kind: kind, sealedSecret: row.bytes("sealed_secret"),
                    lastUsedStep: row["last_used_step"], createdAt: row.date("created_at"))
            }
        }
    }

    /// Stores a confirmed factor, replacing one of the same kind.
    public func saveMFAFactor(_ factor: MFAFactor) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM mfa_factors WHERE user_id = ? AND kind = ?", arguments: [factor.userID.rawValue, factor.kind.rawValue])
            try db.execute(
                cached: """
                    INSERT INTO mfa_factors (id, user_id, kind, sealed_secret, last_used_step, created_at) VALUES (?,?,?,?,?,?)
                    """,
                arguments: [
                    factor.id, factor.userID.rawValue, factor.kind.rawValue, factor.sealedSecret.map { Data($0) },
                    factor.lastUsedStep, factor.createdAt,
                ])
        }
    }

    /// Removes a factor; removing the last one also removes the recovery codes.
    public func removeMFAFactor(userID: UserID, kind: MFAFactorKind) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM mfa_factors WHERE user_id = ? AND kind = ?", arguments: [userID.rawValue, kind.rawValue])
            let left = try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM mfa_factors WHERE user_id = ?", arguments: [userID.rawValue]) ?? 0
            if left == 0 { try db.execute(cached: "DELETE FROM recovery_codes WHERE user_id = ?", arguments: [userID.rawValue]) }
        }
    }

    /// Records that a TOTP time step was used, atomically: false when that step or a later one was
    /// already used (RFC 6238 §5.2: a code must not be accepted twice).
    public func useTOTPStep(factorID: String, step: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE mfa_factors SET last_used_step = ? WHERE id = ? AND (last_used_step IS NULL OR last_used_step < ?)
                    """, arguments: [step, factorID, step])
            return db.changesCount == 1
        }
    }

    // MARK: Recovery codes

    /// Replaces a user's recovery codes with these hashes.
    public func replaceRecoveryCodes(userID: UserID, hashes: [[UInt8]], at now: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM recovery_codes WHERE user_id = ?", arguments: [userID.rawValue])
            for hash in hashes {
                try db.execute(
                    cached: "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?,?,?)",
                    arguments: [userID.rawValue, Data(hash), now])
            }
        }
    }

    /// Uses a recovery code once, atomically.
    public func useRecoveryCode(userID: UserID, hash: [UInt8], at now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
                arguments: [now, userID.rawValue, Data(hash)])
            return db.changesCount == 1
        }
    }

    public func unusedRecoveryCodeCount(userID: UserID) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(
                db, cached: "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
                arguments: [userID.rawValue]) ?? 0
        }
    }

    // MARK: One-time tokens

    public func insertOneTimeToken(_ token: OneTimeToken) async throws {
        try await pool.write { db in
            try db.execute(
                cached: """
                    INSERT INTO one_time_tokens (id, purpose, user_id, token_hash, code_hash, attempts, context, created_at, expires_at)
                    VALUES (?,?,?,?,?,?,?,?,?)
                    """,
                arguments: [
                    token.id, token.purpose.rawValue, token.userID.rawValue, token.tokenHash.map { Data($0) },
                    token.codeHash.map { Data($0) }, token.attempts, token.context, token.createdAt, token.expiresAt,
                ])
        }
    }

    static func oneTimeToken(row: Row) -> OneTimeToken? {
        guard let purpose = OneTimePurpose(rawValue: row["purpose"]), let user = UserID(rawValue: row["user_id"]) else { return nil }
        return OneTimeToken(
            id: row["id"], purpose: purpose, userID: user, tokenHash: row.bytes("token_hash"),
            codeHash: row.bytes("code_hash"), attempts: row["attempts"], context: row["context"],
            createdAt: row.date("created_at"), expiresAt: row.date("expires_at"), consumedAt: row.optionalDate("consumed_at"))
    }

    /// Consumes the link token with this hash for `purpose`, atomically; nil when unknown, used,
    /// expired or for another purpose.
    public func consumeOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, cached: "SELECT * FROM one_time_tokens WHERE token_hash = ?", arguments: [Data(hash)]),
                let token = Self.oneTimeToken(row: row), token.purpose == purpose, token.consumedAt == nil, now < token.expiresAt
            else {
                return nil
            }
            try db.execute(cached: "UPDATE one_time_tokens SET consumed_at = ? WHERE id = ?", arguments: [now, token.id])
            return token
        }
    }

    /// Checks a code against the user's newest live token for `purpose`: a match consumes it; a
    /// miss counts an attempt, and after `maxAttempts` the token is spent.
    /// - Parameter hash: computes a token's expected code hash from its id.
    public func consumeOneTimeCode(
        userID: UserID, purpose: OneTimePurpose, at now: Date, maxAttempts: Int,
        matches: @Sendable (OneTimeToken) -> Bool
    ) async throws -> OneTimeToken? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    cached: """
                        SELECT * FROM one_time_tokens WHERE user_id = ? AND purpose = ? AND consumed_at IS NULL AND expires_at > ? AND attempts < ?
                        ORDER BY created_at DESC LIMIT 1
                        """, arguments: [userID.rawValue, purpose.rawValue, now, maxAttempts]),
                let token = Self.oneTimeToken(row: row)
            else { return nil }
            if matches(token) {
                try db.execute(cached: "UPDATE one_time_tokens SET consumed_at = ? WHERE id = ?", arguments: [now, token.id])
                return token
            }
            try db.execute(cached: "UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = ?", arguments: [token.id])
            return nil
        }
    }

    // MARK: Pending sign-ins

    public func savePendingSignIn(_ pending: PendingSignIn) async throws {
        try await pool.write { db in
            try db.execute(
                cached: """
                    INSERT OR REPLACE INTO pending_sign_ins (id_hash, user_id, client_id, amr, scope, stage, sealed_enrol_secret, email_code_hash,
                    email_code_expires_at, attempts, created_at, expires_at, organization) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                    """,
                arguments: [
                    Data(pending.idHash), pending.userID.rawValue, pending.clientID, JSONColumn.encode(pending.amr),
                    pending.scope, pending.stage.rawValue, pending.sealedEnrolSecret.map { Data($0) },
                    pending.emailCodeHash.map { Data($0) }, pending.emailCodeExpiresAt, pending.attempts,
                    pending.createdAt, pending.expiresAt, pending.organization?.stored,
                ])
        }
    }

    /// The live pending sign-in with this id hash.
    public func pendingSignIn(idHash: [UInt8], at now: Date) async throws -> PendingSignIn? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, cached: "SELECT * FROM pending_sign_ins WHERE id_hash = ? AND expires_at > ?",
                    arguments: [Data(idHash), now]),
                let user = UserID(rawValue: row["user_id"]), let stage = PendingSignIn.Stage(rawValue: row["stage"])
            else { return nil }
            return PendingSignIn(
                idHash: idHash, userID: user, clientID: row["client_id"],
                amr: JSONColumn.decode([String].self, row["amr"]) ?? [], scope: row["scope"], stage: stage,
                sealedEnrolSecret: row.bytes("sealed_enrol_secret"), emailCodeHash: row.bytes("email_code_hash"),
                emailCodeExpiresAt: row.optionalDate("email_code_expires_at"), attempts: row["attempts"],
                organization: (row["organization"] as String?).flatMap(OrganizationChoice.init(stored:)),
                createdAt: row.date("created_at"), expiresAt: row.date("expires_at"))
        }
    }

    /// Counts a failed attempt; returns the new count.
    public func recordPendingAttempt(idHash: [UInt8]) async throws -> Int {
        try await pool.write { db in
            try db.execute(cached: "UPDATE pending_sign_ins SET attempts = attempts + 1 WHERE id_hash = ?", arguments: [Data(idHash)])
            return try Int.fetchOne(db, cached: "SELECT attempts FROM pending_sign_ins WHERE id_hash = ?", arguments: [Data(idHash)]) ?? Int.max
        }
    }

    public func deletePendingSignIn(idHash: [UInt8]) async throws {
        try await pool.write { db in try db.execute(cached: "DELETE FROM pending_sign_ins WHERE id_hash = ?", arguments: [Data(idHash)]) }
    }
}

extension TenantDatabase {
    /// Seals a secret (a TOTP key) with the instance master key for storage.
    public func seal(_ plaintext: [UInt8]) -> [UInt8] { masterKey.seal(plaintext) }

    /// Opens a sealed secret. - Throws: `StoreError.unavailable` when it does not open (wrong master key).
    public func unseal(_ sealed: [UInt8]) throws -> [UInt8] {
        do { return try masterKey.open(sealed) } catch { throw StoreError.unavailable("cannot unseal a secret: wrong master key?") }
    }

    /// Ends every session of a user but `keep`, and revokes every grant not of `keep` (a password
    /// change keeps the browser that made it signed in).
    public func revokeOthers(of id: UserID, keep: SessionID?, at now: Date) async throws {
        let keepID = keep?.rawValue ?? ""
        let grants = try await pool.write { db -> [String] in
            try Self.queueBackchannelLogouts(.user(id, keep: keep), at: now, db: db)
            try db.execute(
                cached: "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id != ?",
                arguments: [now, id.rawValue, keepID])
            let ids = try String.fetchAll(
                db,
                cached: """
                    SELECT id FROM grants WHERE user_id = ? AND revoked_at IS NULL AND (session_id IS NULL OR session_id != ?)
                    """, arguments: [id.rawValue, keepID])
            try db.execute(
                cached: """
                    UPDATE grants SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND (session_id IS NULL OR session_id != ?)
                    """, arguments: [now, id.rawValue, keepID])
            return ids
        }
        revocations.revokeGrants(grants, at: now)
    }

    /// A live, unconsumed link token of `purpose`, without consuming it (to render its form).
    public func peekOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, cached: "SELECT * FROM one_time_tokens WHERE token_hash = ?", arguments: [Data(hash)]),
                let token = Self.oneTimeToken(row: row), token.purpose == purpose, token.consumedAt == nil, now < token.expiresAt
            else {
                return nil
            }
            return token
        }
    }
}

extension TenantDatabase {
    /// Completes a browser sign-in in one transaction: removes the interaction's pending sign-in,
    /// starts or re-authenticates the session, and then either stores the interaction's new state
    /// or — when the authorization completes at once — deletes the interaction and stores the
    /// grant with its authorization code.
    public func completeSignIn(
        pendingIDHash: [UInt8], session: SessionChange, interaction: Interaction,
        issuing: (grant: Grant, code: AuthorizationCode)?
    ) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM pending_sign_ins WHERE id_hash = ?", arguments: [Data(pendingIDHash)])
            switch session {
            case .start(let new):
                try db.execute(cached: "INSERT INTO sessions (\(Session.columns)) VALUES (?,?,?,?,?,?,?,?,?,?)", arguments: new.arguments)
            case .reauthenticate(let id, let tokenHash, let authTime, let amr, let expiresAt):
                try db.execute(
                    cached: "UPDATE sessions SET token_hash = ?, auth_time = ?, amr = ?, expires_at = ? WHERE id = ?",
                    arguments: [Data(tokenHash), authTime, JSONColumn.encode(amr), expiresAt, id.rawValue])
            }
            if let issuing {
                try db.execute(cached: "DELETE FROM interactions WHERE id = ?", arguments: [interaction.id])
                try Self.insertGrant(issuing.grant, code: issuing.code, db: db)
            } else {
                try db.execute(
                    cached: "UPDATE interactions SET user_id = ?, login_done = ?, consent_done = ?, organization = ? WHERE id = ?",
                    arguments: [
                        interaction.userID?.rawValue, interaction.loginDone, interaction.consentDone,
                        interaction.organization?.stored, interaction.id,
                    ])
            }
        }
    }
}
