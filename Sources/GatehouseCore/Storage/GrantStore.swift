import Foundation

/// Grants, authorization codes, refresh tokens and access-token revocation (RFC 6749, RFC 7009,
/// RFC 9700).
public protocol GrantStore: Sendable {
    /// Stores a new grant and its authorization code in one transaction (both or neither).
    func insertGrant(_ grant: Grant, code: AuthorizationCode) async throws
    /// Stores a grant that was not created through a code (e.g. headless sign-in).
    func insertGrant(_ grant: Grant) async throws
    func grant(id: GrantID) async throws -> Grant?
    /// An authorization code by hash (SHA-256 of the code), consumed or not, without changing it.
    func authorizationCode(hash: [UInt8]) async throws -> AuthorizationCode?
    /// Marks an authorization code consumed, atomically: of any number of concurrent calls for one
    /// code exactly one gets `.consumed`, every other `.alreadyConsumed` (RFC 6749 §4.1.2). On first
    /// use it also stores `refreshToken` (the grant's first refresh token) in the same transaction.
    func consumeAuthorizationCode(hash: [UInt8], at: Date, storing refreshToken: RefreshToken?) async throws -> CodeConsumption
    /// Revokes a grant: every access and refresh token issued from it stops working at once.
    /// Revoking a revoked grant keeps its first revocation time.
    func revokeGrant(id: GrantID, at: Date) async throws
    /// Stores a refresh token. - Throws: on a duplicate hash.
    func insertRefreshToken(_ token: RefreshToken) async throws
    func refreshToken(hash: [UInt8]) async throws -> RefreshToken?
    /// Atomically checks and rotates a refresh token: the presented token must belong to `clientID`,
    /// be unexpired, unrotated, and its grant active (and, unless offline, its session active).
    /// Two concurrent rotations of one token yield at most one live successor. A rotated token
    /// presented again within `reuseGrace` is refused (`.reusedWithinGrace`) and the grant lives;
    /// after it the grant is revoked (`.reuseDetected`, RFC 9700 §4.14.2).
    /// - Parameters:
    ///   - successorHash: SHA-256 of the new refresh token, stored for the same grant.
    ///   - successorExpiresAt: the new token's expiry.
    ///   - reuseGrace: seconds after a rotation during which a reuse is refused without revoking.
    ///   - admit: asked, inside the rotating transaction, about the grant of a token that would
    ///     rotate; `false` leaves everything unchanged and answers `.notAdmitted(grant)`. It lets the
    ///     caller check the grant without reading it first (one transaction per refresh).
    func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at: Date, reuseGrace: TimeInterval, admit: @escaping @Sendable (Grant) -> Bool
    ) async throws -> RefreshRotation
    /// Revokes one access token by `jti` until its expiry (RFC 7009 §2.1).
    func revokeAccessToken(jti: String, expiresAt: Date) async throws
    /// Whether an access token is revoked: its `jti`, or its grant.
    /// - Parameter issuedAt: the token's `iat`, or nil when unknown (the store may then read more).
    func isAccessTokenRevoked(jti: String, grantID: GrantID?, issuedAt: Date?) async throws -> Bool
}

extension GrantStore {
    /// Rotates a refresh token, admitting every grant.
    public func rotateRefreshToken(
        hash: [UInt8], clientID: String, successorHash: [UInt8], successorExpiresAt: Date,
        at now: Date, reuseGrace: TimeInterval
    ) async throws -> RefreshRotation {
        try await rotateRefreshToken(
            hash: hash, clientID: clientID, successorHash: successorHash, successorExpiresAt: successorExpiresAt,
            at: now, reuseGrace: reuseGrace, admit: { _ in true })
    }

    /// Whether an access token of unknown issue time is revoked.
    public func isAccessTokenRevoked(jti: String, grantID: GrantID?) async throws -> Bool {
        try await isAccessTokenRevoked(jti: jti, grantID: grantID, issuedAt: nil)
    }

    /// Consumes an authorization code without storing a refresh token.
    public func consumeAuthorizationCode(hash: [UInt8], at: Date) async throws -> CodeConsumption {
        try await consumeAuthorizationCode(hash: hash, at: at, storing: nil)
    }
}
