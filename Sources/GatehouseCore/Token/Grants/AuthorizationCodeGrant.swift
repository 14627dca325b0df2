import Foundation

/// The authorization code grant's token request (RFC 6749 §4.1.3, RFC 7636 §4.5–4.6).
public enum AuthorizationCodeGrant: GrantHandler {
    public static let grantType = GrantType.authorizationCode
    public static let parameters: Set<String> = ["code", "redirect_uri", "code_verifier", "resource"]

    /// Redeems an authorization code.
    ///
    /// - The code is consumed atomically; a second use revokes the grant and everything issued
    ///   from it (RFC 6749 §4.1.2: "If an authorization code is used more than once, the
    ///   authorization server MUST deny the request and SHOULD revoke (when possible) all tokens
    ///   previously issued based on that authorization code").
    /// - It must have been issued to this client and not be expired.
    /// - `redirect_uri` must be identical when the authorization request included it (§4.1.3).
    /// - PKCE (RFC 7636 §4.6): the verifier must match the challenge; a verifier for a code issued
    ///   without a challenge is refused (PKCE downgrade, RFC 9700 §2.1.1).
    public static func handle(_ parameters: FormParameters, client: AuthenticatedClient, context: TokenContext) async throws -> TokenResponse {
        guard let code = parameters["code"] else { throw OAuthError.invalidRequest("code is missing") }
        let now = context.now
        let hash = SecretHash.of(code)
        guard let record = try await context.store.authorizationCode(hash: hash) else {
            throw OAuthError.invalidGrant("the authorization code is invalid")
        }
        if record.consumedAt != nil { return try await replay(record.grantID, context: context) }
        // The checks run before the code is consumed, so that a request that fails them (another
        // client presenting a stolen code, a wrong verifier) does not burn the rightful client's code.
        guard record.clientID == client.client.clientID else {
            throw OAuthError.invalidGrant("the authorization code was issued to another client")
        }
        guard now < record.expiresAt else { throw OAuthError.invalidGrant("the authorization code expired") }
        let redirectURI = parameters["redirect_uri"]
        if record.redirectURIWasSent || redirectURI != nil {
            guard redirectURI == record.redirectURI else {
                throw OAuthError.invalidGrant("redirect_uri does not match the authorization request")
            }
        }
        let verifier = parameters["code_verifier"]
        if let challenge = record.codeChallenge {
            guard let verifier else { throw OAuthError.invalidGrant("code_verifier is missing") }
            guard PKCE.verify(verifier: verifier, challenge: challenge) else {
                throw OAuthError.invalidGrant("code_verifier does not match the code_challenge")
            }
        } else if verifier != nil {
            throw OAuthError.invalidGrant("code_verifier sent for a code issued without code_challenge")
        }
        guard let grant = try await context.store.grant(id: record.grantID), grant.revokedAt == nil else {
            throw OAuthError.invalidGrant("the grant was revoked")
        }
        // RFC 9449 §10: a code requested with `dpop_jkt` is redeemed only with a proof of that key.
        if let store = context.dpop?.store, let bound = try await store.dpopKeys(grantID: grant.id).codeJKT {
            guard let jkt = context.dpopJKT, jkt == bound else {
                throw OAuthError.invalidGrant("the authorization code is bound to another DPoP key (dpop_jkt)")
            }
        }
        let user = try await TokenEndpoint.activeUser(grant.userID, context: context)
        // Read before the code is consumed: a membership removed since the authorization refuses
        // the exchange without burning the code.
        let organization = try await TokenEndpoint.organizationContext(of: grant, context: context)
        // RFC 8707 §2.2: checked before the code is consumed, so that a refusal changes nothing.
        let audience = try ResourceIndicator.audience(parameters, grant: grant, tenant: context.tokens.tenant)
        // Consuming the code and storing the first refresh token is one transaction.
        var refreshToken: String?
        var refreshRecord: RefreshToken?
        if client.client.grantTypes.contains(.refreshToken) {
            let token = RandomText.bearerSecret()
            refreshToken = token
            refreshRecord = RefreshToken(
                tokenHash: SecretHash.of(token), grantID: grant.id, issuedAt: now,
                expiresAt: now.addingTimeInterval(TimeInterval(context.settings.refreshTokenTTL)))
        }
        switch try await context.store.consumeAuthorizationCode(hash: hash, at: now, storing: refreshRecord) {
        case .consumed: break
        case .notFound: throw OAuthError.invalidGrant("the authorization code is invalid")
        case .alreadyConsumed(let grantID): return try await replay(grantID, context: context)
        }
        if refreshToken != nil { try await TokenEndpoint.bindRefreshTokens(of: grant.id, client: client.client, context: context) }
        return try TokenEndpoint.issueTokens(
            for: grant, client: client.client, user: user, scope: grant.scope, includeNonce: true,
            refreshToken: refreshToken, organization: organization, audience: audience, context: context)
    }

    /// A second use of a code: the grant and everything issued from it is revoked (RFC 6749 §4.1.2).
    static func replay(_ grantID: GrantID, context: TokenContext) async throws -> TokenResponse {
        try await context.store.revokeGrant(id: grantID, at: context.now)
        throw OAuthError.invalidGrant("the authorization code was already used; its tokens are revoked")
    }
}
