import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// DPoP (RFC 9449): accepted proofs' `jti` (§11.1) and the keys grants are bound to (§5, §10).
extension TenantDatabase: DPoPStore {
    /// Inserts the SHA-256 of `jti` unless present: the primary key makes the first of two
    /// concurrent uses win.
    public func recordDPoPProof(jti: String, expiresAt: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT OR IGNORE INTO dpop_proofs (jti_hash, expires_at) VALUES (?,?)",
                arguments: [Data(Digest.sha256(jti)), expiresAt])
            return db.changesCount == 1
        }
    }

    public func bindDPoPKey(grantID: GrantID, kind: DPoPBindingKind, jkt: String, at now: Date) async throws {
        guard DPoP.isThumbprint(jkt) else { throw OAuthError(.invalidDPoPProof, "a grant is bound only to a JWK SHA-256 thumbprint") }
        let column = kind == .code ? "code_jkt" : "refresh_jkt"
        try await pool.write { db in
            try db.execute(
                cached: """
                    INSERT INTO dpop_grant_keys (grant_id, \(column), created_at) VALUES (?,?,?)
                    ON CONFLICT (grant_id) DO UPDATE SET \(column) = excluded.\(column)
                    """,
                arguments: [grantID.rawValue, jkt, now])
        }
    }

    public func dpopKeys(grantID: GrantID) async throws -> DPoPGrantKeys {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, cached: "SELECT code_jkt, refresh_jkt FROM dpop_grant_keys WHERE grant_id = ?", arguments: [grantID.rawValue])
            else { return DPoPGrantKeys() }
            return DPoPGrantKeys(codeJKT: row["code_jkt"], refreshJKT: row["refresh_jkt"])
        }
    }
}
