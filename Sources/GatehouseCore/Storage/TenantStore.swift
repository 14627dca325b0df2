import Foundation

/// The result of consuming an authorization code (docs/architecture.md H7, after node-oidc-provider's
/// `consumeGrantSource`): consumption is one atomic store operation.
public enum CodeConsumption: Sendable, Equatable {
    /// First use: the code record, now marked consumed.
    case consumed(AuthorizationCode)
    /// The code was used before: the caller revokes the grant and answers `invalid_grant`.
    case alreadyConsumed(GrantID)
    case notFound
}

/// The result of rotating a refresh token (RFC 9700 §4.14.2).
public enum RefreshRotation: Sendable, Equatable {
    /// The presented token is now rotated and its successor stored.
    case rotated(Grant)
    /// Unknown token, or a token of another client (indistinguishable to the caller).
    case notFound
    case expired
    /// The grant was revoked, or its browser session ended (non-offline grants).
    case grantInactive
    /// The token was rotated less than the grace window ago: refused, the grant survives.
    case reusedWithinGrace
    /// The token was rotated longer ago than the grace window: the grant is now revoked.
    case reuseDetected(GrantID)
}

/// Storage of one tenant's data. Implementations exist only for a resolved tenant (GatehouseStore's
/// `TenantDatabase`); nothing here takes a tenant id, so no call can reach another tenant's rows.
///
/// Every `Date` is stored with millisecond precision or better.
public protocol TenantStore: Sendable {
    // MARK: Clients and users
    func client(clientID: String) async throws -> Client?
    func user(id: UserID) async throws -> User?
    /// Looks a user up by normalized email.
    func user(email: String) async throws -> User?
    func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws

    // MARK: Sessions
    func insertSession(_ session: Session) async throws
    func session(tokenHash: [UInt8]) async throws -> Session?
    func session(id: SessionID) async throws -> Session?
    func sessions(userID: UserID) async throws -> [Session]
    /// Ends a session and, in the same transaction, revokes every grant issued under it —
    /// `offline_access` ones included — so its refresh tokens, access tokens and `sid` die with it
    /// (RP-Initiated Logout §2; RFC 9700 §4.14.2).
    /// - Returns: the ids of the grants revoked.
    @discardableResult
    func endSession(id: SessionID, at: Date) async throws -> [GrantID]

    // MARK: Interactions and consent
    func insertInteraction(_ interaction: Interaction) async throws
    func interaction(id: String) async throws -> Interaction?
    func updateInteraction(_ interaction: Interaction) async throws
    func deleteInteraction(id: String) async throws
    func consent(userID: UserID, clientID: String) async throws -> Consent?
    func saveConsent(_ consent: Consent) async throws

    // MARK: Grants, codes, refresh tokens
    /// Stores a new grant and its authorization code in one transaction.
    func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws
    /// Stores a grant that was not created through a code (e.g. headless sign-in).
    func insertGrant(_ grant: Grant) async throws
    func grant(id: GrantID) async throws -> Grant?
    /// An authorization code by hash, consumed or not, without changing it.
    func authorizationCode(hash: [UInt8]) async throws -> AuthorizationCode?
    /// Marks an authorization code consumed, atomically; on first use also stores `refreshToken`
    /// (the grant's first refresh token) in the same transaction.
    func consumeAuthorizationCode(hash: [UInt8], at: Date, storing refreshToken: RefreshToken?) async throws -> CodeConsumption
    /// Revokes a grant: every access and refresh token issued from it stops working.
    func revokeGrant(id: GrantID, at: Date) async throws
    func insertRefreshToken(_ token: RefreshToken) async throws
    func refreshToken(hash: [UInt8]) async throws -> RefreshToken?
    /// Atomically checks and rotates a refresh token: the presented token must belong to `clientID`,
    /// be unexpired, unrotated, and its grant active (and, unless offline, its session active).
    /// Two concurrent rotations of one token yield at most one live successor.
    /// - Parameters:
    ///   - successorHash: SHA-256 of the new refresh token, stored for the same grant.
    ///   - successorExpiresAt: the new token's expiry.
    ///   - reuseGrace: seconds after a rotation during which a reuse is refused without revoking.
    func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at: Date, reuseGrace: TimeInterval
    ) async throws -> RefreshRotation

    // MARK: Access token revocation (RFC 7009)
    /// Revokes one access token by `jti` until its expiry.
    func revokeAccessToken(jti: String, expiresAt: Date) async throws
    /// Whether an access token is revoked: its `jti`, or its grant.
    /// - Parameter issuedAt: the token's `iat`, or nil when unknown (the store may then read more).
    func isAccessTokenRevoked(jti: String, grantID: GrantID?, issuedAt: Date?) async throws -> Bool
}

extension TenantStore {
    /// Whether an access token of unknown issue time is revoked.
    public func isAccessTokenRevoked(jti: String, grantID: GrantID?) async throws -> Bool {
        try await isAccessTokenRevoked(jti: jti, grantID: grantID, issuedAt: nil)
    }

    /// Consumes an authorization code without storing a refresh token.
    public func consumeAuthorizationCode(hash: [UInt8], at: Date) async throws -> CodeConsumption {
        try await consumeAuthorizationCode(hash: hash, at: at, storing: nil)
    }
}
