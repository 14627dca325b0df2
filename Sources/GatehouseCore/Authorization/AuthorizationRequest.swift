import Foundation

/// How the authorization response is returned (OAuth 2.0 Multiple Response Type Encoding Practices §2.1,
/// OAuth 2.0 Form Post Response Mode §2).
public enum ResponseMode: String, Codable, Sendable, CaseIterable {
    case query
    case formPost = "form_post"
}

/// OIDC Core §3.1.2.1 `prompt` values.
public enum Prompt: String, Codable, Sendable, CaseIterable {
    case none, login, consent
    case selectAccount = "select_account"
}

/// A validated authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1).
///
/// Values of this type exist only after `AuthorizationEndpoint.validate` accepted the request,
/// so the client and redirect URI are known to be registered.
public struct AuthorizationRequest: Codable, Sendable, Equatable {
    public var clientID: String
    /// The redirect URI to answer to: the request's `redirect_uri`, or the client's only registered one.
    public var redirectURI: String
    /// Whether `redirect_uri` was present in the request (RFC 6749 §4.1.3 binds it at the token endpoint).
    public var redirectURIWasSent: Bool
    public var responseMode: ResponseMode
    public var scope: ScopeSet
    public var state: String?
    public var nonce: String?
    /// RFC 7636 `code_challenge` (method S256), nil when absent.
    public var codeChallenge: String?
    public var prompt: Set<Prompt>
    /// OIDC `max_age` in seconds.
    public var maxAge: Int?
    public var loginHint: String?
    /// `idp_hint`: the slug of an upstream login provider of the tenant to go to at once, skipping
    /// the choice on the login page. Unknown or disabled providers are ignored.
    public var idpHint: String?
    /// The `sub` of a verified `id_token_hint` (OIDC Core §3.1.2.1): the user the client expects
    /// to be signed in; nil without a hint.
    public var idTokenHintSubject: String?
    /// The `organization` parameter (docs/contract.md A8): the id (`org_…`) or slug of the
    /// organization to act within, in a request for an organization context.
    public var organization: String?
    /// `acr_values` (OIDC Core §3.1.2.1), in order of preference; nil when absent
    /// (``AuthenticationContext``).
    public var acrValues: [String]?
    /// The `claims` parameter (OIDC Core §5.5), nil when absent.
    public var claims: ClaimsRequest?
    /// `dpop_jkt` (RFC 9449 §10): the JWK thumbprint of the DPoP key the code is bound to; the
    /// code is redeemed only with a proof of that key. Nil when absent.
    public var dpopJKT: String?
    /// RFC 8707 §2: the resource indicators the request named (nil: none), recorded with the grant.
    public var resources: [String]?

    /// Whether the request asks for a second factor: `acr_values`
    /// (``AuthenticationContext/demandsSecondFactor(_:)``) or an essential `acr` claim
    /// (``ClaimsRequest/demandsSecondFactor``).
    public var demandsSecondFactor: Bool {
        AuthenticationContext.demandsSecondFactor(acrValues ?? []) || claims?.demandsSecondFactor == true
    }

    public init(
        clientID: String, redirectURI: String, redirectURIWasSent: Bool, responseMode: ResponseMode, scope: ScopeSet,
        state: String?, nonce: String?, codeChallenge: String?, prompt: Set<Prompt>, maxAge: Int?, loginHint: String?,
        idpHint: String? = nil
    ) {
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.redirectURIWasSent = redirectURIWasSent
        self.responseMode = responseMode
        self.scope = scope
        self.state = state
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.prompt = prompt
        self.maxAge = maxAge
        self.loginHint = loginHint
        self.idpHint = idpHint
    }

    /// `prompt=login`, or `max_age=0` (which behaves like `prompt=login`, OIDC Core §3.1.2.1).
    public var demandsFreshLogin: Bool { prompt.contains(.login) || maxAge == 0 }

    /// What this request asks about organizations, for `client` (docs/contract.md A8).
    public func organizationRequest(client: Client) -> OrganizationRequest {
        OrganizationRequest(scope: scope, client: client, named: organization)
    }
}

/// Where to send the authorization response: the validated redirect URI plus the mode and `state`.
/// Exists once the client and redirect URI are validated, so errors may be redirected (RFC 6749 §4.1.2.1).
public struct AuthorizationResponseTarget: Sendable, Equatable {
    public var redirectURI: String
    public var responseMode: ResponseMode
    public var state: String?

    public init(redirectURI: String, responseMode: ResponseMode, state: String?) {
        self.redirectURI = redirectURI
        self.responseMode = responseMode
        self.state = state
    }

    /// The response parameters for a successful authorization: `code`, `state`, `iss` (RFC 9207 §2).
    public func success(code: String, issuer: String) -> [(String, String)] {
        var params = [("code", code)]
        if let state { params.append(("state", state)) }
        params.append(("iss", issuer))
        return params
    }

    /// The response parameters for an error: `error`, `error_description`, `state`, `iss`
    /// (RFC 6749 §4.1.2.1, RFC 9207 §2).
    public func failure(_ error: OAuthError, issuer: String) -> [(String, String)] {
        var params = [("error", error.code.rawValue), ("error_description", error.description)]
        if let state { params.append(("state", state)) }
        params.append(("iss", issuer))
        return params
    }

    /// `redirectURI` with `params` appended to its query component (RFC 6749 §4.1.2: retain the
    /// existing query).
    public func queryRedirect(_ params: [(String, String)]) -> String {
        let separator = redirectURI.contains("?") ? "&" : "?"
        return redirectURI + separator + FormParameters.encode(params)
    }
}
