import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB
import Synchronization

/// Access-token revocation checks and housekeeping of a tenant database.
extension TenantDatabase {
    // MARK: Access tokens

    public func revokeAccessToken(jti: String, expiresAt: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "INSERT OR IGNORE INTO revoked_access_tokens (jti, expires_at) VALUES (?,?)", arguments: [jti, expiresAt])
        }
        revocations.revokeAccessToken(jti, expiresAt: expiresAt)
    }

    public func isAccessTokenRevoked(jti: String, grantID: GrantID?, issuedAt: Date?) async throws -> Bool {
        // Older than the index remembers: the database decides.
        try await revocations.isRevoked(jti: jti, grantID: grantID, issuedAt: issuedAt) { grantID in
            try await pool.read { db in
                try Bool.fetchOne(db, cached: "SELECT revoked_at IS NOT NULL FROM grants WHERE id = ?", arguments: [grantID.rawValue])
            }
        }
    }

    // MARK: Housekeeping

    /// Deletes expired interactions, codes, enrolments, revoked-token entries, client assertion `jti`s and day-old failure counters;
    /// prunes the revocation index.
    public func purgeExpired(now: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM interactions WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM authorization_codes WHERE expires_at < ?", arguments: [now.addingTimeInterval(-3600)])
            try db.execute(cached: "DELETE FROM revoked_access_tokens WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM refresh_tokens WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM one_time_tokens WHERE expires_at < ?", arguments: [now.addingTimeInterval(-86400)])
            try db.execute(cached: "DELETE FROM pending_sign_ins WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM console_enrolments WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM client_assertions WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM pushed_authorizations WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM device_authorizations WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM dpop_proofs WHERE expires_at < ?", arguments: [now])
            try db.execute(cached: "DELETE FROM webauthn_challenges WHERE expires_at < ?", arguments: [now])
            // Bindings of grants deleted since (an hour's margin for a code being issued).
            try db.execute(
                cached: "DELETE FROM dpop_grant_keys WHERE created_at < ? AND grant_id NOT IN (SELECT id FROM grants)",
                arguments: [now.addingTimeInterval(-3600)])
            // Failure counters idle for a day are forgotten (SignInThrottle.persistedFor).
            try db.execute(cached: "DELETE FROM sign_in_failures WHERE last_failure < ?", arguments: [now.addingTimeInterval(-86400)])
        }
        revocations.prune(now: now)
    }
}
