import Foundation

/// A validated RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0 §2–§3).
public struct LogoutRequest: Sendable {
    /// The client named by `client_id` or by the hint's `aud`.
    public var client: Client?
    /// The verified `id_token_hint` claims (possibly expired).
    public var hint: IDTokenClaims?
    /// Validated `post_logout_redirect_uri`, exactly one of the client's registered ones.
    public var postLogoutRedirectURI: String?
    public var state: String?

    /// Where to send the browser after logout: the redirect URI with `state`, if any.
    public var redirectTarget: String? {
        guard let uri = postLogoutRedirectURI else { return nil }
        guard let state else { return uri }
        return uri + (uri.contains("?") ? "&" : "?") + FormParameters.encode([("state", state)])
    }
}

/// The end-session endpoint's checks.
public enum LogoutEndpoint {
    /// Validates the parameters of an RP-initiated logout request.
    ///
    /// - `id_token_hint` must be an ID token this issuer signed; it is accepted even when expired
    ///   (§2: "The OP need not be the audience ... an expired ID Token" is acceptable as a hint).
    /// - `client_id`, when sent with a hint, must equal the hint's `aud` (§2).
    /// - `post_logout_redirect_uri` requires a known client and must match one of its registered
    ///   `post_logout_redirect_uris` exactly (§3); otherwise nothing is redirected.
    /// - Throws: `invalid_request` (rendered as an error page, never redirected).
    public static func validate(
        _ parameters: FormParameters, tokens: TokenService,
        findClient: (String) async throws -> Client?
    ) async throws -> LogoutRequest {
        try parameters.rejectDuplicates()
        var request = LogoutRequest(client: nil, hint: nil, postLogoutRedirectURI: nil, state: parameters["state"])
        if let raw = parameters["id_token_hint"] {
            guard let claims = tokens.readIDTokenHint(raw) else {
                throw OAuthError.invalidRequest("id_token_hint is not an ID token of this issuer")
            }
            request.hint = claims
        }
        let clientID = parameters["client_id"] ?? request.hint?.aud
        if let hint = request.hint, let sent = parameters["client_id"], sent != hint.aud {
            throw OAuthError.invalidRequest("client_id does not match the id_token_hint audience")
        }
        if let clientID {
            guard let client = try await findClient(clientID) else { throw OAuthError.invalidRequest("unknown client_id") }
            request.client = client
        }
        if let uri = parameters["post_logout_redirect_uri"] {
            guard let client = request.client else {
                throw OAuthError.invalidRequest("post_logout_redirect_uri needs id_token_hint or client_id")
            }
            guard client.postLogoutRedirectURIs.contains(uri) else {
                throw OAuthError.invalidRequest("post_logout_redirect_uri is not registered for this client")
            }
            request.postLogoutRedirectURI = uri
        }
        if let state = request.state, state.utf8.count > 2048 { throw OAuthError.invalidRequest("state is too long") }
        return request
    }
}
