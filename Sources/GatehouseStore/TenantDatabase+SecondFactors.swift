import Foundation
import GatehouseCore
import GRDB

/// Console enrolments and persisted sign-in failure counters.
extension TenantDatabase {
    // MARK: Console enrolments

    public func saveConsoleEnrolment(_ enrolment: ConsoleEnrolment) async throws {
        try await pool.write { db in
            try db.execute(
                cached: """
                    INSERT OR REPLACE INTO console_enrolments (id_hash, user_id, sealed_totp_secret, email_code_hash, email_code_expires_at,
                    attempts, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?)
                    """,
                arguments: [
                    Data(enrolment.idHash), enrolment.userID.rawValue, enrolment.sealedTOTPSecret.map { Data($0) },
                    enrolment.emailCodeHash.map { Data($0) }, enrolment.emailCodeExpiresAt, enrolment.attempts,
                    enrolment.createdAt, enrolment.expiresAt,
                ])
        }
    }

    /// The live console enrolment with this id hash, of this user.
    public func consoleEnrolment(idHash: [UInt8], userID: UserID, at now: Date) async throws -> ConsoleEnrolment? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    cached: """
                        SELECT * FROM console_enrolments WHERE id_hash = ? AND user_id = ? AND expires_at > ?
                        """, arguments: [Data(idHash), userID.rawValue, now])
            else { return nil }
            return ConsoleEnrolment(
                idHash: idHash, userID: userID, sealedTOTPSecret: row.bytes("sealed_totp_secret"),
                emailCodeHash: row.bytes("email_code_hash"), emailCodeExpiresAt: row.optionalDate("email_code_expires_at"),
                attempts: row["attempts"], createdAt: row.date("created_at"), expiresAt: row.date("expires_at"))
        }
    }

    /// Counts a failed code on a console enrolment; returns the new count.
    public func recordConsoleEnrolmentAttempt(idHash: [UInt8]) async throws -> Int {
        try await pool.write { db in
            try db.execute(cached: "UPDATE console_enrolments SET attempts = attempts + 1 WHERE id_hash = ?", arguments: [Data(idHash)])
            return try Int.fetchOne(
                db, cached: "SELECT attempts FROM console_enrolments WHERE id_hash = ?",
                arguments: [Data(idHash)]) ?? Int.max
        }
    }

    public func deleteConsoleEnrolment(idHash: [UInt8]) async throws {
        try await pool.write { db in try db.execute(cached: "DELETE FROM console_enrolments WHERE id_hash = ?", arguments: [Data(idHash)]) }
    }

    // MARK: Sign-in failure counters

    /// The persisted failure counters of these keys (absent keys have none).
    public func signInFailures(keys: [String]) async throws -> [SignInFailureRecord] {
        try await pool.read { db in
            try keys.compactMap { key in
                try Row.fetchOne(db, cached: "SELECT failures, last_failure FROM sign_in_failures WHERE key = ?", arguments: [key]).map {
                    SignInFailureRecord(key: key, failures: $0["failures"], lastFailure: $0.date("last_failure"))
                }
            }
        }
    }

    /// Stores counters after a failure (never lowering a count a parallel failure already raised)
    /// and deletes `cleared` keys after a success.
    public func saveSignInFailures(_ records: [SignInFailureRecord], cleared: [String]) async throws {
        try await pool.write { db in
            for record in records {
                try db.execute(
                    cached: """
                        INSERT INTO sign_in_failures (key, failures, last_failure) VALUES (?,?,?)
                        ON CONFLICT(key) DO UPDATE SET failures = MAX(failures, excluded.failures),
                        last_failure = MAX(last_failure, excluded.last_failure)
                        """, arguments: [record.key, record.failures, record.lastFailure])
            }
            for key in cleared {
                try db.execute(cached: "DELETE FROM sign_in_failures WHERE key = ?", arguments: [key])
            }
        }
    }
}
