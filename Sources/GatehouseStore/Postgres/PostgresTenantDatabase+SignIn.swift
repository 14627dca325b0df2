import Foundation
import GatehouseCore
import PostgresNIO

/// The completion of a browser sign-in on PostgreSQL (`AccountStore.completeSignIn`), as
/// `TenantDatabase+Accounts.swift` does on SQLite. It writes the core tables (`sessions`,
/// `interactions`, `grants`, `authorization_codes`) in the same transaction as the pending sign-in.
extension PostgresTenantDatabase {
    /// Completes a browser sign-in in one transaction: removes the interaction's pending sign-in,
    /// starts or re-authenticates the session, and then either stores the interaction's new state
    /// or — when the authorization completes at once — deletes the interaction and stores the
    /// grant with its authorization code.
    public func completeSignIn(
        pendingIDHash: [UInt8], session: SessionChange, interaction: Interaction,
        issuing: (grant: Grant, code: AuthorizationCode)?
    ) async throws {
        let schema = self.schema
        try await transaction { connection in
            try await self.run("DELETE FROM \(unescaped: schema).pending_sign_ins WHERE id_hash = \(Data(pendingIDHash))", on: connection)
            switch session {
            case .start(let new):
                try await self.run(
                    """
                    INSERT INTO \(unescaped: schema).sessions (\(unescaped: Session.columns)) VALUES (\(new.id.rawValue), \
                    \(Data(new.tokenHash)), \(new.userID.rawValue), \(new.authTime), \(JSONColumn.encode(new.amr)), \(new.createdAt), \
                    \(new.expiresAt), \(new.revokedAt), \(new.userAgent), \(new.ipAddress))
                    """, on: connection)
            case .reauthenticate(let id, let tokenHash, let authTime, let amr, let expiresAt):
                try await self.run(
                    """
                    UPDATE \(unescaped: schema).sessions SET token_hash = \(Data(tokenHash)), auth_time = \(authTime), \
                    amr = \(JSONColumn.encode(amr)), expires_at = \(expiresAt) WHERE id = \(id.rawValue)
                    """, on: connection)
            }
            if let issuing {
                let (grant, code) = issuing
                try await self.run("DELETE FROM \(unescaped: schema).interactions WHERE id = \(interaction.id)", on: connection)
                try await self.run(self.insert(into: "grants", columns: Grant.columns, values: grant.postgresValues), on: connection)
                try await self.run(
                    """
                    INSERT INTO \(unescaped: schema).authorization_codes (code_hash, grant_id, client_id, redirect_uri, redirect_uri_sent,
                    code_challenge, expires_at) VALUES (\(Data(code.codeHash)), \(code.grantID.rawValue), \(code.clientID), \
                    \(code.redirectURI), \(code.redirectURIWasSent), \(code.codeChallenge), \(code.expiresAt))
                    """, on: connection)
            } else {
                try await self.run(
                    """
                    UPDATE \(unescaped: schema).interactions SET user_id = \(interaction.userID?.rawValue), \
                    login_done = \(interaction.loginDone), consent_done = \(interaction.consentDone), \
                    organization = \(interaction.organization?.stored) WHERE id = \(interaction.id)
                    """, on: connection)
            }
        }
    }
}
