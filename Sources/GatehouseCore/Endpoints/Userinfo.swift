import Foundation

/// The UserInfo response (OIDC Core §5.3.2): `sub` plus the claims the token's scopes release.
public struct UserinfoResponse: Codable, Sendable, Equatable {
    public var sub: String
    public var email: String?
    public var emailVerified: Bool?
    public var name: String?
    /// `phone` and `address` scopes (OIDC Core §5.4).
    public var phoneNumber: String?
    public var phoneNumberVerified: Bool?
    public var address: PostalAddress?
    /// The access token's organization context (docs/contract.md A8), read afresh.
    public var orgID: String?
    public var orgRole: String?
    public var orgPermissions: [String]?
    /// Custom claims released to userinfo (docs/contract.md A9), in order; never a name above.
    public var custom: [CustomClaimMember] = []

    enum CodingKeys: String, CodingKey {
        case sub, email, name, address
        case emailVerified = "email_verified"
        case phoneNumber = "phone_number"
        case phoneNumberVerified = "phone_number_verified"
        case orgID = "org_id"
        case orgRole = "org_role"
        case orgPermissions = "org_permissions"
    }

    public init(
        sub: String, email: String? = nil, emailVerified: Bool? = nil, name: String? = nil, orgID: String? = nil,
        orgRole: String? = nil, orgPermissions: [String]? = nil, custom: [CustomClaimMember] = []
    ) {
        self.sub = sub
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.orgID = orgID
        self.orgRole = orgRole
        self.orgPermissions = orgPermissions
        self.custom = custom
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: ClaimName.self)
        try c.encode(sub, forKey: ClaimName("sub"))
        try c.encodeIfPresent(email, forKey: ClaimName("email"))
        try c.encodeIfPresent(emailVerified, forKey: ClaimName("email_verified"))
        try c.encodeIfPresent(name, forKey: ClaimName("name"))
        try c.encodeIfPresent(phoneNumber, forKey: ClaimName("phone_number"))
        try c.encodeIfPresent(phoneNumberVerified, forKey: ClaimName("phone_number_verified"))
        try c.encodeIfPresent(address, forKey: ClaimName("address"))
        try c.encodeIfPresent(orgID, forKey: ClaimName("org_id"))
        try c.encodeIfPresent(orgRole, forKey: ClaimName("org_role"))
        try c.encodeIfPresent(orgPermissions, forKey: ClaimName("org_permissions"))
        for member in custom { try c.encode(member.value, forKey: ClaimName(member.name)) }
    }
}

/// One custom claim as released: its name and value.
public struct CustomClaimMember: Codable, Sendable, Equatable {
    public var name: String
    public var value: JSONValue

    public init(name: String, value: JSONValue) {
        self.name = name
        self.value = value
    }
}

/// Any claim name as a coding key.
struct ClaimName: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// The UserInfo endpoint (OIDC Core §5.3).
public enum UserinfoEndpoint {
    /// Answers for a Bearer access token (RFC 6750 §2.1).
    /// - Throws: `invalid_token` for an invalid, expired, revoked or foreign token or a user that no
    ///   longer exists; `insufficient_scope` when the token lacks `openid` (OIDC Core §5.3.1).
    ///
    /// A token issued within an organization (`org_id`) answers `org_id`, `org_role` and
    /// `org_permissions` as they are now; they are left out once the membership has ended.
    /// Custom claims released to `userinfo` (docs/contract.md A9) are computed from the user, the
    /// organization and the token's client as they are now, within ``CustomClaims/budget``.
    ///
    /// `dpopJKT` is the thumbprint of the key of the request's verified DPoP proof when the token
    /// came with the `DPoP` scheme (RFC 9449 §7.1), nil for `Bearer`: a DPoP-bound token (`cnf`)
    /// must come with a proof of its key, and an unbound token must not come with the DPoP scheme;
    /// either mismatch is `invalid_token`.
    public static func handle(
        accessToken: String, tokens: TokenService, store: some UserStore & GrantStore & OrganizationStore & ClientStore,
        dpopJKT: String? = nil
    ) async throws -> UserinfoResponse {
        let claims = try await tokens.validateAccessToken(accessToken, store: store)
        switch (claims.cnf?.jkt, dpopJKT) {
        case (nil, nil): break
        case (let bound?, let presented?) where bound == presented: break
        case (_?, nil): throw OAuthError.invalidToken("the access token is DPoP-bound; present it with the DPoP scheme and a proof")
        case (nil, _?): throw OAuthError.invalidToken("the access token is a Bearer token, not DPoP-bound")
        case (_?, _?): throw OAuthError.invalidToken("the access token is bound to another DPoP key")
        }
        let scope = claims.scopeSet
        guard scope.contains(StandardScope.openid) else {
            throw OAuthError(.insufficientScope, "the access token lacks the openid scope")
        }
        guard let userID = UserID(rawValue: claims.sub), let user = try await store.user(id: userID), !user.disabled else {
            throw OAuthError.invalidToken("the access token's subject is not a user")
        }
        // Individual claims of the grant's `claims` parameter (OIDC Core §5.5) for userinfo.
        let client = try await store.client(clientID: claims.clientID)
        var requested: Set<String> = []
        if let grantID = claims.grantID, let grant = try await store.grant(id: grantID), let asked = grant.claimsRequest {
            requested = Set(asked.userinfo.keys)
        }
        let released = UserClaims(user: user, scope: scope, requested: requested, permitted: client?.permittedScopes ?? [])
        var organization: OrganizationClaims?
        var within: Organization?
        if let orgID = claims.orgID.flatMap(OrganizationID.init(rawValue:)),
            let context = try await store.organizationContext(organization: orgID, user: user.id)
        {
            organization = OrganizationClaims(context)
            within = context.organization
        }
        var custom: [CustomClaimMember] = []
        if let client {
            let candidates = tokens.customClaims(client: client, target: .userinfo, subject: ClaimSubject(user: user, organization: within))
            custom = tokens.fitting(candidates, room: CustomClaims.budget, target: .userinfo).map { CustomClaimMember(name: $0.name, value: $0.value) }
        }
        var response = UserinfoResponse(
            sub: user.id.rawValue, email: released.email, emailVerified: released.emailVerified,
            name: released.name, orgID: organization?.orgID, orgRole: organization?.orgRole,
            orgPermissions: organization?.orgPermissions, custom: custom)
        response.phoneNumber = released.phoneNumber
        response.phoneNumberVerified = released.phoneNumberVerified
        response.address = released.address
        return response
    }
}
