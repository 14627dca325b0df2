import Foundation
import GatehouseCore
import GatehouseCrypto

// Placeholders: each is replaced by its PostgreSQL implementation (then this file goes).
extension PostgresTenantDatabase: ClientAdminStore, UserStore, SessionStore, InteractionStore, GrantStore, KeyStore {
    public func client(clientID: String) async throws -> Client? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func updateClient(_ client: Client) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func listClients() async throws -> [Client] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func builtinClient(_ builtin: String) async throws -> Client? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertSession(_ session: Session) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func session(tokenHash: [UInt8]) async throws -> Session? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func session(id: SessionID) async throws -> Session? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func sessions(userID: UserID) async throws -> [Session] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func endSession(id: SessionID, at: Date) async throws -> [GrantID] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func revokeOthers(of id: UserID, keep: SessionID?, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func activeSessions(userID: UserID?, at now: Date, limit: Int, before: SessionID?) async throws -> [Session] {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func insertInteraction(_ interaction: Interaction) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func interaction(id: String) async throws -> Interaction? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func updateInteraction(_ interaction: Interaction) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func deleteInteraction(id: String) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func consumeInteraction(id: String, issuing grant: Grant, code: AuthorizationCode) async throws -> Bool {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func consent(userID: UserID, clientID: String) async throws -> Consent? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func saveConsent(_ consent: Consent) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertGrant(_ grant: Grant) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func grant(id: GrantID) async throws -> Grant? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func authorizationCode(hash: [UInt8]) async throws -> AuthorizationCode? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func consumeAuthorizationCode(hash: [UInt8], at: Date, storing refreshToken: RefreshToken?) async throws -> CodeConsumption {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func revokeGrant(id: GrantID, at: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func insertRefreshToken(_ token: RefreshToken) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func refreshToken(hash: [UInt8]) async throws -> RefreshToken? { throw PostgresTenantDatabase.notBuilt(#function) }
    public func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at: Date, reuseGrace: TimeInterval
    ) async throws -> RefreshRotation { throw PostgresTenantDatabase.notBuilt(#function) }
    public func revokeAccessToken(jti: String, expiresAt: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func isAccessTokenRevoked(jti: String, grantID: GrantID?, issuedAt: Date?) async throws -> Bool { throw PostgresTenantDatabase.notBuilt(#function) }
    public func signingKeyRecords() async throws -> [SigningKeyRecord] { throw PostgresTenantDatabase.notBuilt(#function) }
    public func rotateSigningKeys(algorithms requested: [JWSAlgorithm], at now: Date) async throws -> [SigningKeyRecord] {
        throw PostgresTenantDatabase.notBuilt(#function)
    }
    public func ensureSigningKeys(at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    public func keyRing(at now: Date) async throws -> KeyRing { throw PostgresTenantDatabase.notBuilt(#function) }

    // Beyond the protocols: what the instance store calls (as on `TenantDatabase`).
    /// Stores a new client. The caller has registered its key in the instance index.
    public func insertClient(_ client: Client, builtin: String? = nil) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    /// Deletes a client and revokes its grants.
    public func deleteClient(clientID: String, at now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    /// Deletes expired rows (as `TenantDatabase.purgeExpired(now:)`).
    public func purgeExpired(now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
    /// Loads the revocation index from the database (as `TenantDatabase.init` does for SQLite).
    func loadRevocations(now: Date) async throws { throw PostgresTenantDatabase.notBuilt(#function) }
}
