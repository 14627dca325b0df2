import Foundation

/// The UserInfo response (OIDC Core §5.3.2): `sub` plus the claims the token's scopes release.
public struct UserinfoResponse: Codable, Sendable, Equatable {
    public var sub: String
    public var email: String?
    public var emailVerified: Bool?
    public var name: String?
    /// The access token's organization context (docs/contract.md A8), read afresh.
    public var orgID: String?
    public var orgRole: String?
    public var orgPermissions: [String]?

    enum CodingKeys: String, CodingKey {
        case sub, email, name
        case emailVerified = "email_verified"
        case orgID = "org_id"
        case orgRole = "org_role"
        case orgPermissions = "org_permissions"
    }
}

/// The UserInfo endpoint (OIDC Core §5.3).
public enum UserinfoEndpoint {
    /// Answers for a Bearer access token (RFC 6750 §2.1).
    /// - Throws: `invalid_token` for an invalid, expired, revoked or foreign token or a user that no
    ///   longer exists; `insufficient_scope` when the token lacks `openid` (OIDC Core §5.3.1).
    ///
    /// A token issued within an organization (`org_id`) answers `org_id`, `org_role` and
    /// `org_permissions` as they are now; they are left out once the membership has ended.
    public static func handle(
        accessToken: String, tokens: TokenService, store: some UserStore & GrantStore & OrganizationStore
    ) async throws -> UserinfoResponse {
        let claims = try await tokens.validateAccessToken(accessToken, store: store)
        let scope = claims.scopeSet
        guard scope.contains(StandardScope.openid) else {
            throw OAuthError(.insufficientScope, "the access token lacks the openid scope")
        }
        guard let userID = UserID(rawValue: claims.sub), let user = try await store.user(id: userID), !user.disabled else {
            throw OAuthError.invalidToken("the access token's subject is not a user")
        }
        let released = UserClaims(user: user, scope: scope)
        var organization: OrganizationClaims?
        if let orgID = claims.orgID.flatMap(OrganizationID.init(rawValue:)),
            let context = try await store.organizationContext(organization: orgID, user: user.id)
        {
            organization = OrganizationClaims(context)
        }
        return UserinfoResponse(
            sub: user.id.rawValue, email: released.email, emailVerified: released.emailVerified,
            name: released.name, orgID: organization?.orgID, orgRole: organization?.orgRole,
            orgPermissions: organization?.orgPermissions)
    }
}
