import Foundation
import GatehouseCore
import GatehouseCrypto
import PostgresNIO

/// Second factors, recovery codes, console enrolments and sealing of one tenant on PostgreSQL
/// (`SecondFactorStore`), as `TenantDatabase+Accounts.swift` and `+SecondFactors.swift` do on
/// SQLite. Use-once steps are single conditional updates; multi-statement changes of a user's
/// factors or codes first lock the user's row (`lockUser`), as SQLite's single writer does.
extension PostgresTenantDatabase {
    // MARK: Factors

    public func mfaFactors(userID: UserID) async throws -> [MFAFactor] {
        try await query(
            """
            SELECT id, kind, sealed_secret, last_used_step, created_at FROM \(unescaped: schema).mfa_factors
            WHERE user_id = \(userID.rawValue) ORDER BY created_at
            """
        ).compactMap { row in
            let r = row.makeRandomAccess()
            guard let kind = MFAFactorKind(rawValue: try r.value("kind")) else { return nil }
            return MFAFactor(
                id: try r.value("id"), userID: userID, kind: kind, sealedSecret: try r.bytes("sealed_secret"),
                lastUsedStep: try r.value("last_used_step"), createdAt: try r.value("created_at"))
        }
    }

    /// Stores a confirmed factor, replacing one of the same kind (one upsert on `(user_id, kind)`,
    /// so concurrent saves do not collide).
    public func saveMFAFactor(_ factor: MFAFactor) async throws {
        try await query(
            """
            INSERT INTO \(unescaped: schema).mfa_factors (id, user_id, kind, sealed_secret, last_used_step, created_at)
            VALUES (\(factor.id), \(factor.userID.rawValue), \(factor.kind.rawValue), \(factor.sealedSecret.map { Data($0) }), \
            \(factor.lastUsedStep), \(factor.createdAt))
            ON CONFLICT (user_id, kind) DO UPDATE SET id = excluded.id, sealed_secret = excluded.sealed_secret,
            last_used_step = excluded.last_used_step, created_at = excluded.created_at
            """)
    }

    /// Removes a factor; removing the last one also removes the recovery codes.
    public func removeMFAFactor(userID: UserID, kind: MFAFactorKind) async throws {
        try await transaction { connection in
            try await self.lockUser(userID, on: connection)
            try await self.run(
                "DELETE FROM \(unescaped: self.schema).mfa_factors WHERE user_id = \(userID.rawValue) AND kind = \(kind.rawValue)",
                on: connection)
            try await self.run(
                """
                DELETE FROM \(unescaped: self.schema).recovery_codes WHERE user_id = \(userID.rawValue)
                AND NOT EXISTS (SELECT 1 FROM \(unescaped: self.schema).mfa_factors WHERE user_id = \(userID.rawValue))
                """, on: connection)
        }
    }

    /// Records that a TOTP time step was used, in one conditional update: false when that step or
    /// a later one was already used (RFC 6238 §5.2: a code must not be accepted twice).
    public func useTOTPStep(factorID: String, step: Int64) async throws -> Bool {
        try await query(
            """
            UPDATE \(unescaped: schema).mfa_factors SET last_used_step = \(step)
            WHERE id = \(factorID) AND (last_used_step IS NULL OR last_used_step < \(step)) RETURNING id
            """
        ).count == 1
    }

    // MARK: Recovery codes

    /// Replaces a user's recovery codes with these hashes.
    public func replaceRecoveryCodes(userID: UserID, hashes: [[UInt8]], at now: Date) async throws {
        try await transaction { connection in
            try await self.lockUser(userID, on: connection)
            try await self.run("DELETE FROM \(unescaped: self.schema).recovery_codes WHERE user_id = \(userID.rawValue)", on: connection)
            for hash in hashes {
                try await self.run(
                    """
                    INSERT INTO \(unescaped: self.schema).recovery_codes (user_id, code_hash, created_at)
                    VALUES (\(userID.rawValue), \(Data(hash)), \(now))
                    """, on: connection)
            }
        }
    }

    /// Uses a recovery code once, in one conditional update: true for exactly one of concurrent uses.
    public func useRecoveryCode(userID: UserID, hash: [UInt8], at now: Date) async throws -> Bool {
        try await query(
            """
            UPDATE \(unescaped: schema).recovery_codes SET used_at = \(now)
            WHERE user_id = \(userID.rawValue) AND code_hash = \(Data(hash)) AND used_at IS NULL RETURNING user_id
            """
        ).count == 1
    }

    public func unusedRecoveryCodeCount(userID: UserID) async throws -> Int {
        try Self.scalar(
            try await query(
                "SELECT COUNT(*) FROM \(unescaped: schema).recovery_codes WHERE user_id = \(userID.rawValue) AND used_at IS NULL"),
            as: Int.self) ?? 0
    }

    // MARK: Console enrolments

    public func saveConsoleEnrolment(_ enrolment: ConsoleEnrolment) async throws {
        try await query(
            """
            INSERT INTO \(unescaped: schema).console_enrolments (id_hash, user_id, sealed_totp_secret, email_code_hash,
            email_code_expires_at, attempts, created_at, expires_at)
            VALUES (\(Data(enrolment.idHash)), \(enrolment.userID.rawValue), \(enrolment.sealedTOTPSecret.map { Data($0) }), \
            \(enrolment.emailCodeHash.map { Data($0) }), \(enrolment.emailCodeExpiresAt), \(enrolment.attempts), \
            \(enrolment.createdAt), \(enrolment.expiresAt))
            ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, sealed_totp_secret = excluded.sealed_totp_secret,
            email_code_hash = excluded.email_code_hash, email_code_expires_at = excluded.email_code_expires_at,
            attempts = excluded.attempts, created_at = excluded.created_at, expires_at = excluded.expires_at
            """)
    }

    /// The live console enrolment with this id hash, of this user.
    public func consoleEnrolment(idHash: [UInt8], userID: UserID, at now: Date) async throws -> ConsoleEnrolment? {
        let rows = try await query(
            """
            SELECT sealed_totp_secret, email_code_hash, email_code_expires_at, attempts, created_at, expires_at
            FROM \(unescaped: schema).console_enrolments
            WHERE id_hash = \(Data(idHash)) AND user_id = \(userID.rawValue) AND expires_at > \(now)
            """)
        guard let row = rows.first?.makeRandomAccess() else { return nil }
        return ConsoleEnrolment(
            idHash: idHash, userID: userID, sealedTOTPSecret: try row.bytes("sealed_totp_secret"),
            emailCodeHash: try row.bytes("email_code_hash"), emailCodeExpiresAt: try row.value("email_code_expires_at"),
            attempts: try row.value("attempts"), createdAt: try row.value("created_at"), expiresAt: try row.value("expires_at"))
    }

    /// Counts a failed code on a console enrolment in one update; returns the new count
    /// (`Int.max` when the enrolment is gone).
    public func recordConsoleEnrolmentAttempt(idHash: [UInt8]) async throws -> Int {
        try await countAttempt(in: .consoleEnrolments, idHash: idHash)
    }

    public func deleteConsoleEnrolment(idHash: [UInt8]) async throws {
        try await query("DELETE FROM \(unescaped: schema).console_enrolments WHERE id_hash = \(Data(idHash))")
    }

    // MARK: Sealing

    /// Seals a secret (a TOTP key) with the instance master key for storage.
    public func seal(_ plaintext: [UInt8]) -> [UInt8] { masterKey.seal(plaintext) }

    /// Opens a sealed secret. - Throws: `StoreError.unavailable` when it does not open (wrong master key).
    public func unseal(_ sealed: [UInt8]) throws -> [UInt8] {
        do { return try masterKey.open(sealed) } catch { throw StoreError.unavailable("cannot unseal a secret: wrong master key?") }
    }
}
