import Foundation
import GatehouseCore
import GRDB

/// Account lifecycle events that must invalidate what came before them.
extension TenantDatabase {
    /// Records that the user proved control of their email address (a verification link or code,
    /// a magic link) and, when this is the first proof (`email_verified` false → true), ends in
    /// the same transaction everything made before it: every session, every grant (so every
    /// refresh and access token), every outstanding emailed link, and — unless `keepPassword` —
    /// the password. Someone who signed up first with another person's address (pre-account
    /// takeover) thus keeps nothing once the owner proves it; the
    /// owner sets a password through "Forgot password".
    /// - Parameters:
    ///   - keepPassword: true when the proof was made in a sign-in whose first factor was this
    ///     very password, or through a link opened in the browser that chose it (the prover shows
    ///     they know it, or are the one who set it).
    ///   - keepingPending: the pending sign-in (by id hash) the proof was made in, which goes on;
    ///     every other pending sign-in of the user (a half-done sign-in of whoever held the
    ///     address before) is deleted. Nil with `keepPassword` keeps them all (the prover's own
    ///     browser may be waiting on one).
    /// - Returns: true when this was the first proof.
    @discardableResult
    public func proveEmail(_ userID: UserID, keepPassword: Bool, keepingPending: [UInt8]?, at now: Date) async throws -> Bool {
        let revoked = try await pool.write { db -> [String]? in
            try db.execute(
                cached: "UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ? AND email_verified = 0",
                arguments: [now, userID.rawValue])
            guard db.changesCount == 1 else { return nil }
            if !keepPassword {
                try db.execute(cached: "UPDATE users SET password_hash = NULL WHERE id = ?", arguments: [userID.rawValue])
            }
            if let keepingPending {
                try db.execute(
                    cached: "DELETE FROM pending_sign_ins WHERE user_id = ? AND id_hash != ?",
                    arguments: [userID.rawValue, Data(keepingPending)])
            } else if !keepPassword {
                try db.execute(cached: "DELETE FROM pending_sign_ins WHERE user_id = ?", arguments: [userID.rawValue])
            }
            try Self.queueBackchannelLogouts(.user(userID, keep: nil), at: now, db: db)
            try db.execute(
                cached: "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                arguments: [now, userID.rawValue])
            let grants = try Self.revokeLiveGrants(.userID, userID.rawValue, at: now, db: db)
            try Self.spendSignInLinks(of: userID, at: now, db: db)
            return grants
        }
        guard let revoked else { return false }
        revocations.revokeGrants(revoked, at: now)
        return true
    }

    /// Spends every outstanding password-reset and magic link of the user: after a password
    /// change (reset or console) no older link may sign anyone in or set the password again.
    /// Email verification links stay: they sign nobody in.
    public func spendSignInLinks(of userID: UserID, at now: Date) async throws {
        try await pool.write { db in try Self.spendSignInLinks(of: userID, at: now, db: db) }
    }

    static func spendSignInLinks(of userID: UserID, at now: Date, db: Database) throws {
        try db.execute(
            cached: """
                UPDATE one_time_tokens SET consumed_at = ? WHERE user_id = ? AND consumed_at IS NULL AND purpose IN (?, ?)
                """, arguments: [now, userID.rawValue, OneTimePurpose.resetPassword.rawValue, OneTimePurpose.magicLink.rawValue])
    }
}
