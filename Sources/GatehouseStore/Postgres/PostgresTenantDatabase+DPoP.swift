import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO

/// DPoP (RFC 9449), as `TenantDatabase+DPoP.swift` on SQLite; shared by every node of the database.
extension PostgresTenantDatabase: DPoPStore {
    /// Inserts the SHA-256 of `jti` unless present; the primary key makes the first of two
    /// concurrent uses, on any node, win.
    public func recordDPoPProof(jti: String, expiresAt: Date) async throws -> Bool {
        let rows = try await query(
            """
            INSERT INTO \(unescaped: schema).dpop_proofs (jti_hash, expires_at)
            VALUES (\(ByteBuffer(bytes: Digest.sha256(jti))), \(PostgresTimestamp(expiresAt)))
            ON CONFLICT DO NOTHING RETURNING 1
            """)
        return rows.count == 1
    }

    public func bindDPoPKey(grantID: GrantID, kind: DPoPBindingKind, jkt: String, at now: Date) async throws {
        guard DPoP.isThumbprint(jkt) else { throw OAuthError(.invalidDPoPProof, "a grant is bound only to a JWK SHA-256 thumbprint") }
        let column = kind == .code ? "code_jkt" : "refresh_jkt"
        _ = try await query(
            """
            INSERT INTO \(unescaped: schema).dpop_grant_keys (grant_id, \(unescaped: column), created_at)
            VALUES (\(grantID.rawValue), \(jkt), \(PostgresTimestamp(now)))
            ON CONFLICT (grant_id) DO UPDATE SET \(unescaped: column) = excluded.\(unescaped: column)
            """)
    }

    public func dpopKeys(grantID: GrantID) async throws -> DPoPGrantKeys {
        let rows = try await query(
            "SELECT code_jkt, refresh_jkt FROM \(unescaped: schema).dpop_grant_keys WHERE grant_id = \(grantID.rawValue)")
        for row in rows {
            let (code, refresh) = try row.decode((String?, String?).self)
            return DPoPGrantKeys(codeJKT: code, refreshJKT: refresh)
        }
        return DPoPGrantKeys()
    }
}
