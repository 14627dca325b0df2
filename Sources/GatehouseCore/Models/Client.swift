import Foundation
import GatehouseCrypto

/// RFC 6749 §2.1 client types.
public enum ClientType: String, Codable, Sendable, CaseIterable {
    /// Cannot keep a secret (browser, mobile, native); authenticates with `none` and must use PKCE.
    case `public`
    /// A backend that holds a secret key.
    case confidential
}

/// The grant types this provider implements (RFC 6749 §4).
public enum GrantType: String, Codable, Sendable, CaseIterable {
    case authorizationCode = "authorization_code"
    case refreshToken = "refresh_token"
    case clientCredentials = "client_credentials"
    /// The device authorization grant (RFC 8628 §3.4).
    case deviceCode = "urn:ietf:params:oauth:grant-type:device_code"
    /// Token exchange (RFC 8693 §2.1).
    case tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
}

/// Client authentication methods (RFC 6749 §2.3.1; OIDC Core §9; RFC 7523 §2.2; RFC 8414 names).
public enum ClientAuthenticationMethod: String, Codable, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
    /// A JWT signed with HS256 keyed with the client's secret key (OIDC Core §9).
    case clientSecretJWT = "client_secret_jwt"
    /// A JWT signed with a private key whose public key the client registered (OIDC Core §9).
    case privateKeyJWT = "private_key_jwt"
    case none

    /// Whether the method is a client assertion (RFC 7523 §2.2).
    public var isAssertion: Bool { self == .clientSecretJWT || self == .privateKeyJWT }
}

/// An OAuth 2.0 client registered in a tenant.
public struct Client: Codable, Sendable, Equatable {
    public var id: ClientRecordID
    /// The publishable key `pk_<environment>_<random>`, the wire `client_id`.
    public var clientID: String
    public var name: String
    public var type: ClientType
    /// SHA-256 of the current secret key (`sk_…`), confidential clients only.
    public var secretHash: [UInt8]?
    /// SHA-256 of the secret key replaced by the last rotation, accepted until `previousSecretExpiresAt`.
    public var previousSecretHash: [UInt8]?
    public var previousSecretExpiresAt: Date?
    /// Redirect URIs compared by exact string match (RFC 9700 §4.1.1).
    public var redirectURIs: [String]
    /// `post_logout_redirect_uris` (RP-Initiated Logout §3.1), exact match.
    public var postLogoutRedirectURIs: [String]
    public var grantTypes: Set<GrantType>
    /// First-party clients skip the consent page.
    public var firstParty: Bool
    /// Scopes the client may request; nil means every standard scope.
    public var allowedScopes: ScopeSet?
    /// `id_token_signed_response_alg` (OIDC Dynamic Client Registration §2), one of the tenant's algorithms.
    public var idTokenSigningAlgorithm: JWSAlgorithm
    /// The algorithm of the client's access tokens, one of the tenant's algorithms.
    public var accessTokenSigningAlgorithm: JWSAlgorithm
    /// Every authorization of this client acts within an organization (docs/contract.md A8): a
    /// user without one ends in `access_denied`, and the picker offers no personal context.
    public var organizationRequired: Bool
    /// Custom claims of this client's tokens (docs/contract.md A9): each replaces the tenant's
    /// `settings.custom_claims` member of the same name (``CustomClaims/effective(tenant:client:)``).
    public var customClaims: [String: CustomClaim]
    /// `token_endpoint_auth_method` (RFC 7591 §2): the one method this client authenticates with
    /// at the token, introspection and revocation endpoints; nil for a client registered before
    /// the field existed, which authenticates as it always did (``acceptedAuthenticationMethods``).
    public var tokenEndpointAuthMethod: ClientAuthenticationMethod?
    /// `jwks` (RFC 7591 §2): the public keys of a `private_key_jwt` client, given inline.
    public var jwks: [JWK]?
    /// `jwks_uri` (RFC 7591 §2): where the public keys of a `private_key_jwt` client are published (https).
    public var jwksURI: String?
    /// `require_pushed_authorization_requests` (RFC 9126 §6): this client's authorization
    /// requests are refused unless pushed first. Default false.
    public var requirePushedAuthorizationRequests = false
    /// `backchannel_logout_uri` (OpenID Connect Back-Channel Logout 1.0 §2.2): where logout tokens
    /// are POSTed when a session through which this client obtained tokens ends; nil for none.
    public var backchannelLogoutURI: String?
    /// `backchannel_logout_session_required` (Back-Channel Logout §2.2): the client needs `sid` in
    /// logout tokens. Gatehouse always sends `sid` when the session is known. Default false.
    public var backchannelLogoutSessionRequired = false
    /// `dpop_bound_access_tokens` (RFC 9449 §5.2): the client always uses DPoP; a token request
    /// without a proof is refused (`invalid_dpop_proof`). Default false.
    public var dpopBoundAccessTokens = false
    /// The secret key of a `client_secret_jwt` client sealed with the instance master key
    /// (``SecretBox``; it is the HS256 key, so a hash cannot serve). nil for every other client.
    public var sealedSecret: [UInt8]?
    /// The sealed secret key replaced by the last rotation, valid until `previousSecretExpiresAt`.
    public var sealedPreviousSecret: [UInt8]?
    public var createdAt: Date

    public init(
        id: ClientRecordID, clientID: String, name: String, type: ClientType, secretHash: [UInt8]?,
        redirectURIs: [String], postLogoutRedirectURIs: [String], grantTypes: Set<GrantType>,
        firstParty: Bool, allowedScopes: ScopeSet?, idTokenSigningAlgorithm: JWSAlgorithm = .eddsa,
        accessTokenSigningAlgorithm: JWSAlgorithm = .eddsa, previousSecretHash: [UInt8]? = nil,
        previousSecretExpiresAt: Date? = nil, organizationRequired: Bool = false,
        customClaims: [String: CustomClaim] = [:], createdAt: Date
    ) {
        self.id = id
        self.clientID = clientID
        self.name = name
        self.type = type
        self.secretHash = secretHash
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.grantTypes = grantTypes
        self.firstParty = firstParty
        self.allowedScopes = allowedScopes
        self.idTokenSigningAlgorithm = idTokenSigningAlgorithm
        self.accessTokenSigningAlgorithm = accessTokenSigningAlgorithm
        self.previousSecretHash = previousSecretHash
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.organizationRequired = organizationRequired
        self.customClaims = customClaims
        self.createdAt = createdAt
    }

    /// The scopes this client may be granted.
    public var permittedScopes: ScopeSet { allowedScopes ?? StandardScope.all }

    /// The scopes a user's authorization of this client may ask for: ``permittedScopes``, plus
    /// `organization` (docs/contract.md A8) for a client without an allow-list.
    public var requestableScopes: ScopeSet {
        allowedScopes ?? StandardScope.all.union([StandardScope.organization])
    }

    /// Whether `secret` is the client's secret key, or its previous one within the rotation overlap.
    /// Both comparisons run, in constant time, whatever the outcome of the first.
    public func secretMatches(_ secret: String, at now: Date) -> Bool {
        let presented = SecretHash.of(secret)
        let current = secretHash.map { ConstantTime.equals(presented, $0) } ?? false
        var previous = false
        if let hash = previousSecretHash, let until = previousSecretExpiresAt {
            previous = ConstantTime.equals(presented, hash) && now < until
        }
        return current || previous
    }

    /// The client authentication methods accepted for this client at the token, revocation and
    /// introspection endpoints: the registered `token_endpoint_auth_method` only (RFC 7591 §2);
    /// without one, `none` for a public client and `client_secret_basic` or `client_secret_post`
    /// for a confidential one.
    public var acceptedAuthenticationMethods: Set<ClientAuthenticationMethod> {
        if let tokenEndpointAuthMethod { return [tokenEndpointAuthMethod] }
        return type == .public ? [.none] : [.clientSecretBasic, .clientSecretPost]
    }

    /// The methods a client of `type` may register (RFC 7591 §2): `none` for a public client,
    /// every other method for a confidential one.
    public static func registrableMethods(for type: ClientType) -> [ClientAuthenticationMethod] {
        type == .public ? [.none] : ClientAuthenticationMethod.allCases.filter { $0 != .none }
    }
}

/// Publishable and secret keys (docs/contract.md A1).
public enum ClientKeys {
    /// A new publishable key `pk_<environment>_<24 random base62 characters>` (≈143 bits).
    public static func publishableKey(environment: TenantEnvironment) -> String {
        "pk_\(environment.rawValue)_" + RandomText.base62(count: 24)
    }

    /// A new secret key `sk_<environment>_<43 random base62 characters>` (≈256 bits).
    public static func secretKey(environment: TenantEnvironment) -> String {
        "sk_\(environment.rawValue)_" + RandomText.base62(count: 43)
    }
}

extension Client {
    /// This client with the secret key `newSecret` (stored as its SHA-256); the current secret
    /// stays valid for `overlap` seconds after `now` (0: it stops at once).
    public func rotatingSecret(to newSecret: String, overlap: TimeInterval, at now: Date) -> Client {
        var updated = self
        updated.secretHash = SecretHash.of(newSecret)
        updated.previousSecretHash = overlap > 0 ? secretHash : nil
        updated.previousSecretExpiresAt = overlap > 0 ? now.addingTimeInterval(overlap) : nil
        // The caller seals the new secret of a `client_secret_jwt` client (``sealedSecret``).
        updated.sealedPreviousSecret = overlap > 0 ? sealedSecret : nil
        updated.sealedSecret = nil
        return updated
    }
}
