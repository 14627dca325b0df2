import Foundation

/// OAuth 2.0 Token Exchange (RFC 8693): a confidential client exchanges an access token of this
/// tenant for another, narrower or addressed elsewhere, on its own (impersonation, §1.1) or with
/// its own token as the actor (delegation: `act`, §4.1).
///
/// Who may exchange what (§5: the authorization server decides):
/// - the client must be confidential and registered for the grant type;
/// - `subject_token` must be a live access token (`…:token-type:access_token`) of this tenant issued
///   to the requesting client (its `client_id`) or addressed to it (`aud`): a client cannot take a
///   token it merely obtained from elsewhere and mint new tokens from it;
/// - `actor_token`, when sent, must be a live access token of this tenant issued to the requesting
///   client (typically its `client_credentials` token): the client proves it is the actor;
/// - `scope` may only narrow the subject token's scope;
/// - `audience` may name this client or another client of the tenant (the new token's `aud`);
///   `resource` (RFC 8707) may name one of the tenant's resource indicators (and of the subject
///   grant's, when it recorded some) instead.
///
/// The new access token keeps the subject's `sub`, grant (its `jti` ties it to the grant, so that
/// revoking the grant revokes it), session, `auth_time`, `amr` and organization; it carries
/// `act` (`{"sub": <actor's sub>, "act": <the subject token's act>}`) for delegation and no refresh
/// or ID token. The answer (§2.2.1) has `issued_token_type`.
public enum TokenExchangeGrant: GrantHandler {
    public static let grantType = GrantType.tokenExchange
    public static let parameters: Set<String> = [
        "subject_token", "subject_token_type", "actor_token", "actor_token_type", "requested_token_type", "audience", "resource", "scope",
    ]
    /// RFC 8693 §3: the only token type exchanged and issued here.
    public static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"

    public static func handle(_ parameters: FormParameters, client authenticated: AuthenticatedClient, context: TokenContext) async throws
        -> TokenResponse
    {
        let client = authenticated.client
        guard client.type == .confidential else { throw OAuthError.unauthorizedClient("token exchange requires a confidential client") }
        guard let subjectToken = parameters["subject_token"] else { throw OAuthError.invalidRequest("subject_token is missing") }
        guard let subjectType = parameters["subject_token_type"] else { throw OAuthError.invalidRequest("subject_token_type is missing") }
        guard subjectType == accessTokenType else {
            throw OAuthError.invalidRequest("subject_token_type must be \(accessTokenType)")
        }
        if let requested = parameters["requested_token_type"], requested != accessTokenType {
            throw OAuthError.invalidRequest("requested_token_type must be \(accessTokenType)")
        }
        if parameters.values("audience").count > 1 { throw OAuthError(.invalidTarget, "one audience per exchange") }
        if parameters["audience"] != nil, parameters["resource"] != nil {
            throw OAuthError(.invalidTarget, "name the target with audience or resource, not both")
        }
        let actorToken = parameters["actor_token"]
        switch (actorToken, parameters["actor_token_type"]) {
        case (nil, nil): break
        case (.some, accessTokenType?): break
        case (.some, nil): throw OAuthError.invalidRequest("actor_token_type is missing")
        case (nil, .some): throw OAuthError.invalidRequest("actor_token_type without actor_token")
        case (.some, .some): throw OAuthError.invalidRequest("actor_token_type must be \(accessTokenType)")
        }
        let subject = try await live(subjectToken, "subject_token", context: context)
        guard subject.clientID == client.clientID || subject.aud == client.clientID else {
            throw OAuthError.invalidGrant("subject_token was not issued to this client")
        }
        var actor: JSONValue? = subject.act
        if let actorToken {
            let claims = try await live(actorToken, "actor_token", context: context)
            guard claims.clientID == client.clientID else { throw OAuthError.invalidGrant("actor_token was not issued to this client") }
            var act: [String: JSONValue] = ["sub": .string(claims.sub)]
            if let prior = subject.act { act["act"] = prior }
            actor = .object(act)
        }
        var scope = subject.scopeSet
        if let raw = parameters["scope"] {
            let requested: ScopeSet
            do { requested = try ScopeSet(parsing: raw) } catch { throw OAuthError.invalidScope("scope is malformed") }
            guard requested.isSubset(of: scope) else { throw OAuthError.invalidScope("scope exceeds the subject token's") }
            scope = requested
        }
        // RFC 8707: a resource of the tenant (the subject's grant may narrow them further below).
        var audience = try ResourceIndicator.audience(parameters, grant: nil, tenant: context.tokens.tenant)
        if let named = parameters["audience"], named != client.clientID {
            guard named.utf8.count <= 128, try await context.store.client(clientID: named) != nil else {
                throw OAuthError(.invalidTarget, "audience must be a client of this tenant")
            }
            audience = named
        }
        var grant: Grant?
        var user: User?
        var organization: OrganizationContext?
        if let id = subject.grantID {
            guard let found = try await context.store.grant(id: id), found.revokedAt == nil else {
                throw OAuthError.invalidGrant("the subject token's grant is no longer active")
            }
            grant = found
            if let resource = audience, let granted = found.resources, !granted.contains(resource) {
                throw OAuthError(.invalidTarget, "resource was not part of the subject token's authorization")
            }
            user = try await TokenEndpoint.activeUser(found.userID, context: context)
            organization = try await TokenEndpoint.organizationContext(of: found, context: context)
        }
        let access = try context.tokens.mintAccessToken(
            client: client, subject: subject.sub, scope: scope, grant: grant, algorithm: client.accessTokenSigningAlgorithm,
            organization: organization.map(OrganizationClaims.init),
            claimSubject: ClaimSubject(user: user, organization: organization?.organization), audience: audience, actor: actor,
            dpopJKT: context.dpopJKT)
        var response = TokenResponse(accessToken: access.token, expiresIn: access.expiresIn, refreshToken: nil, idToken: nil, scope: scope.description)
        response.issuedTokenType = accessTokenType
        return response
    }

    /// The claims of a live access token of this tenant. A DPoP-bound token (`cnf`) counts only
    /// with the request's proof of its key (RFC 9449 §7.2: it is no bearer token), so that an
    /// exchange cannot turn it into a Bearer token.
    /// - Throws: `invalid_grant` naming `parameter`.
    static func live(_ token: String, _ parameter: String, context: TokenContext) async throws -> AccessTokenClaims {
        guard token.utf8.count <= 16_384 else { throw OAuthError.invalidGrant("\(parameter) is too large") }
        let claims: AccessTokenClaims
        do {
            claims = try await context.tokens.validateAccessToken(token, store: context.store)
        } catch let error as OAuthError where error.code == .invalidToken {
            throw OAuthError.invalidGrant("\(parameter) is not a live access token of this issuer", debug: error.description)
        }
        if let bound = claims.cnf?.jkt, context.dpopJKT != bound {
            throw OAuthError.invalidGrant("\(parameter) is DPoP-bound: send a DPoP proof of its key")
        }
        return claims
    }
}
