import Foundation

/// The UserInfo response (OIDC Core §5.3.2): `sub` plus the claims the token's scopes release.
public struct UserinfoResponse: Codable, Sendable, Equatable {
    public var sub: String
    public var email: String?
    public var emailVerified: Bool?
    public var name: String?

    enum CodingKeys: String, CodingKey {
        case sub, email, name
        case emailVerified = "email_verified"
    }
}

/// The UserInfo endpoint (OIDC Core §5.3).
public enum UserinfoEndpoint {
    /// Answers for a Bearer access token (RFC 6750 §2.1).
    /// - Throws: `invalid_token` for an invalid, expired, revoked or foreign token or a user that no
    ///   longer exists; `insufficient_scope` when the token lacks `openid` (OIDC Core §5.3.1).
    public static func handle(accessToken: String, tokens: TokenService, store: some UserStore & GrantStore) async throws -> UserinfoResponse {
        let claims = try await tokens.validateAccessToken(accessToken, store: store)
        let scope = claims.scopeSet
        guard scope.contains(StandardScope.openid) else {
            throw OAuthError(.insufficientScope, "the access token lacks the openid scope")
        }
        guard let userID = UserID(rawValue: claims.sub), let user = try await store.user(id: userID), !user.disabled else {
            throw OAuthError.invalidToken("the access token's subject is not a user")
        }
        let released = UserClaims(user: user, scope: scope)
        return UserinfoResponse(
            sub: user.id.rawValue, email: released.email, emailVerified: released.emailVerified,
            name: released.name)
    }
}
