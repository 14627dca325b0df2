import Foundation
import GatehouseCore
import Synchronization

/// A `TenantStore` (GatehouseCore: clients, users, sessions, interactions, grants and tokens) held
/// in memory, for testing the protocol core without a database. One instance is one tenant: two
/// instances share nothing.
///
/// It follows the protocols' documented contracts operation by operation: code consumption,
/// interaction consumption and refresh rotation are atomic under one lock, a rotated token reused
/// within the grace window is refused without revoking, and reused after it revokes the grant.
/// The conformance suite (`Tests/GatehouseStoreTests`, `ConformanceBackend.inMemory`) runs the
/// same cases against it and against SQLite.
public final class InMemoryTenantStore: TenantStore {
    public struct DuplicateKey: Error {}

    public struct ConsentKey: Hashable {
        public var userID: UserID
        public var clientID: String
    }

    public struct State {
        public var clients: [String: Client] = [:]
        public var users: [UserID: User] = [:]
        public var sessions: [SessionID: Session] = [:]
        public var interactions: [String: Interaction] = [:]
        public var consents: [ConsentKey: Consent] = [:]
        public var grants: [GrantID: Grant] = [:]
        public var codes: [[UInt8]: AuthorizationCode] = [:]
        public var refreshTokens: [[UInt8]: RefreshToken] = [:]
        /// Revoked access tokens by `jti`, with their expiry.
        public var revokedAccessTokens: [String: Date] = [:]
        public var organizations: [OrganizationID: Organization] = [:]
        public var roles: [String: OrganizationRole] = InMemoryTenantStore.builtInRoles()
        public var memberships: [OrganizationID: [UserID: Membership]] = [:]
        public var invitations: [InvitationID: OrganizationInvitation] = [:]
        /// Organization domains by (lowercased) name.
        public var domains: [String: OrganizationDomain] = [:]
        public var organizationSSO: [OrganizationID: OrganizationSSO] = [:]
        /// Ids of the tenant's upstream providers (`insertUpstreamProvider(id:)`): what SSO may name.
        public var upstreamProviderIDs: Set<String> = []

        public init() {}
    }

    public let state = Mutex(State())

    public init(clients: [Client] = [], users: [User] = []) {
        state.withLock { s in
            for client in clients { s.clients[client.clientID] = client }
            for user in users { s.users[user.id] = user }
        }
    }

    // MARK: Test helpers

    public func insertClient(_ client: Client) { state.withLock { $0.clients[client.clientID] = client } }
    public func insertUser(_ user: User) { state.withLock { $0.users[user.id] = user } }
    public func disableUser(_ id: UserID) { state.withLock { $0.users[id]?.disabled = true } }

    // MARK: Clients and users

    public func client(clientID: String) async throws -> Client? { state.withLock { $0.clients[clientID] } }

    public func user(id: UserID) async throws -> User? { state.withLock { $0.users[id] } }

    public func user(email: String) async throws -> User? {
        state.withLock { $0.users.values.first { $0.email == email } }
    }

    public func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws {
        state.withLock { s in
            s.users[userID]?.passwordHash = hash
            s.users[userID]?.updatedAt = at
        }
    }

    // MARK: Sessions

    public func insertSession(_ session: Session) async throws {
        try state.withLock { s in
            guard s.sessions[session.id] == nil else { throw DuplicateKey() }
            s.sessions[session.id] = session
        }
    }

    public func session(tokenHash: [UInt8]) async throws -> Session? {
        state.withLock { $0.sessions.values.first { $0.tokenHash == tokenHash } }
    }

    public func session(id: SessionID) async throws -> Session? { state.withLock { $0.sessions[id] } }

    public func sessions(userID: UserID) async throws -> [Session] {
        state.withLock { $0.sessions.values.filter { $0.userID == userID }.sorted { $0.createdAt > $1.createdAt } }
    }

    @discardableResult
    public func endSession(id: SessionID, at: Date) async throws -> [GrantID] {
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

    public func revokeOthers(of id: UserID, keep: SessionID?, at now: Date) async throws {
        state.withLock { s in
            for (sid, session) in s.sessions where session.userID == id && session.revokedAt == nil && sid != keep {
                s.sessions[sid]?.revokedAt = now
            }
            for (gid, grant) in s.grants where grant.userID == id && grant.revokedAt == nil && (grant.sessionID == nil || grant.sessionID != keep) {
                s.grants[gid]?.revokedAt = now
            }
        }
    }

    public func activeSessions(userID: UserID?, at now: Date, limit: Int, before: SessionID?) async throws -> [Session] {
        state.withLock { s in
            let active = s.sessions.values.filter { session in
                session.isActive(at: now) && (userID == nil || session.userID == userID)
                    && (before.map { session.id.rawValue < $0.rawValue } ?? true)
            }
            return Array(active.sorted { $0.id.rawValue > $1.id.rawValue }.prefix(max(0, limit)))
        }
    }

    // MARK: Interactions and consent

    public func insertInteraction(_ interaction: Interaction) async throws {
        try state.withLock { s in
            guard s.interactions[interaction.id] == nil else { throw DuplicateKey() }
            s.interactions[interaction.id] = interaction
        }
    }

    public func interaction(id: String) async throws -> Interaction? { state.withLock { $0.interactions[id] } }

    /// Like the SQLite store, only the progress fields change.
    public func updateInteraction(_ interaction: Interaction) async throws {
        state.withLock { s in
            s.interactions[interaction.id]?.userID = interaction.userID
            s.interactions[interaction.id]?.loginDone = interaction.loginDone
            s.interactions[interaction.id]?.consentDone = interaction.consentDone
        }
    }

    public func deleteInteraction(id: String) async throws { state.withLock { _ = $0.interactions.removeValue(forKey: id) } }

    public func consumeInteraction(id: String, issuing grant: Grant, code: AuthorizationCode) async throws -> Bool {
        try state.withLock { s in
            guard s.interactions[id] != nil else { return false }
            guard s.grants[grant.id] == nil, s.codes[code.codeHash] == nil else { throw DuplicateKey() }
            s.interactions[id] = nil
            s.grants[grant.id] = grant
            s.codes[code.codeHash] = code
            return true
        }
    }

    public func consent(userID: UserID, clientID: String) async throws -> Consent? {
        state.withLock { $0.consents[ConsentKey(userID: userID, clientID: clientID)] }
    }

    public func saveConsent(_ consent: Consent) async throws {
        state.withLock { $0.consents[ConsentKey(userID: consent.userID, clientID: consent.clientID)] = consent }
    }

    // MARK: Grants, codes, refresh tokens

    public func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws {
        try state.withLock { s in
            guard s.grants[grant.id] == nil, s.codes[code.codeHash] == nil else { throw DuplicateKey() }
            s.grants[grant.id] = grant
            s.codes[code.codeHash] = code
        }
    }

    public func insertGrant(_ grant: Grant) async throws {
        try state.withLock { s in
            guard s.grants[grant.id] == nil else { throw DuplicateKey() }
            s.grants[grant.id] = grant
        }
    }

    public func grant(id: GrantID) async throws -> Grant? { state.withLock { $0.grants[id] } }

    public func authorizationCode(hash: [UInt8]) async throws -> AuthorizationCode? { state.withLock { $0.codes[hash] } }

    public func consumeAuthorizationCode(hash: [UInt8], at: Date, storing refreshToken: RefreshToken?) async throws -> CodeConsumption {
        state.withLock { s in
            guard var code = s.codes[hash] else { return .notFound }
            if code.consumedAt != nil { return .alreadyConsumed(code.grantID) }
            code.consumedAt = at
            s.codes[hash] = code
            if let refreshToken { s.refreshTokens[refreshToken.tokenHash] = refreshToken }
            return .consumed(code)
        }
    }

    public func revokeGrant(id: GrantID, at: Date) async throws {
        state.withLock { s in
            if s.grants[id]?.revokedAt == nil { s.grants[id]?.revokedAt = at }
        }
    }

    public func insertRefreshToken(_ token: RefreshToken) async throws {
        try state.withLock { s in
            guard s.refreshTokens[token.tokenHash] == nil else { throw DuplicateKey() }
            s.refreshTokens[token.tokenHash] = token
        }
    }

    public func refreshToken(hash: [UInt8]) async throws -> RefreshToken? { state.withLock { $0.refreshTokens[hash] } }

    public func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at now: Date, reuseGrace: TimeInterval, admit: @escaping @Sendable (Grant) -> Bool
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
            guard admit(grant) else { return .notAdmitted(grant) }
            s.refreshTokens[hash]?.rotatedAt = now
            s.refreshTokens[successorHash] = RefreshToken(
                tokenHash: successorHash, grantID: grant.id, issuedAt: now,
                expiresAt: successorExpiresAt)
            return .rotated(grant, s.users[grant.userID])
        }
    }

    // MARK: Access token revocation

    public func revokeAccessToken(jti: String, expiresAt: Date) async throws {
        state.withLock { $0.revokedAccessTokens[jti] = expiresAt }
    }

    public func isAccessTokenRevoked(jti: String, grantID: GrantID?, issuedAt: Date?) async throws -> Bool {
        state.withLock { s in
            if s.revokedAccessTokens[jti] != nil { return true }
            guard let grantID, let grant = s.grants[grantID] else { return false }
            return grant.revokedAt != nil
        }
    }
}
