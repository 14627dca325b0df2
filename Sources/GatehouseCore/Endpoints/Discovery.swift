/// OpenID Provider Metadata (OIDC Discovery 1.0 §3) and Authorization Server Metadata (RFC 8414 §2).
///
/// Every REQUIRED field and each RECOMMENDED or OPTIONAL field this provider supports.
public struct ProviderMetadata: Codable, Sendable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var userinfoEndpoint: String
    public var jwksURI: String
    public var revocationEndpoint: String
    public var introspectionEndpoint: String
    public var endSessionEndpoint: String
    /// RFC 9126 §5.
    public var pushedAuthorizationRequestEndpoint: String
    /// RFC 9126 §5: whether every authorization request must be pushed.
    public var requirePushedAuthorizationRequests: Bool
    /// RFC 8628 §4; nil (left out) where the device grant is not offered.
    public var deviceAuthorizationEndpoint: String?
    /// RFC 8414 §2 / OIDC Discovery §3: nil (left out) where the tenant's dynamic client
    /// registration is `off`.
    public var registrationEndpoint: String?
    public var scopesSupported: [String]
    public var responseTypesSupported: [String]
    public var responseModesSupported: [String]
    public var grantTypesSupported: [String]
    public var subjectTypesSupported: [String]
    public var idTokenSigningAlgValuesSupported: [String]
    public var tokenEndpointAuthMethodsSupported: [String]
    /// RFC 8414 §2: the JWS algorithms of `private_key_jwt` and `client_secret_jwt` assertions.
    public var tokenEndpointAuthSigningAlgValuesSupported: [String]
    public var revocationEndpointAuthSigningAlgValuesSupported: [String]
    public var introspectionEndpointAuthSigningAlgValuesSupported: [String]
    public var revocationEndpointAuthMethodsSupported: [String]
    public var introspectionEndpointAuthMethodsSupported: [String]
    public var codeChallengeMethodsSupported: [String]
    public var claimsSupported: [String]
    /// OIDC Discovery §3 `acr_values_supported` (``AuthenticationContext``).
    public var acrValuesSupported: [String]
    public var claimTypesSupported: [String]
    public var promptValuesSupported: [String]
    public var authorizationResponseIssParameterSupported: Bool
    public var claimsParameterSupported: Bool
    public var requestParameterSupported: Bool
    public var requestURIParameterSupported: Bool
    /// OIDC Discovery §3: the algorithms of request objects (RFC 9101; ``RequestObject``).
    public var requestObjectSigningAlgValuesSupported: [String]
    public var frontchannelLogoutSupported: Bool
    /// OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens are POSTed to clients'
    /// `backchannel_logout_uri`, always with `sid`.
    public var backchannelLogoutSupported: Bool
    public var backchannelLogoutSessionSupported: Bool
    /// RFC 9449 §5.1: the JWS algorithms of DPoP proofs accepted (``DPoP/algorithms``).
    public var dpopSigningAlgValuesSupported: [String]

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case userinfoEndpoint = "userinfo_endpoint"
        case jwksURI = "jwks_uri"
        case revocationEndpoint = "revocation_endpoint"
        case introspectionEndpoint = "introspection_endpoint"
        case endSessionEndpoint = "end_session_endpoint"
        case pushedAuthorizationRequestEndpoint = "pushed_authorization_request_endpoint"
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case deviceAuthorizationEndpoint = "device_authorization_endpoint"
        case registrationEndpoint = "registration_endpoint"
        case scopesSupported = "scopes_supported"
        case responseTypesSupported = "response_types_supported"
        case responseModesSupported = "response_modes_supported"
        case grantTypesSupported = "grant_types_supported"
        case subjectTypesSupported = "subject_types_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case tokenEndpointAuthSigningAlgValuesSupported = "token_endpoint_auth_signing_alg_values_supported"
        case revocationEndpointAuthSigningAlgValuesSupported = "revocation_endpoint_auth_signing_alg_values_supported"
        case introspectionEndpointAuthSigningAlgValuesSupported = "introspection_endpoint_auth_signing_alg_values_supported"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case claimsSupported = "claims_supported"
        case acrValuesSupported = "acr_values_supported"
        case claimTypesSupported = "claim_types_supported"
        case promptValuesSupported = "prompt_values_supported"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
        case claimsParameterSupported = "claims_parameter_supported"
        case requestParameterSupported = "request_parameter_supported"
        case requestURIParameterSupported = "request_uri_parameter_supported"
        case requestObjectSigningAlgValuesSupported = "request_object_signing_alg_values_supported"
        case frontchannelLogoutSupported = "frontchannel_logout_supported"
        case backchannelLogoutSupported = "backchannel_logout_supported"
        case backchannelLogoutSessionSupported = "backchannel_logout_session_supported"
        case dpopSigningAlgValuesSupported = "dpop_signing_alg_values_supported"
    }

    /// The endpoint paths under the issuer.
    public enum Path {
        public static let authorization = "/authorize"
        public static let token = "/token"
        public static let userinfo = "/userinfo"
        public static let jwks = "/jwks.json"
        public static let revocation = "/revoke"
        public static let introspection = "/introspect"
        public static let endSession = "/logout"
        /// The pushed authorization request endpoint (RFC 9126 §2).
        public static let pushedAuthorization = "/par"
        /// The device authorization endpoint (RFC 8628 §3.1).
        public static let deviceAuthorization = "/device_authorization"
        /// The client registration endpoint (RFC 7591 §3); a client's configuration endpoint
        /// (RFC 7592 §2) is this path followed by `/{client_id}`.
        public static let registration = "/register"
        /// The device verification page (RFC 8628 §3.3): `verification_uri`.
        public static let deviceVerification = "/device"
        public static let login = "/login"
        public static let consent = "/consent"
        /// The organization picker (docs/contract.md A8).
        public static let organization = "/organization"
        public static let account = "/account"
    }

    /// The metadata of the issuer `issuer` signing ID tokens with `signingAlgorithms`.
    /// - Parameter deviceAuthorization: whether the device authorization grant (RFC 8628) is
    ///   offered (a server with device storage): `device_authorization_endpoint` and its grant type.
    public init(issuer: String, signingAlgorithms: [String], deviceAuthorization: Bool = false) {
        self.issuer = issuer
        authorizationEndpoint = issuer + Path.authorization
        tokenEndpoint = issuer + Path.token
        userinfoEndpoint = issuer + Path.userinfo
        jwksURI = issuer + Path.jwks
        revocationEndpoint = issuer + Path.revocation
        introspectionEndpoint = issuer + Path.introspection
        endSessionEndpoint = issuer + Path.endSession
        pushedAuthorizationRequestEndpoint = issuer + Path.pushedAuthorization
        requirePushedAuthorizationRequests = false
        deviceAuthorizationEndpoint = deviceAuthorization ? issuer + Path.deviceAuthorization : nil
        scopesSupported = StandardScope.supported.values.sorted()
        responseTypesSupported = ["code"]
        responseModesSupported = ResponseMode.allCases.map(\.rawValue)
        grantTypesSupported = GrantType.allCases.filter { deviceAuthorization || $0 != .deviceCode }.map(\.rawValue)
        subjectTypesSupported = ["public"]
        idTokenSigningAlgValuesSupported = signingAlgorithms
        let methods = ClientAuthenticationMethod.allCases.map(\.rawValue)
        tokenEndpointAuthMethodsSupported = methods
        revocationEndpointAuthMethodsSupported = methods
        introspectionEndpointAuthMethodsSupported = methods
        let assertionAlgorithms = ClientAssertion.publicKeyAlgorithms + [ClientAssertion.secretAlgorithm]
        tokenEndpointAuthSigningAlgValuesSupported = assertionAlgorithms
        revocationEndpointAuthSigningAlgValuesSupported = assertionAlgorithms
        introspectionEndpointAuthSigningAlgValuesSupported = assertionAlgorithms
        codeChallengeMethodsSupported = ["S256"]
        claimsSupported = [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "azp", "amr", "acr",
            "email", "email_verified", "name", "phone_number", "phone_number_verified", "address", "org_id", "org_role", "org_permissions",
        ]
        acrValuesSupported = AuthenticationContext.supported
        claimTypesSupported = ["normal"]
        promptValuesSupported = Prompt.allCases.map(\.rawValue)
        authorizationResponseIssParameterSupported = true
        claimsParameterSupported = true
        // RFC 9101 §5.1: request objects by value; by reference (§5.2) only as RFC 9126's pushed requests.
        requestParameterSupported = true
        requestURIParameterSupported = false
        requestObjectSigningAlgValuesSupported = RequestObject.algorithms
        frontchannelLogoutSupported = false
        backchannelLogoutSupported = true
        backchannelLogoutSessionSupported = true
        dpopSigningAlgValuesSupported = DPoP.algorithms
    }
}
