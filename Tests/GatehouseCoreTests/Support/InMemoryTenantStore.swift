import Foundation
import GatehouseCore
import Synchronization

/// A `TenantStore` held in memory, for testing the protocol core without a database.
///
/// It follows the protocol's documented contract (and the SQLite store's behaviour) operation by
/// operation: code consumption and refresh rotation are atomic under one lock, a rotated token
/// reused within the grace window is refused without revoking, and reused after it revokes the
/// grant. The real store is tested by GatehouseStoreTests.
final class InMemoryTenantStore: TenantStore {
    struct DuplicateKey: Error {}

    struct ConsentKey: Hashable {
        var userID: UserID
        var clientID: String
    }

    struct State {
        var clients: [String: Client] = [:]
        var users: [UserID: User] = [:]
        var sessions: [SessionID: Session] = [:]
        var interactions: [String: Interaction] = [:]
        var consents: [ConsentKey: Consent] = [:]
        var grants: [GrantID: Grant] = [:]
        var codes: [[UInt8]: AuthorizationCode] = [:]
        var refreshTokens: [[UInt8]: RefreshToken] = [:]
        /// Revoked access tokens by `jti`, with their expiry.
        var revokedAccessTokens: [String: Date] = [:]
    }

    let state = Mutex(State())

    init(clients: [Client] = [], users: [User] = []) {
        state.withLock { s in
            for client in clients { s.clients[client.clientID] = client }
            for user in users { s.users[user.id] = user }
        }
    }

    // MARK: Test helpers

    func insertClient(_ client: Client) { state.withLock { $0.clients[client.clientID] = client } }
    func insertUser(_ user: User) { state.withLock { $0.users[user.id] = user } }
    func disableUser(_ id: UserID) { state.withLock { $0.users[id]?.disabled = true } }

    // MARK: Clients and users

    func client(clientID: String) async throws -> Client? { state.withLock { $0.clients[clientID] } }

    func user(id: UserID) async throws -> User? { state.withLock { $0.users[id] } }

    func user(email: String) async throws -> User? {
        state.withLock { $0.users.values.first { $0.email == email } }
    }

    func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws {
        state.withLock { s in
            s.users[userID]?.passwordHash = hash
            s.users[userID]?.updatedAt = at
        }
    }

    // MARK: Sessions

    func insertSession(_ session: Session) async throws {
        try state.withLock { s in
            guard s.sessions[session.id] == nil else { throw DuplicateKey() }
            s.sessions[session.id] = session
        }
    }

    func session(tokenHash: [UInt8]) async throws -> Session? {
        state.withLock { $0.sessions.values.first { $0.tokenHash == tokenHash } }
    }

    func session(id: SessionID) async throws -> Session? { state.withLock { $0.sessions[id] } }

    func sessions(userID: UserID) async throws -> [Session] {
        state.withLock { $0.sessions.values.filter { $0.userID == userID }.sorted { $0.createdAt < $1.createdAt } }
    }

    @discardableResult
    func endSession(id: SessionID, at: Date) async throws -> [GrantID] {
        state.withLock { s in
            if s.sessions[id]?.revokedAt == nil { s.sessions[id]?.revokedAt = at }
            let ended = s.grants.values
                .filter { $0.sessionID == id && $0.revokedAt == nil }
                .map(\.id)
                .sorted()
            for grantID in ended { s.grants[grantID]?.revokedAt = at }
            return ended
        }
    }

    // MARK: Interactions and consent

    func insertInteraction(_ interaction: Interaction) async throws {
        try state.withLock { s in
            guard s.interactions[interaction.id] == nil else { throw DuplicateKey() }
            s.interactions[interaction.id] = interaction
        }
    }

    func interaction(id: String) async throws -> Interaction? { state.withLock { $0.interactions[id] } }

    /// Like the SQLite store, only the progress fields change.
    func updateInteraction(_ interaction: Interaction) async throws {
        state.withLock { s in
            s.interactions[interaction.id]?.userID = interaction.userID
            s.interactions[interaction.id]?.loginDone = interaction.loginDone
            s.interactions[interaction.id]?.consentDone = interaction.consentDone
        }
    }

    func deleteInteraction(id: String) async throws { state.withLock { _ = $0.interactions.removeValue(forKey: id) } }

    func consent(userID: UserID, clientID: String) async throws -> Consent? {
        state.withLock { $0.consents[ConsentKey(userID: userID, clientID: clientID)] }
    }

    func saveConsent(_ consent: Consent) async throws {
        state.withLock { $0.consents[ConsentKey(userID: consent.userID, clientID: consent.clientID)] = consent }
    }

    // MARK: Grants, codes, refresh tokens

    func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws {
        try state.withLock { s in
            guard s.grants[grant.id] == nil, s.codes[code.codeHash] == nil else { throw DuplicateKey() }
            s.grants[grant.id] = grant
            s.codes[code.codeHash] = code
        }
    }

    func insertGrant(_ grant: Grant) async throws {
        try state.withLock { s in
            guard s.grants[grant.id] == nil else { throw DuplicateKey() }
            s.grants[grant.id] = grant
        }
    }

    func grant(id: GrantID) async throws -> Grant? { state.withLock { $0.grants[id] } }

    func authorizationCode(hash: [UInt8]) async throws -> AuthorizationCode? { state.withLock { $0.codes[hash] } }

    func consumeAuthorizationCode(hash: [UInt8], at: Date, storing refreshToken: RefreshToken?) async throws -> CodeConsumption {
        state.withLock { s in
            guard var code = s.codes[hash] else { return .notFound }
            if code.consumedAt != nil { return .alreadyConsumed(code.grantID) }
            code.consumedAt = at
            s.codes[hash] = code
            if let refreshToken { s.refreshTokens[refreshToken.tokenHash] = refreshToken }
            return .consumed(code)
        }
    }

    func revokeGrant(id: GrantID, at: Date) async throws {
        state.withLock { s in
            if s.grants[id]?.revokedAt == nil { s.grants[id]?.revokedAt = at }
        }
    }

    func insertRefreshToken(_ token: RefreshToken) async throws {
        try state.withLock { s in
            guard s.refreshTokens[token.tokenHash] == nil else { throw DuplicateKey() }
            s.refreshTokens[token.tokenHash] = token
        }
    }

    func refreshToken(hash: [UInt8]) async throws -> RefreshToken? { state.withLock { $0.refreshTokens[hash] } }

    func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at now: Date, reuseGrace: TimeInterval
    ) async throws -> RefreshRotation {
        state.withLock { s in
            guard let token = s.refreshTokens[hash], let grant = s.grants[token.grantID] else { return .notFound }
            guard grant.clientID == clientID else { return .notFound }
            guard grant.revokedAt == nil else { return .grantInactive }
            if let rotatedAt = token.rotatedAt {
                if now.timeIntervalSince(rotatedAt) <= reuseGrace { return .reusedWithinGrace }
                s.grants[grant.id]?.revokedAt = now
                return .reuseDetected(grant.id)
            }
            guard now < token.expiresAt else { return .expired }
            if !grant.isOffline, let sessionID = grant.sessionID {
                guard let session = s.sessions[sessionID], session.isActive(at: now) else { return .grantInactive }
            }
            s.refreshTokens[hash]?.rotatedAt = now
            s.refreshTokens[successorHash] = RefreshToken(
                tokenHash: successorHash, grantID: grant.id, issuedAt: now,
                expiresAt: successorExpiresAt)
            return .rotated(grant)
        }
    }

    // MARK: Access token revocation

    func revokeAccessToken(jti: String, expiresAt: Date) async throws {
        state.withLock { $0.revokedAccessTokens[jti] = expiresAt }
    }

    func isAccessTokenRevoked(jti: String, grantID: GrantID?, issuedAt: Date?) async throws -> Bool {
        state.withLock { s in
            if s.revokedAccessTokens[jti] != nil { return true }
            guard let grantID, let grant = s.grants[grantID] else { return false }
            return grant.revokedAt != nil
        }
    }
}
