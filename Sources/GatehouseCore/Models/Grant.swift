import Foundation

/// What one authorization produced: the code and every access and refresh token issued from it.
/// Revoking the grant revokes all of them (docs/contract.md A1).
public struct Grant: Codable, Sendable, Equatable {
    public var id: GrantID
    public var clientID: String
    public var userID: UserID
    /// The browser session it came from; nil for headless sign-ins without a session.
    public var sessionID: SessionID?
    public var scope: ScopeSet
    public var authTime: Date
    public var amr: [String]
    /// The `nonce` of the authorization request, repeated in ID tokens issued from the code.
    public var nonce: String?
    /// The organization the user acts within (docs/contract.md A8); nil for a personal context.
    /// Tokens issued from the grant carry `org_id`, `org_role` and `org_permissions`, read afresh.
    public var organizationID: OrganizationID?
    /// The authorization request's `claims` parameter (OIDC Core §5.5): individual claims for
    /// ID tokens and userinfo issued from this grant.
    public var claimsRequest: ClaimsRequest?
    /// RFC 8707 §2: the resource indicators the authorization request named; tokens of the grant
    /// may be asked for these only (nil: any of the tenant's).
    public var resources: [String]? = nil
    public var createdAt: Date
    public var revokedAt: Date?

    public init(
        id: GrantID, clientID: String, userID: UserID, sessionID: SessionID?, scope: ScopeSet, authTime: Date,
        amr: [String], nonce: String?, organizationID: OrganizationID? = nil, claimsRequest: ClaimsRequest? = nil, createdAt: Date,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.clientID = clientID
        self.userID = userID
        self.sessionID = sessionID
        self.scope = scope
        self.authTime = authTime
        self.amr = amr
        self.nonce = nonce
        self.organizationID = organizationID
        self.claimsRequest = claimsRequest
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// Grants with `offline_access` outlive the browser session that created them.
    public var isOffline: Bool { scope.contains(StandardScope.offlineAccess) }
}

/// An authorization code (RFC 6749 §4.1.2), stored by hash only.
public struct AuthorizationCode: Codable, Sendable, Equatable {
    /// SHA-256 of the code.
    public var codeHash: [UInt8]
    public var grantID: GrantID
    public var clientID: String
    /// The `redirect_uri` of the authorization request, exactly as sent (RFC 6749 §4.1.3).
    public var redirectURI: String
    /// Whether the authorization request carried `redirect_uri` (it is then REQUIRED at the token endpoint).
    public var redirectURIWasSent: Bool
    /// PKCE `code_challenge` (S256) or nil when the request had none (RFC 7636 §4.4).
    public var codeChallenge: String?
    public var expiresAt: Date
    public var consumedAt: Date?

    public init(
        codeHash: [UInt8], grantID: GrantID, clientID: String, redirectURI: String, redirectURIWasSent: Bool,
        codeChallenge: String?, expiresAt: Date, consumedAt: Date? = nil
    ) {
        self.codeHash = codeHash
        self.grantID = grantID
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.redirectURIWasSent = redirectURIWasSent
        self.codeChallenge = codeChallenge
        self.expiresAt = expiresAt
        self.consumedAt = consumedAt
    }
}

/// A refresh token (RFC 6749 §1.5, §6), stored by hash only; rotated on every use.
public struct RefreshToken: Codable, Sendable, Equatable {
    public var tokenHash: [UInt8]
    public var grantID: GrantID
    public var issuedAt: Date
    public var expiresAt: Date
    /// When it was exchanged for a successor; nil while it is the live token of its grant.
    public var rotatedAt: Date?

    public init(tokenHash: [UInt8], grantID: GrantID, issuedAt: Date, expiresAt: Date, rotatedAt: Date? = nil) {
        self.tokenHash = tokenHash
        self.grantID = grantID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
    }
}

/// A user's standing consent to a client's scopes.
public struct Consent: Codable, Sendable, Equatable {
    public var userID: UserID
    public var clientID: String
    public var scope: ScopeSet
    public var grantedAt: Date

    public init(userID: UserID, clientID: String, scope: ScopeSet, grantedAt: Date) {
        self.userID = userID
        self.clientID = clientID
        self.scope = scope
        self.grantedAt = grantedAt
    }
}
