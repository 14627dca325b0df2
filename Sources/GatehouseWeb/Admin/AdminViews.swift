import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore

/// JSON shapes of the admin API (docs/contract.md A4), `snake_case` keys.
struct TenantView: Encodable {
    let id: String
    let slug: String
    let name: String
    let environment: String
    let issuer: String
    let settings: TenantSettings
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, slug, name, environment, issuer, settings
        case createdAt = "created_at"
    }

    init(_ tenant: Tenant, addressing: TenantAddressing) {
        self.init(tenant, issuer: addressing.issuer(of: tenant))
    }

    init(_ tenant: Tenant, issuer: String) {
        id = tenant.id.rawValue
        slug = tenant.slug
        name = tenant.name
        environment = tenant.environment.rawValue
        self.issuer = issuer
        settings = tenant.settings
        createdAt = tenant.createdAt
    }
}

struct ClientView: Encodable {
    let clientID: String
    let clientSecret: String?
    let name: String
    let type: String
    let redirectURIs: [String]
    let postLogoutRedirectURIs: [String]
    let grantTypes: [String]
    let firstParty: Bool
    let allowedScopes: String?
    let tokenEndpointAuthMethod: String
    /// The public keys of a `private_key_jwt` client, inline (a JWK Set).
    let jwks: KeySet?
    let jwksURI: String?
    let idTokenSignedResponseAlg: String
    let accessTokenSigningAlg: String
    let previousSecretExpiresAt: Date?
    /// Every authorization acts within an organization (docs/contract.md A8).
    let organizationRequired: Bool
    let requirePushedAuthorizationRequests: Bool
    /// RFC 9449 §5.2.
    let dpopBoundAccessTokens: Bool
    /// Back-Channel Logout 1.0 §2.2.
    let backchannelLogoutURI: String?
    let backchannelLogoutSessionRequired: Bool
    /// The client's own custom claims (docs/contract.md A9), replacing the tenant's of the same name.
    let customClaims: [String: CustomClaim]
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case name, type
        case organizationRequired = "organization_required"
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case dpopBoundAccessTokens = "dpop_bound_access_tokens"
        case backchannelLogoutURI = "backchannel_logout_uri"
        case backchannelLogoutSessionRequired = "backchannel_logout_session_required"
        case customClaims = "custom_claims"
        case idTokenSignedResponseAlg = "id_token_signed_response_alg"
        case accessTokenSigningAlg = "access_token_signing_alg"
        case previousSecretExpiresAt = "previous_secret_expires_at"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case redirectURIs = "redirect_uris"
        case postLogoutRedirectURIs = "post_logout_redirect_uris"
        case grantTypes = "grant_types"
        case firstParty = "first_party"
        case allowedScopes = "allowed_scopes"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case jwks
        case jwksURI = "jwks_uri"
        case createdAt = "created_at"
    }

    struct KeySet: Encodable { let keys: [JWK] }

    /// - Parameter secret: the secret key, included only in the response that created it.
    init(_ client: Client, secret: String? = nil) {
        clientID = client.clientID
        clientSecret = secret
        name = client.name
        type = client.type.rawValue
        redirectURIs = client.redirectURIs
        postLogoutRedirectURIs = client.postLogoutRedirectURIs
        grantTypes = client.grantTypes.map(\.rawValue).sorted()
        firstParty = client.firstParty
        allowedScopes = client.allowedScopes?.description
        tokenEndpointAuthMethod = client.tokenEndpointAuthMethod?.rawValue ?? (client.type == .public ? "none" : "client_secret_basic")
        jwks = client.jwks.map(KeySet.init(keys:))
        jwksURI = client.jwksURI
        idTokenSignedResponseAlg = client.idTokenSigningAlgorithm.rawValue
        accessTokenSigningAlg = client.accessTokenSigningAlgorithm.rawValue
        previousSecretExpiresAt = client.previousSecretExpiresAt
        organizationRequired = client.organizationRequired
        requirePushedAuthorizationRequests = client.requirePushedAuthorizationRequests
        dpopBoundAccessTokens = client.dpopBoundAccessTokens
        backchannelLogoutURI = client.backchannelLogoutURI
        backchannelLogoutSessionRequired = client.backchannelLogoutSessionRequired
        customClaims = client.customClaims
        createdAt = client.createdAt
    }
}

struct UserView: Encodable {
    let id: String
    let email: String
    let emailVerified: Bool
    let name: String?
    let disabled: Bool
    let createdAt: Date
    let publicMetadata: [String: JSONValue]
    /// Admins only (docs/contract.md A9): nil, and left out, in what the user reads.
    let privateMetadata: [String: JSONValue]?
    let phoneNumber: String?
    let phoneNumberVerified: Bool
    let address: PostalAddress?

    enum CodingKeys: String, CodingKey {
        case id, email, name, disabled, address
        case phoneNumber = "phone_number"
        case phoneNumberVerified = "phone_number_verified"
        case emailVerified = "email_verified"
        case createdAt = "created_at"
        case publicMetadata = "public_metadata"
        case privateMetadata = "private_metadata"
    }

    /// - Parameter admin: whether the reader is an admin (the admin API), who also sees
    ///   `private_metadata`; the headless API shows users their own record without it.
    init(_ user: User, admin: Bool = false) {
        id = user.id.rawValue
        email = user.email
        emailVerified = user.emailVerified
        name = user.name
        disabled = user.disabled
        createdAt = user.createdAt
        publicMetadata = user.publicMetadata
        privateMetadata = admin ? user.privateMetadata : nil
        phoneNumber = user.phoneNumber
        phoneNumberVerified = user.phoneNumberVerified
        address = user.address
    }
}

/// A session as the admin API (with the device: user agent and address) and the headless API
/// (without them, `device: false`) show it.
struct SessionView: Encodable {
    let id: String
    let userID: String
    let authTime: Date
    let amr: [String]
    let createdAt: Date
    let expiresAt: Date
    let userAgent: String?
    let ipAddress: String?
    let device: Bool

    enum CodingKeys: String, CodingKey {
        case id, amr
        case userID = "user_id"
        case authTime = "auth_time"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case userAgent = "user_agent"
        case ipAddress = "ip_address"
    }

    init(_ s: Session, device: Bool) {
        id = s.id.rawValue
        userID = s.userID.rawValue
        authTime = s.authTime
        amr = s.amr
        createdAt = s.createdAt
        expiresAt = s.expiresAt
        userAgent = s.userAgent
        ipAddress = s.ipAddress
        self.device = device
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(userID, forKey: .userID)
        try c.encode(authTime, forKey: .authTime)
        try c.encode(amr, forKey: .amr)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        if device {
            try c.encodeIfPresent(userAgent, forKey: .userAgent)
            try c.encodeIfPresent(ipAddress, forKey: .ipAddress)
        }
    }
}
