import Foundation
import GatehouseCrypto

/// An introspection response (RFC 7662 §2.2). Inactive tokens carry only `active: false`.
public struct IntrospectionResponse: Codable, Sendable, Equatable {
    public var active: Bool
    /// Space-separated; nil when the token carries no scope (RFC 6749 §3.3 has no empty scope value).
    public var scope: String?
    public var clientID: String?
    public var sub: String?
    public var exp: Int64?
    public var iat: Int64?
    public var iss: String?
    public var aud: String?
    public var jti: String?
    public var tokenType: String?
    public var sid: String?
    public var tid: String?
    /// The organization context (docs/contract.md A8): an access token's claims as issued; for a
    /// refresh token, its grant's organization only.
    public var orgID: String?
    public var orgRole: String?
    public var orgPermissions: [String]?
    /// An access token's custom claims (docs/contract.md A9), as further top-level members
    /// (RFC 7662 §2.2 allows other claims); a name that one of the members above uses is left out.
    public var custom: [String: JSONValue] = [:]
    /// RFC 9449 §6.2: the key a DPoP-bound access token is bound to (`{"jkt": …}`).
    public var cnf: AccessTokenClaims.Confirmation?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case active, scope, sub, exp, iat, iss, aud, jti, sid, tid, cnf
        case clientID = "client_id"
        case tokenType = "token_type"
        case orgID = "org_id"
        case orgRole = "org_role"
        case orgPermissions = "org_permissions"
    }

    public static let inactive = IntrospectionResponse(active: false)

    public init(
        active: Bool, scope: String? = nil, clientID: String? = nil, sub: String? = nil, exp: Int64? = nil,
        iat: Int64? = nil, iss: String? = nil, aud: String? = nil, jti: String? = nil, tokenType: String? = nil,
        sid: String? = nil, tid: String? = nil, orgID: String? = nil, orgRole: String? = nil, orgPermissions: [String]? = nil,
        custom: [String: JSONValue] = [:]
    ) {
        self.custom = custom
        self.active = active
        self.scope = ScopeSet.member(scope)
        self.clientID = clientID
        self.sub = sub
        self.exp = exp
        self.iat = iat
        self.iss = iss
        self.aud = aud
        self.jti = jti
        self.tokenType = tokenType
        self.sid = sid
        self.tid = tid
        self.orgID = orgID
        self.orgRole = orgRole
        self.orgPermissions = orgPermissions
    }

    /// RFC 7662 §2.2 names this server does not send but a resource server reads with their
    /// registered meaning (`username`, `nbf`), and the members above: custom claims never take them.
    static let reservedNames = Set(CodingKeys.allCases.map(\.stringValue) + ["username", "nbf"])

    /// The answer's JSON body (RFC 7662 §2.2): what ``encode(to:)`` writes, without
    /// `JSONEncoder`'s cost (the introspection endpoint's hot path).
    public var jsonBody: [UInt8] {
        var json = JSONObjectWriter(capacity: 512)
        json.add("active", active)
        json.add("scope", ScopeSet.member(scope))
        json.add("client_id", clientID)
        json.add("sub", sub)
        json.add("exp", exp)
        json.add("iat", iat)
        json.add("iss", iss)
        json.add("aud", aud)
        json.add("jti", jti)
        json.add("token_type", tokenType)
        json.add("sid", sid)
        json.add("tid", tid)
        json.add("org_id", orgID)
        json.add("org_role", orgRole)
        json.add("org_permissions", orgPermissions)
        json.add("cnf", raw: cnf?.jsonObject)
        for (name, value) in custom where !Self.reservedNames.contains(name) {
            json.add(name, raw: CustomClaims.encode(value))
        }
        return json.finish()
    }

    /// The members above, then ``custom`` members whose names none of them takes.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(active, forKey: .active)
        try c.encodeIfPresent(ScopeSet.member(scope), forKey: .scope)
        try c.encodeIfPresent(clientID, forKey: .clientID)
        try c.encodeIfPresent(sub, forKey: .sub)
        try c.encodeIfPresent(exp, forKey: .exp)
        try c.encodeIfPresent(iat, forKey: .iat)
        try c.encodeIfPresent(iss, forKey: .iss)
        try c.encodeIfPresent(aud, forKey: .aud)
        try c.encodeIfPresent(jti, forKey: .jti)
        try c.encodeIfPresent(tokenType, forKey: .tokenType)
        try c.encodeIfPresent(sid, forKey: .sid)
        try c.encodeIfPresent(tid, forKey: .tid)
        try c.encodeIfPresent(orgID, forKey: .orgID)
        try c.encodeIfPresent(orgRole, forKey: .orgRole)
        try c.encodeIfPresent(orgPermissions, forKey: .orgPermissions)
        try c.encodeIfPresent(cnf, forKey: .cnf)
        var extra = encoder.container(keyedBy: ClaimName.self)
        for (name, value) in custom where !Self.reservedNames.contains(name) {
            try extra.encode(value, forKey: ClaimName(name))
        }
    }
}

/// Token introspection (RFC 7662) and revocation (RFC 7009), both client-authenticated.
public enum TokenIntrospection {
    /// What a presented token turned out to be.
    enum Found {
        case accessToken(AccessTokenClaims)
        case refreshToken(RefreshToken, Grant)
    }

    /// Introspects `token` for the authenticated client.
    ///
    /// RFC 7662 §2.2: "If the introspection call is properly authorized but the token is not active,
    /// does not exist on this server, or the protected resource is not allowed to introspect this
    /// particular token, then the authorization server MUST return ... {"active": false}". A client
    /// may introspect only the tokens issued to it; tokens of other clients or tenants are inactive.
    /// - Throws: `invalid_client` when client authentication fails; `invalid_request` without `token`.
    public static func introspect(parameters: FormParameters, authorization: String?, context: TokenContext) async throws -> IntrospectionResponse {
        switch try await callersToken(parameters: parameters, authorization: authorization, context: context) {
        case .accessToken(let claims):
            // RFC 9449 §6.2: a DPoP-bound token is introspected with its `cnf` and `token_type` DPoP.
            var response = IntrospectionResponse(
                active: true, scope: claims.scope, clientID: claims.clientID, sub: claims.sub,
                exp: claims.exp, iat: claims.iat, iss: claims.iss, aud: claims.aud,
                jti: claims.jti, tokenType: claims.cnf == nil ? "access_token" : "DPoP", sid: claims.sid, tid: claims.tid,
                orgID: claims.orgID, orgRole: claims.orgRole, orgPermissions: claims.orgPermissions, custom: claims.custom ?? [:])
            response.cnf = claims.cnf
            return response
        case .refreshToken(let refresh, let grant):
            return IntrospectionResponse(
                active: true, scope: grant.scope.description, clientID: grant.clientID,
                sub: grant.userID.rawValue, exp: refresh.expiresAt.numericDate,
                iat: refresh.issuedAt.numericDate, iss: context.tokens.issuer,
                tokenType: "refresh_token", sid: grant.sessionID?.rawValue,
                tid: context.tokens.tenant.id.rawValue, orgID: grant.organizationID?.rawValue)
        case nil:
            return .inactive
        }
    }

    /// Revokes `token` for the authenticated client (RFC 7009 §2.1).
    ///
    /// Revoking a refresh token revokes its grant, and so every access token issued from it
    /// (§2.1: "If the token passed to the request is a refresh token and the authorization server
    /// supports the revocation of access tokens, then the authorization server SHOULD also
    /// invalidate all access tokens based on the same authorization grant"). Unknown tokens and
    /// tokens of other clients are answered like success (§2.2) and left untouched.
    /// - Throws: `invalid_client`, `invalid_request`.
    public static func revoke(parameters: FormParameters, authorization: String?, context: TokenContext) async throws {
        switch try await callersToken(parameters: parameters, authorization: authorization, context: context) {
        case .accessToken(let claims):
            try await context.store.revokeAccessToken(jti: claims.jti, expiresAt: Date(numericDate: claims.exp))
        case .refreshToken(_, let grant):
            try await context.store.revokeGrant(id: grant.id, at: context.now)
        case nil:
            return
        }
    }

    /// The first steps introspection and revocation share: client authentication (RFC 7662 §2.1,
    /// RFC 7009 §2.1), the `token` parameter, and the token when it is active and was issued to the
    /// caller. Another client's or tenant's token is nil, like an unknown one.
    /// - Throws: `invalid_client`; `invalid_request` for a repeated parameter or without `token`.
    static func callersToken(parameters: FormParameters, authorization: String?, context: TokenContext) async throws -> Found? {
        try parameters.rejectDuplicates()
        let caller = try await ClientAuthentication.authenticate(
            authorization: authorization, parameters: parameters, now: context.now, assertions: context.clientAssertions,
            findClient: context.store.client(clientID:))
        guard let token = parameters["token"] else { throw OAuthError.invalidRequest("token is missing") }
        let found = try await find(token, hint: parameters["token_type_hint"], context: context)
        switch found {
        case .accessToken(let claims) where claims.clientID == caller.client.clientID: return found
        case .refreshToken(_, let grant) where grant.clientID == caller.client.clientID: return found
        default: return nil
        }
    }

    /// Finds an active token: a JWT access token of this tenant, or a live refresh token.
    static func find(_ token: String, hint: String?, context: TokenContext) async throws -> Found? {
        if token.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            guard let claims = try? await context.tokens.validateAccessToken(token, store: context.store) else { return nil }
            return .accessToken(claims)
        }
        guard token.utf8.count <= 512, let refresh = try await context.store.refreshToken(hash: SecretHash.of(token)) else {
            return nil
        }
        let now = context.now
        guard refresh.rotatedAt == nil, now < refresh.expiresAt,
            let grant = try await context.store.grant(id: refresh.grantID), grant.revokedAt == nil
        else { return nil }
        if !grant.isOffline, let sessionID = grant.sessionID {
            guard let session = try await context.store.session(id: sessionID), session.isActive(at: now) else { return nil }
        }
        return .refreshToken(refresh, grant)
    }
}
