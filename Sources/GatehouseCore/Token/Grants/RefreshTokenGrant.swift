import Foundation

/// The refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2).
public enum RefreshTokenGrant: GrantHandler {
    public static let grantType = GrantType.refreshToken
    public static let parameters: Set<String> = ["refresh_token", "scope"]

    /// Exchanges a refresh token for new tokens and a successor refresh token.
    ///
    /// - The token must have been issued to this client (§6: "validate the refresh token was issued
    ///   to the authenticated client").
    /// - `scope` may narrow, never widen, the grant's scope (§6: "MUST NOT include any scope not
    ///   originally granted").
    /// - Rotation is atomic; reuse of a rotated token after the grace window revokes the grant.
    /// - A new ID token keeps `sub`, `aud` and the original `auth_time` (OIDC Core §12.2) and omits `nonce`.
    public static func handle(_ parameters: FormParameters, client: AuthenticatedClient, context: TokenContext) async throws -> TokenResponse {
        guard let presented = parameters["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is missing") }
        var requestedScope: ScopeSet?
        if let raw = parameters["scope"] {
            do { requestedScope = try ScopeSet(parsing: raw) } catch { throw OAuthError.invalidScope("scope is malformed") }
        }
        let now = context.now
        let hash = SecretHash.of(presented)
        // A refused request must change nothing (RFC 6749 §5.2), so the scope is checked against the
        // grant before the token rotates. A grant's scope never changes.
        if let requestedScope, let token = try await context.store.refreshToken(hash: hash),
            let grant = try await context.store.grant(id: token.grantID), grant.clientID == client.client.clientID,
            !requestedScope.isSubset(of: grant.scope)
        {
            throw OAuthError.invalidScope("scope exceeds the original grant")
        }
        let successor = RandomText.bearerSecret()
        let rotation = try await context.store.rotateRefreshToken(
            hash: hash, clientID: client.client.clientID,
            successorHash: SecretHash.of(successor),
            successorExpiresAt: now.addingTimeInterval(TimeInterval(context.settings.refreshTokenTTL)),
            at: now, reuseGrace: context.refreshReuseGrace)
        let grant: Grant
        switch rotation {
        case .rotated(let g): grant = g
        case .notFound: throw OAuthError.invalidGrant("the refresh token is invalid")
        case .expired: throw OAuthError.invalidGrant("the refresh token expired")
        case .grantInactive: throw OAuthError.invalidGrant("the refresh token was revoked")
        case .reusedWithinGrace: throw OAuthError.invalidGrant("the refresh token was already used")
        case .reuseDetected: throw OAuthError.invalidGrant("the refresh token was reused; the grant is revoked")
        }
        let scope = requestedScope ?? grant.scope
        guard scope.isSubset(of: grant.scope) else {
            throw OAuthError.invalidScope("scope exceeds the original grant")
        }
        let user = try await TokenEndpoint.activeUser(grant.userID, context: context)
        return try TokenEndpoint.issueTokens(
            for: grant, client: client.client, user: user, scope: scope,
            includeNonce: false, refreshToken: successor, context: context)
    }
}
