import OpenAPIRuntime

/// Request bodies that the generated client sends in place of the generated ones (the
/// `typeOverrides` of scripts/openapi-generator/openapi-generator-config.yaml).
///
/// docs/openapi.json lists the allowed values of `environment`, `type`, `mfa_policy`, the algorithms
/// and the grant types as `enum`s, which the generator turns into closed Swift enums: a value outside
/// them could not even be sent. The CLI passes what the admin typed through to the server, whose
/// request validation reports every invalid field at once (RFC 9457 problem details with `errors`),
/// so these fields stay strings here. Each type encodes to the JSON object of the schema it replaces;
/// absent optionals are left out (no `null`s).

/// `TenantCreate` (`POST /admin/v1/tenants`).
package struct OpenTenantCreate: Codable, Hashable, Sendable {
    /// 2–63 characters of `a-z`, `0-9` and `-`.
    package var slug: String
    package var name: String
    /// `live`, `test` or `dev`.
    package var environment: String

    package init(slug: String, name: String, environment: String) {
        self.slug = slug
        self.name = name
        self.environment = environment
    }
}

/// `TenantSettingsInput`: the settings the CLI changes (`PATCH /admin/v1/tenants/{slug}`). Lifetimes
/// are in seconds.
package struct OpenTenantSettingsInput: Codable, Hashable, Sendable {
    /// `none`, `optional` or `required`.
    package var mfaPolicy: String?
    /// Second factors users may enrol: `totp`, `email`, `webauthn` (passkeys).
    package var mfaFactors: [String]?
    /// Passkey attestation: `none` or `packed` (W3C WebAuthn §8.2).
    package var passkeyAttestation: String?
    /// AAGUIDs accepted under `packed` attestation (lowercase UUIDs).
    package var passkeyAaguids: [String]?
    /// PEM root certificates trusted for `packed` attestation.
    package var passkeyAttestationRoots: [String]?
    package var accessTokenTtl: Int?
    package var idTokenTtl: Int?
    package var refreshTokenTtl: Int?
    package var sessionTtl: Int?
    package var authorizationCodeTtl: Int?
    /// Device code lifetime in seconds (RFC 8628 §3.2 `expires_in`).
    package var deviceCodeTtl: Int?
    /// Whether DPoP proofs must carry the server's nonce (RFC 9449 §8).
    package var dpopNonceRequired: Bool?
    /// Dynamic client registration (RFC 7591): `off`, `token` or `open`.
    package var dynamicClientRegistration: String?
    /// Resource indicators (RFC 8707): absolute URIs of the tenant's APIs.
    package var resources: [String]?
    package var allowedOrigins: [String]?
    /// JWS algorithms: `EdDSA`, `ES256`, `RS256`.
    package var signingAlgorithms: [String]?
    /// Custom claims by name (docs/contract.md A9), replacing the tenant's whole.
    package var customClaims: OpenAPIObjectContainer?
    /// `client_secret_basic`, `client_secret_post`, `client_secret_jwt`, `private_key_jwt` or `none`.
    package var tokenEndpointAuthMethod: String?
    /// The public keys of a `private_key_jwt` client: a JWK Set `{"keys": [...]}`.
    package var jwks: OpenAPIObjectContainer?
    /// Where a `private_key_jwt` client publishes its public keys (https).
    package var jwksUri: String?

    package init() {}

    /// True when no field is set.
    package var isEmpty: Bool { self == OpenTenantSettingsInput() }

    enum CodingKeys: String, CodingKey {
        case mfaPolicy = "mfa_policy", mfaFactors = "mfa_factors", accessTokenTtl = "access_token_ttl", idTokenTtl = "id_token_ttl"
        case refreshTokenTtl = "refresh_token_ttl", sessionTtl = "session_ttl"
        case authorizationCodeTtl = "authorization_code_ttl", allowedOrigins = "allowed_origins"
        case deviceCodeTtl = "device_code_ttl", dpopNonceRequired = "dpop_nonce_required"
        case dynamicClientRegistration = "dynamic_client_registration", resources
        case signingAlgorithms = "signing_algorithms", customClaims = "custom_claims"
        case passkeyAttestation = "passkey_attestation", passkeyAaguids = "passkey_aaguids"
        case passkeyAttestationRoots = "passkey_attestation_roots"
    }
}

/// The fields shared by `ClientCreate` and `ClientUpdate`; nil fields are left out.
package struct OpenClientFields: Codable, Hashable, Sendable {
    package var name: String?
    /// `public` or `confidential` (create only).
    package var type: String?
    package var redirectUris: [String]?
    package var postLogoutRedirectUris: [String]?
    /// `authorization_code`, `refresh_token`, `client_credentials`.
    package var grantTypes: [String]?
    package var firstParty: Bool?
    /// Every authorization acts within an organization.
    package var organizationRequired: Bool?
    /// Space-separated scopes.
    package var allowedScopes: String?
    /// JWS algorithms: `EdDSA`, `ES256`, `RS256`.
    package var idTokenSignedResponseAlg: String?
    package var accessTokenSigningAlg: String?
    /// The client's custom claims (docs/contract.md A9), replacing its previous ones whole.
    package var customClaims: OpenAPIObjectContainer?
    /// `client_secret_basic`, `client_secret_post`, `client_secret_jwt`, `private_key_jwt` or `none`.
    package var tokenEndpointAuthMethod: String?
    /// The public keys of a `private_key_jwt` client: a JWK Set `{"keys": [...]}`.
    package var jwks: OpenAPIObjectContainer?
    /// Where a `private_key_jwt` client publishes its public keys (https).
    package var jwksUri: String?
    /// Where logout tokens are POSTed (OpenID Connect Back-Channel Logout 1.0 §2.2).
    package var backchannelLogoutUri: String?
    /// Whether the client needs `sid` in logout tokens (§2.2).
    package var backchannelLogoutSessionRequired: Bool?
    /// Whether the client must send a DPoP proof with every token request (RFC 9449 §5.2).
    package var dpopBoundAccessTokens: Bool?

    package init() {}

    /// True when no field is set.
    package var isEmpty: Bool { self == OpenClientFields() }

    enum CodingKeys: String, CodingKey {
        case name, type, redirectUris = "redirect_uris", postLogoutRedirectUris = "post_logout_redirect_uris"
        case grantTypes = "grant_types", firstParty = "first_party", allowedScopes = "allowed_scopes"
        case organizationRequired = "organization_required", customClaims = "custom_claims"
        case idTokenSignedResponseAlg = "id_token_signed_response_alg", accessTokenSigningAlg = "access_token_signing_alg"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method", jwks, jwksUri = "jwks_uri"
        case backchannelLogoutUri = "backchannel_logout_uri", backchannelLogoutSessionRequired = "backchannel_logout_session_required"
        case dpopBoundAccessTokens = "dpop_bound_access_tokens"
    }
}

/// `KeyRotation` (`POST /admin/v1/tenants/{slug}/keys/rotate`).
package struct OpenKeyRotation: Codable, Hashable, Sendable {
    /// JWS algorithms to rotate: `EdDSA`, `ES256`, `RS256`.
    package var algorithms: [String]

    package init(algorithms: [String]) { self.algorithms = algorithms }
}

/// `ProviderCreate` and `ProviderUpdate` (`POST`/`PATCH /admin/v1/tenants/{slug}/providers…`);
/// nil fields are left out, an empty string removes an optional string (update).
package struct OpenProviderFields: Codable, Hashable, Sendable {
    /// `oidc`, `oauth2`, `github`, `google` or `microsoft` (create only).
    package var kind: String?
    package var name: String?
    package var slug: String?
    package var enabled: Bool?
    package var clientId: String?
    package var clientSecret: String?
    package var discoveryUrl: String?
    package var microsoftTenant: String?
    package var issuer: String?
    package var authorizationUrl: String?
    package var tokenUrl: String?
    package var userinfoUrl: String?
    package var scopes: [String]?
    package var claimMapping: Components.Schemas.ClaimMapping?
    package var trustUpstreamMfa: Bool?
    package var allowSignup: Bool?

    package init() {}

    /// True when no field is set.
    package var isEmpty: Bool { self == OpenProviderFields() }

    enum CodingKeys: String, CodingKey {
        case kind, name, slug, enabled, clientId = "client_id", clientSecret = "client_secret"
        case discoveryUrl = "discovery_url", microsoftTenant = "microsoft_tenant", issuer
        case authorizationUrl = "authorization_url", tokenUrl = "token_url", userinfoUrl = "userinfo_url", scopes
        case claimMapping = "claim_mapping", trustUpstreamMfa = "trust_upstream_mfa", allowSignup = "allow_signup"
    }
}

/// `WebhookCreate` and `WebhookUpdate` (`POST`/`PATCH /admin/v1/tenants/{slug}/webhooks…`): event
/// types as open strings, so that the server names an unknown one; nil fields are left out.
package struct OpenWebhookFields: Codable, Hashable, Sendable {
    package var url: String?
    package var events: [String]?
    package var enabled: Bool?
    package var description: String?

    package init() {}

    /// True when no field is set.
    package var isEmpty: Bool { self == OpenWebhookFields() }
}
