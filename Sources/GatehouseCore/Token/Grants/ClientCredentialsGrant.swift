import Foundation

/// The client credentials grant (RFC 6749 §4.4): a confidential client acting on its own behalf.
public enum ClientCredentialsGrant: GrantHandler {
    public static let grantType = GrantType.clientCredentials
    public static let parameters: Set<String> = ["scope", "resource"]

    /// Scopes that describe end users and make no sense without one.
    static let userScopes: ScopeSet = StandardScope.supported

    /// Issues an access token whose `sub` is the client id. No refresh token (§4.4.3: "A refresh
    /// token SHOULD NOT be included") and no ID token.
    public static func handle(_ parameters: FormParameters, client: AuthenticatedClient, context: TokenContext) async throws -> TokenResponse {
        guard client.client.type == .confidential else {
            throw OAuthError.unauthorizedClient("client_credentials requires a confidential client")
        }
        let allowed = ScopeSet(client.client.permittedScopes.values.subtracting(userScopes.values))
        var scope = allowed
        if let raw = parameters["scope"] {
            do { scope = try ScopeSet(parsing: raw) } catch { throw OAuthError.invalidScope("scope is malformed") }
            guard scope.isSubset(of: allowed) else { throw OAuthError.invalidScope("scope not permitted for this client") }
        }
        let audience = try ResourceIndicator.audience(parameters, grant: nil, tenant: context.tokens.tenant)
        let access = try context.tokens.mintAccessToken(
            client: client.client, subject: client.client.clientID,
            scope: scope, grant: nil,
            algorithm: client.client.accessTokenSigningAlgorithm, claimSubject: ClaimSubject(), audience: audience,
            dpopJKT: context.dpopJKT)
        return TokenResponse(
            accessToken: access.token, expiresIn: access.expiresIn, refreshToken: nil, idToken: nil,
            scope: scope.description)
    }
}
