import Foundation
import GatehouseCrypto

/// A successful access token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
public struct TokenResponse: Codable, Sendable, Equatable {
    public var accessToken: String
    public var tokenType: String = "Bearer"
    /// Seconds.
    public var expiresIn: Int
    public var refreshToken: String?
    public var idToken: String?
    /// The granted scope, space-separated; empty when none was granted, and then left out of the
    /// answer: RFC 6749 §3.3's grammar has no empty scope value.
    public var scope: String
    /// RFC 8693 §2.2.1: the type of the issued token, in token exchange answers only.
    public var issuedTokenType: String?

    enum CodingKeys: String, CodingKey {
        case issuedTokenType = "issued_token_type"
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case idToken = "id_token"
        case scope
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = try c.decode(String.self, forKey: .accessToken)
        tokenType = try c.decode(String.self, forKey: .tokenType)
        expiresIn = try c.decode(Int.self, forKey: .expiresIn)
        refreshToken = try c.decodeIfPresent(String.self, forKey: .refreshToken)
        idToken = try c.decodeIfPresent(String.self, forKey: .idToken)
        scope = try c.decodeIfPresent(String.self, forKey: .scope) ?? ""
        issuedTokenType = try c.decodeIfPresent(String.self, forKey: .issuedTokenType)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accessToken, forKey: .accessToken)
        try c.encode(tokenType, forKey: .tokenType)
        try c.encode(expiresIn, forKey: .expiresIn)
        try c.encodeIfPresent(refreshToken, forKey: .refreshToken)
        try c.encodeIfPresent(idToken, forKey: .idToken)
        try c.encodeIfPresent(ScopeSet.member(scope), forKey: .scope)
        try c.encodeIfPresent(issuedTokenType, forKey: .issuedTokenType)
    }

    /// The answer's JSON body (RFC 6749 §5.1): the same members `Encodable` writes, absent
    /// optionals left out, without `JSONEncoder`'s cost (the token endpoint's hot path).
    public var jsonBody: [UInt8] {
        var json = JSONObjectWriter(capacity: 256 + accessToken.utf8.count + (idToken?.utf8.count ?? 0))
        json.add("access_token", accessToken)
        json.add("token_type", tokenType)
        json.add("expires_in", expiresIn)
        json.add("refresh_token", refreshToken)
        json.add("id_token", idToken)
        json.add("scope", ScopeSet.member(scope))
        json.add("issued_token_type", issuedTokenType)
        return json.finish()
    }

    public init(accessToken: String, expiresIn: Int, refreshToken: String?, idToken: String?, scope: String) {
        self.accessToken = accessToken
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.idToken = idToken
        self.scope = scope
    }
}

/// What a grant handler needs: the tenant's tokens, store and time, plus instance policy.
public struct TokenContext: Sendable {
    public let tokens: TokenService
    public let store: any TenantStore
    /// Seconds after a refresh token rotation during which reuse is refused without revoking the grant.
    public let refreshReuseGrace: TimeInterval
    /// What JWT client authentication needs (RFC 7523); nil refuses client assertions.
    public let clientAssertions: ClientAssertionContext?
    /// Device authorizations (RFC 8628); nil refuses the device code grant (`unsupported_grant_type`).
    public let deviceAuthorizations: (any DeviceAuthorizationStore)?
    /// The request's DPoP side (RFC 9449); nil where DPoP is not offered (a `DPoP` header is then ignored).
    public var dpop: DPoPRequest?
    /// The grants' DPoP bindings, read even where the request offers no DPoP (the headless API):
    /// a refresh token bound to a key is then refused, never refreshed into Bearer tokens (RFC 9449 §5).
    public let dpopBindings: (any DPoPStore)?
    /// The thumbprint of the accepted DPoP proof's key, set by the token endpoint once the proof
    /// passed (RFC 9449 §5): access tokens are bound to it (`cnf.jkt`, `token_type: DPoP`).
    public internal(set) var dpopJKT: String?

    public init(
        tokens: TokenService, store: any TenantStore, refreshReuseGrace: TimeInterval, clientAssertions: ClientAssertionContext? = nil,
        deviceAuthorizations: (any DeviceAuthorizationStore)? = nil, dpop: DPoPRequest? = nil, dpopBindings: (any DPoPStore)? = nil
    ) {
        self.dpop = dpop
        self.dpopBindings = dpopBindings ?? dpop?.store
        self.tokens = tokens
        self.store = store
        self.refreshReuseGrace = refreshReuseGrace
        self.clientAssertions = clientAssertions
        self.deviceAuthorizations = deviceAuthorizations
    }

    public var now: Date { tokens.clock.now }
    public var settings: TenantSettings { tokens.tenant.settings }
}

/// A grant type's handler (docs/architecture.md H6): the endpoint owns client authentication, dispatch and
/// error writing; each grant supplies its parameters and its rules, so none can skip a phase.
public protocol GrantHandler: Sendable {
    static var grantType: GrantType { get }
    /// Parameters this grant reads beyond `grant_type` and client authentication.
    static var parameters: Set<String> { get }
    static func handle(_ parameters: FormParameters, client: AuthenticatedClient, context: TokenContext) async throws -> TokenResponse
}

/// The token endpoint (RFC 6749 §3.2).
public enum TokenEndpoint {
    /// The grant handlers by `grant_type`.
    public static let grants: [String: any GrantHandler.Type] = [
        GrantType.authorizationCode.rawValue: AuthorizationCodeGrant.self,
        GrantType.refreshToken.rawValue: RefreshTokenGrant.self,
        GrantType.clientCredentials.rawValue: ClientCredentialsGrant.self,
        GrantType.deviceCode.rawValue: DeviceCodeGrant.self,
        GrantType.tokenExchange.rawValue: TokenExchangeGrant.self,
    ]

    /// Handles a token request whose form body is `parameters`.
    ///
    /// Phases: duplicate parameters are rejected (RFC 6749 §3.2: "Request and response parameters
    /// MUST NOT be included more than once"), the client authenticates (§3.2.1), the grant type is
    /// dispatched (§4.1.3, §6, §4.4; RFC 8628 §3.4), and the client must be registered for it (§5.2
    /// `unauthorized_client`).
    /// - Throws: `OAuthError` for every protocol failure; other errors are server errors.
    public static func handle(parameters: FormParameters, authorization: String?, context: TokenContext) async throws -> TokenResponse {
        try parameters.rejectDuplicates()
        let client = try await ClientAuthentication.authenticate(
            authorization: authorization, parameters: parameters, now: context.now, assertions: context.clientAssertions,
            findClient: context.store.client(clientID:))
        guard let grantType = parameters["grant_type"] else { throw OAuthError.invalidRequest("grant_type is missing") }
        // The device code grant needs device storage (RFC 8628); a context without it does not offer it.
        guard let handler = grants[grantType], handler.grantType != .deviceCode || context.deviceAuthorizations != nil else {
            throw OAuthError.unsupportedGrantType("grant_type '\(grantType)' is not supported")
        }
        guard client.client.grantTypes.contains(handler.grantType) else {
            throw OAuthError.unauthorizedClient("client is not allowed to use the \(grantType) grant")
        }
        var context = context
        if let proof = try await context.dpop?.accept(now: context.now) {
            context.dpopJKT = proof.jkt
        } else if client.client.dpopBoundAccessTokens {
            // RFC 9449 §5.2: "the authorization server MUST reject token requests from this client
            // that do not contain the DPoP header".
            throw OAuthError(.invalidDPoPProof, "this client must send a DPoP proof (dpop_bound_access_tokens)")
        }
        var response = try await handler.handle(parameters, client: client, context: context)
        // RFC 9449 §5: "token_type": "DPoP" for a DPoP-bound access token.
        if context.dpopJKT != nil { response.tokenType = "DPoP" }
        return response
    }

    /// Binds the refresh tokens of `grant` to the DPoP key of the request (RFC 9449 §5: "refresh
    /// tokens issued to public clients MUST be bound to the DPoP key"); a confidential client's are
    /// not bound (it authenticates at every refresh), nor is anything without a proof.
    static func bindRefreshTokens(of grant: GrantID, client: Client, context: TokenContext) async throws {
        guard client.type == .public, let jkt = context.dpopJKT, let store = context.dpop?.store else { return }
        try await store.bindDPoPKey(grantID: grant, kind: .refresh, jkt: jkt, at: context.now)
    }

    /// Issues the first tokens of a new user grant: a refresh token (stored by hash) when the client
    /// may use the refresh token grant, an access token, and an ID token for OpenID grants.
    /// - Parameter audience: the access token's `aud` when a resource was asked for (RFC 8707).
    public static func issueForNewGrant(
        _ grant: Grant, client: Client, user: User, audience: String? = nil, context: TokenContext
    ) async throws -> TokenResponse {
        var refreshToken: String?
        if client.grantTypes.contains(.refreshToken) {
            let token = RandomText.bearerSecret()
            let now = context.now
            try await context.store.insertRefreshToken(
                RefreshToken(
                    tokenHash: SecretHash.of(token), grantID: grant.id, issuedAt: now,
                    expiresAt: now.addingTimeInterval(TimeInterval(context.settings.refreshTokenTTL))))
            refreshToken = token
            try await bindRefreshTokens(of: grant.id, client: client, context: context)
        }
        let organization = try await organizationContext(of: grant, context: context)
        return try issueTokens(
            for: grant, client: client, user: user, scope: grant.scope, includeNonce: true,
            refreshToken: refreshToken, organization: organization, audience: audience, context: context)
    }

    /// Issues the access, refresh and ID tokens of a user grant.
    /// Custom claims (docs/contract.md A9) are computed here from `user` and the organization as
    /// they are now, so a refresh carries changed metadata.
    /// - Parameter organization: the grant's organization context, read afresh
    ///   (``organizationContext(of:context:)``); nil for a personal grant.
    static func issueTokens(
        for grant: Grant, client: Client, user: User, scope: ScopeSet, includeNonce: Bool,
        refreshToken: String?, organization within: OrganizationContext?, audience: String? = nil, context: TokenContext
    ) throws(OAuthError) -> TokenResponse {
        let organization = within.map(OrganizationClaims.init)
        let subject = ClaimSubject(user: user, organization: within?.organization)
        let access = try context.tokens.mintAccessToken(
            client: client, subject: user.id.rawValue, scope: scope, grant: grant,
            algorithm: client.accessTokenSigningAlgorithm, organization: organization, claimSubject: subject, audience: audience,
            dpopJKT: context.dpopJKT)
        var idToken: String?
        if grant.scope.contains(StandardScope.openid) {
            var idGrant = grant
            if !includeNonce { idGrant.nonce = nil }
            idToken = try context.tokens.mintIDToken(
                client: client, user: user, grant: idGrant, accessToken: access.token,
                algorithm: client.idTokenSigningAlgorithm, organization: organization, claimSubject: subject)
        }
        return TokenResponse(
            accessToken: access.token, expiresIn: access.expiresIn, refreshToken: refreshToken,
            idToken: idToken, scope: scope.description)
    }

    /// The organization context of a grant (docs/contract.md A8), read afresh at every issuance so
    /// that tokens reflect role and permission changes: nil for a personal grant.
    /// - Throws: `invalid_grant` (RFC 6749 §5.2: the grant is no longer valid) when the
    ///   organization was deleted or the user is no longer a member of it.
    static func organizationContext(of grant: Grant, context: TokenContext) async throws -> OrganizationContext? {
        guard let id = grant.organizationID else { return nil }
        guard let organization = try await context.store.organizationContext(organization: id, user: grant.userID) else {
            throw OAuthError.invalidGrant("the user is no longer a member of the organization of this grant")
        }
        return organization
    }

    /// The user of a grant, who must still exist and be enabled.
    static func activeUser(_ id: UserID, context: TokenContext) async throws -> User {
        guard let user = try await context.store.user(id: id), !user.disabled else {
            throw OAuthError.invalidGrant("the user of this grant is no longer active")
        }
        return user
    }
}
