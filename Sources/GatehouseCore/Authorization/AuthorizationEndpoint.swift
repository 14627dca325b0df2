import Foundation
import GatehouseCrypto

/// The outcome of validating an authorization request.
public enum AuthorizationValidation: Sendable {
    /// The client or redirect URI could not be validated: render an error page, never redirect
    /// (RFC 6749 §4.1.2.1, RFC 9700 §4.1).
    case errorPage(OAuthError)
    /// The redirect URI is trusted; the error goes back to the client (with `state` and `iss`).
    case errorRedirect(OAuthError, AuthorizationResponseTarget)
    /// A request every check accepted.
    case accepted(AuthorizationRequest, Client)
}

/// The authorization endpoint's checks (RFC 6749 §4.1.1, RFC 7636 §4.4, OIDC Core §3.1.2.2).
///
/// Validation runs in two phases. The first identifies the client and the redirect URI; its
/// failures are shown to the user and never redirected. The second runs the named checks in
/// `checks`, each a single rule, whose failures are redirected to the validated redirect URI.
public enum AuthorizationEndpoint {
    /// Parameters whose duplication makes the redirect target itself ambiguous.
    static let targetParameters = ["client_id", "redirect_uri", "response_mode", "state"]

    /// A request under validation.
    public struct Draft: Sendable {
        public let parameters: FormParameters
        public let client: Client
        public let tenant: Tenant
        public var request: AuthorizationRequest
    }

    /// One rule of the authorization endpoint.
    public struct Check: Sendable {
        public let name: String
        public let run: @Sendable (inout Draft) throws(OAuthError) -> Void
    }

    /// Validates the query (or form) parameters of an authorization request.
    /// - Parameters:
    ///   - parameters: the decoded query or form body.
    ///   - tenant: the tenant whose issuer received the request.
    ///   - findClient: looks a `client_id` up in this tenant only.
    public static func validate(
        _ parameters: FormParameters,
        tenant: Tenant,
        findClient: (String) async throws -> Client?
    ) async throws -> AuthorizationValidation {
        // Phase 1: client and redirect URI. Nothing is redirected until both are known.
        for name in targetParameters where parameters.duplicatedNames.contains(name) {
            return .errorPage(.invalidRequest("parameter '\(name)' is included more than once").notRedirectable)
        }
        guard let clientID = parameters["client_id"] else {
            return .errorPage(.invalidRequest("client_id is missing").notRedirectable)
        }
        guard clientID.count <= 128, let client = try await findClient(clientID) else {
            return .errorPage(.invalidClient("unknown client_id").notRedirectable)
        }
        let redirectURI: String
        let sent: Bool
        if let requested = parameters["redirect_uri"] {
            guard
                RedirectURI.matches(
                    requested, registered: client.redirectURIs,
                    allowLoopbackPortVariation: client.type == .public)
            else {
                return .errorPage(.invalidRequest("redirect_uri is not registered for this client").notRedirectable)
            }
            redirectURI = requested
            sent = true
        } else if client.redirectURIs.count == 1 {
            // RFC 6749 §3.1.2.3: optional when exactly one is registered (not for OpenID requests, below).
            redirectURI = client.redirectURIs[0]
            sent = false
        } else {
            return .errorPage(.invalidRequest("redirect_uri is missing").notRedirectable)
        }
        let mode = parameters["response_mode"].flatMap(ResponseMode.init(rawValue:)) ?? .query
        let state = parameters["state"]
        let target = AuthorizationResponseTarget(redirectURI: redirectURI, responseMode: mode, state: state)

        // Phase 2: the named checks; failures go back to the client.
        var draft = Draft(
            parameters: parameters, client: client, tenant: tenant,
            request: AuthorizationRequest(
                clientID: clientID, redirectURI: redirectURI, redirectURIWasSent: sent,
                responseMode: mode, scope: [], state: state, nonce: nil, codeChallenge: nil,
                prompt: [], maxAge: nil, loginHint: nil))
        for check in checks {
            do {
                try check.run(&draft)
            } catch {
                return .errorRedirect(error, target)
            }
        }
        return .accepted(draft.request, client)
    }

    /// The checks, in order.
    public static let checks: [Check] = [
        Check(name: "no duplicate parameters (RFC 6749 §3.1)") { draft throws(OAuthError) in
            if let name = draft.parameters.duplicatedNames.first {
                throw .invalidRequest("parameter '\(name)' is included more than once")
            }
        },
        Check(name: "request objects are resolved first; request_uri only of pushed requests (RFC 9101 §5)") { draft throws(OAuthError) in
            // `RequestObject.resolve` replaced a `request` by its parameters before validation;
            // request objects by reference (RFC 9101 §5.2) are not fetched.
            if draft.parameters["request"] != nil { throw .invalidRequest("request must be resolved before validation") }
            if draft.parameters["request_uri"] != nil {
                throw OAuthError(.requestURINotSupported, "request_uri is only accepted for pushed authorization requests")
            }
        },
        Check(name: "response_mode is query or form_post") { draft throws(OAuthError) in
            if let mode = draft.parameters["response_mode"], ResponseMode(rawValue: mode) == nil {
                throw .invalidRequest("response_mode '\(mode)' is not supported")
            }
        },
        Check(name: "response_type is code (RFC 6749 §3.1.1)") { draft throws(OAuthError) in
            guard let type = draft.parameters["response_type"] else { throw .invalidRequest("response_type is missing") }
            guard type == "code" else { throw .unsupportedResponseType("only response_type=code is supported") }
        },
        Check(name: "client may use the authorization code grant") { draft throws(OAuthError) in
            guard draft.client.grantTypes.contains(.authorizationCode) else {
                throw .unauthorizedClient("client is not allowed to use the authorization code grant")
            }
        },
        Check(name: "scope is known and permitted (RFC 6749 §3.3; OIDC Core §3.1.2.1)") { draft throws(OAuthError) in
            draft.request.scope = try AuthorizationEndpoint.permittedScope(draft.parameters["scope"], client: draft.client)
        },
        Check(name: "OpenID requests send redirect_uri (OIDC Core §3.1.2.1)") { draft throws(OAuthError) in
            if draft.request.scope.contains(StandardScope.openid), !draft.request.redirectURIWasSent {
                throw .invalidRequest("redirect_uri is required for OpenID Connect requests")
            }
        },
        Check(name: "PKCE method is S256 (RFC 7636 §4.3, RFC 9700 §2.1.1)") { draft throws(OAuthError) in
            let method = draft.parameters["code_challenge_method"]
            guard let challenge = draft.parameters["code_challenge"] else {
                if method != nil { throw .invalidRequest("code_challenge_method without code_challenge") }
                return
            }
            // RFC 7636 §4.3: an absent method means "plain", which this server does not support.
            guard method == "S256" else { throw .invalidRequest("code_challenge_method must be S256") }
            guard PKCE.isWellFormed(challenge) else { throw .invalidRequest("code_challenge is malformed") }
            draft.request.codeChallenge = challenge
        },
        Check(name: "public clients use PKCE (RFC 9700 §2.1.1)") { draft throws(OAuthError) in
            if draft.client.type == .public, draft.request.codeChallenge == nil {
                throw .invalidRequest("code_challenge is required for public clients")
            }
        },
        Check(name: "prompt values are known and none stands alone (OIDC Core §3.1.2.1)") { draft throws(OAuthError) in
            guard let raw = draft.parameters["prompt"] else { return }
            var prompts = Set<Prompt>()
            for token in raw.split(separator: " ") {
                guard let p = Prompt(rawValue: String(token)) else { throw .invalidRequest("prompt '\(token)' is not supported") }
                prompts.insert(p)
            }
            if prompts.contains(.none), prompts.count > 1 { throw .invalidRequest("prompt=none cannot be combined") }
            draft.request.prompt = prompts
        },
        Check(name: "max_age is a non-negative integer") { draft throws(OAuthError) in
            guard let raw = draft.parameters["max_age"] else { return }
            guard let value = Int(raw), value >= 0 else { throw .invalidRequest("max_age must be a non-negative integer") }
            draft.request.maxAge = value
        },
        Check(name: "parameter lengths are bounded") { draft throws(OAuthError) in
            for (name, limit) in [("state", 2048), ("nonce", 512), ("login_hint", 320)] {
                if let v = draft.parameters[name], v.utf8.count > limit { throw .invalidRequest("\(name) is too long") }
            }
            draft.request.nonce = draft.parameters["nonce"]
            draft.request.loginHint = draft.parameters["login_hint"]
        },
        Check(name: "acr_values is a list of space-separated values (OIDC Core §3.1.2.1)") { draft throws(OAuthError) in
            guard let raw = draft.parameters["acr_values"] else { return }
            guard raw.utf8.count <= 1024 else { throw .invalidRequest("acr_values is too long") }
            let values = raw.split(separator: " ").map(String.init)
            guard !values.isEmpty else { throw .invalidRequest("acr_values is empty") }
            draft.request.acrValues = values
        },
        Check(name: "claims is a claims request object (OIDC Core §5.5)") { draft throws(OAuthError) in
            guard let raw = draft.parameters["claims"] else { return }
            do { draft.request.claims = try ClaimsRequest(parsing: raw) } catch let error as ClaimsRequest.Malformed {
                throw .invalidRequest(error.reason)
            } catch { throw .invalidRequest("claims is malformed") }
        },
        Check(name: "dpop_jkt is a SHA-256 JWK thumbprint (RFC 9449 §10)") { draft throws(OAuthError) in
            guard let jkt = draft.parameters["dpop_jkt"] else { return }
            guard DPoP.isThumbprint(jkt) else {
                throw .invalidRequest("dpop_jkt must be the base64url SHA-256 JWK thumbprint of the DPoP key")
            }
            draft.request.dpopJKT = jkt
        },
        Check(name: "resource values are the tenant's resource indicators (RFC 8707 §2)") { draft throws(OAuthError) in
            let named = draft.parameters.values("resource")
            guard !named.isEmpty else { return }
            draft.request.resources = try ResourceIndicator.known(named, tenant: draft.tenant)
        },
        Check(name: "idp_hint names a provider slug (federation)") { draft throws(OAuthError) in
            guard let hint = draft.parameters["idp_hint"] else { return }
            guard UpstreamProvider.isValidSlug(hint) else { throw .invalidRequest("idp_hint must be a provider slug (a-z, 0-9, '-')") }
            draft.request.idpHint = hint
        },
        Check(name: "organization names an organization within an organization request (docs/contract.md A8)") {
            draft throws(OAuthError) in
            guard let named = draft.parameters["organization"] else { return }
            guard OrganizationRequest.isWellFormedName(named) else {
                throw .invalidRequest("organization must be an organization id (org_…) or slug")
            }
            // The parameter names the organization of an organization request; it does not make one.
            guard draft.request.scope.contains(StandardScope.organization) || draft.client.organizationRequired else {
                throw .invalidRequest("organization is only accepted with the organization scope")
            }
            draft.request.organization = named
        },
    ]

    /// The scope a user's authorization of `client` asks for (RFC 6749 §3.3; OIDC Core §3.1.2.1),
    /// checked as at the authorization endpoint; the device authorization endpoint (RFC 8628 §3.1)
    /// shares it.
    /// - Parameter raw: the `scope` parameter; nil is the empty scope.
    /// - Throws: `invalid_scope` for a malformed value, a value the client may not ask for, or an admin scope.
    public static func permittedScope(_ raw: String?, client: Client) throws(OAuthError) -> ScopeSet {
        var scope: ScopeSet
        do { scope = try ScopeSet(parsing: raw ?? "") } catch {
            throw .invalidScope("scope is malformed")
        }
        // OIDC Core §3.1.2.1: scope values an OpenID request uses that the server does not
        // understand SHOULD be ignored. A value the server defines (a standard or admin scope)
        // that the client may not ask for is still refused.
        if scope.contains(StandardScope.openid) {
            let understood = client.requestableScopes.values.union(StandardScope.supported.values)
            scope = ScopeSet(scope.values.filter { understood.contains($0) || AdminScope.isAdmin($0) })
        }
        let unknown = scope.values.subtracting(client.requestableScopes.values)
        if !unknown.isEmpty { throw .invalidScope("scope not permitted: \(unknown.sorted().joined(separator: " "))") }
        // Admin scopes belong to the client credentials grant only, never to a user's authorization.
        if scope.values.contains(where: AdminScope.isAdmin) { throw .invalidScope("admin scopes cannot be requested by users") }
        return scope
    }
}
