import Foundation
import GatehouseCrypto

/// JWT access token claims (RFC 9068 §2.2, docs/contract.md A7).
public struct AccessTokenClaims: Codable, Sendable, Equatable {
    public var iss: String
    /// The user id, or the client id for `client_credentials` (RFC 9068 §2.2).
    public var sub: String
    public var aud: String
    public var clientID: String
    public var exp: Int64
    public var iat: Int64
    /// Unique token id. For tokens issued from a grant it is `<grant id>.<random>`, which ties the
    /// token to its grant for revocation without a database write per token.
    public var jti: String
    /// Space-separated; empty when the grant has none, and then left out of the token (RFC 6749
    /// §3.3 has no empty scope value; RFC 9068 §2.2.3 asks for the claim when scope was requested).
    public var scope: String
    public var sid: String?
    /// The tenant id (`ten_…`).
    public var tid: String
    public var authTime: Int64?
    public var amr: [String]?
    /// The organization the token acts within (docs/contract.md A8), with the member's role and
    /// that role's permissions; absent outside an organization context.
    public var orgID: String?
    public var orgRole: String?
    public var orgPermissions: [String]?
    /// RFC 8693 §4.1: the actor of a delegated token (`{"sub": …}`, nesting the previous actors in
    /// `act`); absent outside token exchange.
    public var act: JSONValue? = nil
    /// The custom claims (docs/contract.md A9) a verified token carried, by name; nil when it
    /// carried none. Minting leaves this nil: the token service appends custom claims itself.
    public var custom: [String: JSONValue]? = nil
    /// RFC 9449 §6.1 / RFC 7800 §3.1: the key a DPoP-bound token is bound to (`{"jkt": …}`);
    /// nil for a Bearer token.
    public var cnf: Confirmation? = nil

    /// The `cnf` claim of a DPoP-bound token (RFC 9449 §6.1).
    public struct Confirmation: Codable, Sendable, Equatable {
        /// The RFC 7638 SHA-256 thumbprint of the DPoP key.
        public var jkt: String
        public init(jkt: String) { self.jkt = jkt }

        /// `{"jkt":…}`, as written into tokens and introspection answers.
        package var jsonObject: [UInt8] { JSONText.object([("jkt", jkt)]) }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case iss, sub, aud, exp, iat, jti, scope, sid, tid, amr, act, cnf
        case clientID = "client_id"
        case authTime = "auth_time"
        case orgID = "org_id"
        case orgRole = "org_role"
        case orgPermissions = "org_permissions"
    }

    /// The grant this token was issued from, read from `jti`.
    public var grantID: GrantID? {
        guard let dot = jti.firstIndex(of: ".") else { return nil }
        return GrantID(rawValue: String(jti[..<dot]))
    }

    public var scopeSet: ScopeSet { (try? ScopeSet(parsing: scope)) ?? [] }
}

extension AccessTokenClaims {
    /// The claims as the JWS payload (RFC 9068 §2.2): the members of ``CodingKeys`` in declaration
    /// order, absent optionals left out, ``custom`` not included (the token service appends custom
    /// claims itself). The same members `Encodable` writes, without `JSONEncoder`'s cost.
    public var jsonPayload: [UInt8] {
        var json = JSONObjectWriter(capacity: 384)
        json.add("iss", iss)
        json.add("sub", sub)
        json.add("aud", aud)
        json.add("client_id", clientID)
        json.add("exp", exp)
        json.add("iat", iat)
        json.add("jti", jti)
        json.add("scope", ScopeSet.member(scope))
        json.add("sid", sid)
        json.add("tid", tid)
        json.add("auth_time", authTime)
        json.add("amr", amr)
        json.add("org_id", orgID)
        json.add("org_role", orgRole)
        json.add("org_permissions", orgPermissions)
        json.add("act", raw: act.map(CustomClaims.encode))
        json.add("cnf", raw: cnf?.jsonObject)
        return json.finish()
    }

    /// The members of ``CodingKeys`` as ``jsonPayload`` writes them (``custom`` left out).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(iss, forKey: .iss)
        try c.encode(sub, forKey: .sub)
        try c.encode(aud, forKey: .aud)
        try c.encode(clientID, forKey: .clientID)
        try c.encode(exp, forKey: .exp)
        try c.encode(iat, forKey: .iat)
        try c.encode(jti, forKey: .jti)
        try c.encodeIfPresent(ScopeSet.member(scope), forKey: .scope)
        try c.encodeIfPresent(sid, forKey: .sid)
        try c.encode(tid, forKey: .tid)
        try c.encodeIfPresent(authTime, forKey: .authTime)
        try c.encodeIfPresent(amr, forKey: .amr)
        try c.encodeIfPresent(orgID, forKey: .orgID)
        try c.encodeIfPresent(orgRole, forKey: .orgRole)
        try c.encodeIfPresent(orgPermissions, forKey: .orgPermissions)
        try c.encodeIfPresent(act, forKey: .act)
        try c.encodeIfPresent(cnf, forKey: .cnf)
    }

    /// Decodes the claims above and keeps every other member of the payload in ``custom``.
    /// A token without `scope` has the empty scope.
    /// - Throws: `DecodingError` when a claim above is missing or of the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            iss: try c.decode(String.self, forKey: .iss), sub: try c.decode(String.self, forKey: .sub),
            aud: try c.decode(String.self, forKey: .aud), clientID: try c.decode(String.self, forKey: .clientID),
            exp: try c.decode(Int64.self, forKey: .exp), iat: try c.decode(Int64.self, forKey: .iat),
            jti: try c.decode(String.self, forKey: .jti), scope: try c.decodeIfPresent(String.self, forKey: .scope) ?? "",
            sid: try c.decodeIfPresent(String.self, forKey: .sid), tid: try c.decode(String.self, forKey: .tid),
            authTime: try c.decodeIfPresent(Int64.self, forKey: .authTime), amr: try c.decodeIfPresent([String].self, forKey: .amr),
            orgID: try c.decodeIfPresent(String.self, forKey: .orgID), orgRole: try c.decodeIfPresent(String.self, forKey: .orgRole),
            orgPermissions: try c.decodeIfPresent([String].self, forKey: .orgPermissions))
        act = try c.decodeIfPresent(JSONValue.self, forKey: .act)
        cnf = try c.decodeIfPresent(Confirmation.self, forKey: .cnf)
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if case .object(let members) = try decoder.singleValueContainer().decode(JSONValue.self) {
            let others = members.filter { !known.contains($0.key) }
            custom = others.isEmpty ? nil : others
        }
    }
}

/// ID token claims (OIDC Core §2, §3.1.3.6, §5.1).
public struct IDTokenClaims: Codable, Sendable, Equatable {
    public var iss: String
    public var sub: String
    public var aud: String
    public var exp: Int64
    public var iat: Int64
    public var authTime: Int64?
    public var nonce: String?
    public var atHash: String?
    public var sid: String?
    public var azp: String?
    public var amr: [String]?
    /// The authentication context class achieved (``AuthenticationContext``), from `amr`.
    public var acr: String?
    public var email: String?
    public var emailVerified: Bool?
    public var name: String?
    /// `phone` and `address` scopes (OIDC Core §5.4).
    public var phoneNumber: String?
    public var phoneNumberVerified: Bool?
    public var address: PostalAddress?
    /// The organization context (docs/contract.md A8), as in the access token.
    public var orgID: String?
    public var orgRole: String?
    public var orgPermissions: [String]?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nonce, sid, azp, amr, acr, email, name, address
        case authTime = "auth_time"
        case atHash = "at_hash"
        case emailVerified = "email_verified"
        case phoneNumber = "phone_number"
        case phoneNumberVerified = "phone_number_verified"
        case orgID = "org_id"
        case orgRole = "org_role"
        case orgPermissions = "org_permissions"
    }

    public init(
        iss: String, sub: String, aud: String, exp: Int64, iat: Int64, authTime: Int64?, nonce: String?,
        atHash: String?, sid: String?, azp: String?, amr: [String]?, email: String?, emailVerified: Bool?, name: String?,
        user: UserClaims? = nil, organization: OrganizationClaims? = nil
    ) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.authTime = authTime
        self.nonce = nonce
        self.atHash = atHash
        self.sid = sid
        self.azp = azp
        self.amr = amr
        self.acr = amr.map { AuthenticationContext.achieved(amr: $0) }
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.phoneNumber = user?.phoneNumber
        self.phoneNumberVerified = user?.phoneNumberVerified
        self.address = user?.address
        self.orgID = organization?.orgID
        self.orgRole = organization?.orgRole
        self.orgPermissions = organization?.orgPermissions
    }

    /// `aud` may be a string or an array (OIDC Core §2); this server issues a string and accepts both.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iss = try c.decode(String.self, forKey: .iss)
        sub = try c.decode(String.self, forKey: .sub)
        if let single = try? c.decode(String.self, forKey: .aud) {
            aud = single
        } else {
            aud = try c.decode([String].self, forKey: .aud).first ?? ""
        }
        exp = try c.decode(Int64.self, forKey: .exp)
        iat = try c.decode(Int64.self, forKey: .iat)
        authTime = try c.decodeIfPresent(Int64.self, forKey: .authTime)
        nonce = try c.decodeIfPresent(String.self, forKey: .nonce)
        atHash = try c.decodeIfPresent(String.self, forKey: .atHash)
        sid = try c.decodeIfPresent(String.self, forKey: .sid)
        azp = try c.decodeIfPresent(String.self, forKey: .azp)
        amr = try c.decodeIfPresent([String].self, forKey: .amr)
        acr = try c.decodeIfPresent(String.self, forKey: .acr)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        emailVerified = try c.decodeIfPresent(Bool.self, forKey: .emailVerified)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        phoneNumber = try c.decodeIfPresent(String.self, forKey: .phoneNumber)
        phoneNumberVerified = try c.decodeIfPresent(Bool.self, forKey: .phoneNumberVerified)
        address = try c.decodeIfPresent(PostalAddress.self, forKey: .address)
        orgID = try c.decodeIfPresent(String.self, forKey: .orgID)
        orgRole = try c.decodeIfPresent(String.self, forKey: .orgRole)
        orgPermissions = try c.decodeIfPresent([String].self, forKey: .orgPermissions)
    }
}

extension IDTokenClaims {
    /// The claims as the JWS payload (OIDC Core §2): the members `Encodable` writes (in an order of
    /// their own: JSON objects are unordered), absent optionals left out, without `JSONEncoder`'s
    /// cost on the token endpoint. `JSONBodyTests` checks the two agree.
    public var jsonPayload: [UInt8] {
        var json = JSONObjectWriter(capacity: 512)
        json.add("iss", iss)
        json.add("sub", sub)
        json.add("aud", aud)
        json.add("exp", exp)
        json.add("iat", iat)
        json.add("auth_time", authTime)
        json.add("nonce", nonce)
        json.add("at_hash", atHash)
        json.add("sid", sid)
        json.add("azp", azp)
        json.add("amr", amr)
        json.add("acr", acr)
        json.add("email", email)
        json.add("email_verified", emailVerified)
        json.add("name", name)
        json.add("phone_number", phoneNumber)
        json.add("phone_number_verified", phoneNumberVerified)
        json.add("address", raw: address.map(\.jsonObject))
        json.add("org_id", orgID)
        json.add("org_role", orgRole)
        json.add("org_permissions", orgPermissions)
        return json.finish()
    }
}

/// `org_id`, `org_role` and `org_permissions` (docs/contract.md A8) of an organization context,
/// as access tokens, ID tokens, userinfo and introspection carry them.
public struct OrganizationClaims: Sendable, Equatable {
    public var orgID: String
    public var orgRole: String
    /// The role's permission strings, sorted; an empty array when the role has none.
    public var orgPermissions: [String]

    public init(orgID: String, orgRole: String, orgPermissions: [String]) {
        self.orgID = orgID
        self.orgRole = orgRole
        self.orgPermissions = orgPermissions
    }

    public init(_ context: OrganizationContext) {
        self.init(
            orgID: context.organization.id.rawValue, orgRole: context.membership.role, orgPermissions: context.permissions)
    }
}

/// User claims released by scope (OIDC Core §5.4): `profile` → `name`; `email` → `email`,
/// `email_verified`; `phone` → `phone_number`, `phone_number_verified`; `address` → `address`.
/// A claim the user has no value for is left out (§5.3.2).
public struct UserClaims: Sendable, Equatable {
    public var email: String?
    public var emailVerified: Bool?
    public var name: String?
    public var phoneNumber: String?
    public var phoneNumberVerified: Bool?
    public var address: PostalAddress?

    /// - Parameters:
    ///   - requested: claims named by the `claims` parameter for this target (OIDC Core §5.5),
    ///     released when `permitted` (the client's permitted scopes) has their scope.
    public init(user: User, scope: ScopeSet, requested: Set<String> = [], permitted: ScopeSet = []) {
        func wants(_ claim: String, _ scopeName: String) -> Bool {
            scope.contains(scopeName) || (requested.contains(claim) && permitted.contains(scopeName))
        }
        if wants("email", StandardScope.email) { email = user.email }
        if wants("email_verified", StandardScope.email) { emailVerified = user.emailVerified }
        if wants("name", StandardScope.profile) { name = user.name }
        if let number = user.phoneNumber {
            if wants("phone_number", StandardScope.phone) { phoneNumber = number }
            if wants("phone_number_verified", StandardScope.phone) { phoneNumberVerified = user.phoneNumberVerified }
        }
        if wants("address", StandardScope.address), let address = user.address, !address.isEmpty { self.address = address }
    }
}
