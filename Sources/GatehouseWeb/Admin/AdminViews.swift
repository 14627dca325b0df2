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
    let idTokenSignedResponseAlg: String
    let accessTokenSigningAlg: String
    let previousSecretExpiresAt: Date?
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case name, type
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
        case createdAt = "created_at"
    }

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
        tokenEndpointAuthMethod = client.type == .public ? "none" : "client_secret_basic"
        idTokenSignedResponseAlg = client.idTokenSigningAlgorithm.rawValue
        accessTokenSigningAlg = client.accessTokenSigningAlgorithm.rawValue
        previousSecretExpiresAt = client.previousSecretExpiresAt
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

    enum CodingKeys: String, CodingKey {
        case id, email, name, disabled
        case emailVerified = "email_verified"
        case createdAt = "created_at"
    }

    init(_ user: User) {
        id = user.id.rawValue
        email = user.email
        emailVerified = user.emailVerified
        name = user.name
        disabled = user.disabled
        createdAt = user.createdAt
    }
}
