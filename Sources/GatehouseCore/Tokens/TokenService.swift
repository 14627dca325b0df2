import Foundation
import GatehouseCrypto

/// Why a custom claim was left out of a token or userinfo answer (``TokenService/onOmittedClaim``).
public enum ClaimOmission: String, Sendable {
    /// It would have taken the claims past ``CustomClaims/budget`` or the token past 8 KiB.
    case sizeBudget = "size_budget"
    /// Its name is registered or `org_` (stored before a rule, or restored from an archive).
    case refusedName = "refused_name"
}

/// Mints and verifies one tenant's JWTs (access tokens per RFC 9068, ID tokens per OIDC Core).
public struct TokenService: Sendable {
    public let tenant: Tenant
    public let issuer: String
    public let keys: KeyRing
    public let clock: any Clock
    /// Already verified access tokens of this tenant; nil disables caching.
    public let verifiedTokens: VerifiedTokenCache?
    /// Told the name (never the value) of each custom claim left out of a token or userinfo answer,
    /// and why: to keep it within ``CustomClaims/budget`` and ``maximumTokenSize``, or because its
    /// name is one ``CustomClaims/nameProblem(_:)`` refuses (docs/contract.md A9).
    public var onOmittedClaim: (@Sendable (_ claim: String, _ target: CustomClaimTarget, _ reason: ClaimOmission) -> Void)?

    /// The largest compact JWS this service issues once custom claims are added, in bytes (8 KiB).
    public static let maximumTokenSize = 8192

    public init(tenant: Tenant, issuer: String, keys: KeyRing, clock: any Clock, verifiedTokens: VerifiedTokenCache? = nil) {
        self.tenant = tenant
        self.issuer = issuer
        self.keys = keys
        self.clock = clock
        self.verifiedTokens = verifiedTokens
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    /// A minted access token.
    public struct MintedAccessToken: Sendable {
        public let token: String
        public let claims: AccessTokenClaims
        /// Lifetime in seconds (`expires_in`).
        public let expiresIn: Int
    }

    /// Mints an access token (RFC 9068 §2: header `typ: at+jwt`).
    ///
    /// - Parameters:
    ///   - client: the client it is issued to (`aud` and `client_id`).
    ///   - subject: the user id, or the client id for `client_credentials`.
    ///   - grant: the grant it comes from; nil for `client_credentials`.
    ///   - algorithm: the signing algorithm (EdDSA by default).
    ///   - organization: the organization context the grant acts within, read afresh by the caller
    ///     (`org_id`, `org_role`, `org_permissions`, docs/contract.md A8); nil leaves them out.
    ///   - claimSubject: the user and organization custom claims are computed for (A9); the default
    ///     (neither) yields only the claims without placeholders.
    ///   - dpopJKT: the thumbprint of the DPoP key the token is bound to (RFC 9449 §6.1: `cnf.jkt`);
    ///     nil for a Bearer token.
    /// - Throws: `server_error` when the tenant has no key for `algorithm`.
    ///   - audience: `aud` when not the client (token exchange, RFC 8693 §2.1 `audience`).
    ///   - actor: the `act` claim of a delegated token (RFC 8693 §4.1).
    public func mintAccessToken(
        client: Client, subject: String, scope: ScopeSet, grant: Grant?,
        algorithm: JWSAlgorithm = .eddsa, organization: OrganizationClaims? = nil, claimSubject: ClaimSubject = ClaimSubject(),
        audience: String? = nil, actor: JSONValue? = nil, dpopJKT: String? = nil
    ) throws(OAuthError) -> MintedAccessToken {
        let now = clock.now.numericDate
        let ttl = tenant.settings.accessTokenTTL
        let random = SecureRandom.token(byteCount: 12)
        var claims = AccessTokenClaims(
            iss: issuer, sub: subject, aud: audience ?? client.clientID, clientID: client.clientID,
            exp: now + Int64(ttl), iat: now,
            jti: grant.map { "\($0.id.rawValue).\(random)" } ?? random,
            scope: scope.description, sid: grant?.sessionID?.rawValue, tid: tenant.id.rawValue,
            authTime: grant.map { $0.authTime.numericDate }, amr: grant?.amr, orgID: organization?.orgID,
            orgRole: organization?.orgRole, orgPermissions: organization?.orgPermissions, act: actor)
        claims.cnf = dpopJKT.map(AccessTokenClaims.Confirmation.init(jkt:))
        let custom = customClaims(client: client, target: .accessToken, subject: claimSubject)
        let token = try sign(payload: claims.jsonPayload, type: "at+jwt", algorithm: algorithm, custom: custom, target: .accessToken)
        return MintedAccessToken(token: token, claims: claims, expiresIn: ttl)
    }

    /// Mints an ID token (OIDC Core §2, §3.1.3.6).
    ///
    /// `at_hash` is the base64url of the left half of the hash of the access token's ASCII octets,
    /// where the hash is the one of the JWS algorithm: SHA-256 for ES256/RS256, SHA-512 for EdDSA
    /// with Ed25519.
    /// `organization`: the grant's organization context, as for the access token; `claimSubject`:
    /// whom custom claims are computed for (nil: `user` alone).
    public func mintIDToken(
        client: Client, user: User, grant: Grant, accessToken: String?,
        algorithm: JWSAlgorithm = .eddsa, organization: OrganizationClaims? = nil, claimSubject: ClaimSubject? = nil
    ) throws(OAuthError) -> String {
        let now = clock.now.numericDate
        let userClaims = UserClaims(
            user: user, scope: grant.scope, requested: Set(grant.claimsRequest?.idToken.keys ?? [:].keys), permitted: client.permittedScopes)
        let claims = IDTokenClaims(
            iss: issuer, sub: user.id.rawValue, aud: client.clientID,
            exp: now + Int64(tenant.settings.idTokenTTL), iat: now,
            authTime: grant.authTime.numericDate, nonce: grant.nonce,
            atHash: accessToken.map { Self.leftHalfHash($0, algorithm: algorithm) },
            sid: grant.sessionID?.rawValue, azp: client.clientID, amr: grant.amr,
            email: userClaims.email, emailVerified: userClaims.emailVerified, name: userClaims.name, user: userClaims,
            organization: organization)
        let custom = customClaims(client: client, target: .idToken, subject: claimSubject ?? ClaimSubject(user: user))
        return try sign(payload: claims.jsonPayload, type: "JWT", algorithm: algorithm, custom: custom, target: .idToken)
    }

    /// The custom claims (docs/contract.md A9) of `client`'s `target`, before the size check.
    public func customClaims(client: Client, target: CustomClaimTarget, subject: ClaimSubject) -> [(name: String, value: JSONValue)] {
        let claims = CustomClaims.effective(tenant: tenant.settings.customClaims, client: client.customClaims)
        guard !claims.isEmpty else { return [] }
        return CustomClaims.candidates(claims, for: target, subject: subject) { onOmittedClaim?($0, target, .refusedName) }
    }

    /// Keeps the custom claims that fit in `room` bytes (and ``CustomClaims/budget``), telling
    /// ``onOmittedClaim`` about the others.
    func fitting(_ custom: [(name: String, value: JSONValue)], room: Int, target: CustomClaimTarget) -> [(name: String, value: JSONValue)] {
        let (kept, omitted) = CustomClaims.fit(custom, room: room)
        for name in omitted { onOmittedClaim?(name, target, .sizeBudget) }
        return kept
    }

    /// OIDC Core §3.1.3.6 `at_hash` (and §3.3.2.11 `c_hash`).
    public static func leftHalfHash(_ value: String, algorithm: JWSAlgorithm) -> String {
        let digest = algorithm == .eddsa ? Digest.sha512(Array(value.utf8)) : Digest.sha256(value)
        return Base64URL.encode(Array(digest.prefix(digest.count / 2)))
    }

    /// Signs `claims` with the members `custom` appended to the payload object, as many of them
    /// (in order) as keep the compact JWS within ``maximumTokenSize``: the room is computed from the
    /// header, the largest signature of `algorithm` (512 bytes for RS256) and base64url's 4/3.
    func sign(
        _ claims: some Encodable, type: String, algorithm: JWSAlgorithm,
        custom: [(name: String, value: JSONValue)] = [], target: CustomClaimTarget = .accessToken
    ) throws(OAuthError) -> String {
        let payload: [UInt8]
        do {
            payload = try Array(Self.encoder.encode(claims))
        } catch {
            throw .serverError("token signing failed")
        }
        return try sign(payload: payload, type: type, algorithm: algorithm, custom: custom, target: target)
    }

    /// Signs the serialised claims object `payload` (UTF-8 JSON ending in `}`), with `custom`
    /// appended as ``sign(_:type:algorithm:custom:target:)`` describes.
    /// - Throws: `server_error` when the tenant has no key for `algorithm` or signing fails.
    func sign(
        payload claims: [UInt8], type: String, algorithm: JWSAlgorithm,
        custom: [(name: String, value: JSONValue)] = [], target: CustomClaimTarget = .accessToken
    ) throws(OAuthError) -> String {
        let key = try keys.signer(for: algorithm)
        var payload = claims
        let header = JWSHeader(alg: algorithm.rawValue, kid: key.kid, typ: type)
        if !custom.isEmpty, payload.last == UInt8(ascii: "}") {
            func encoded(_ count: Int) -> Int { (count * 4 + 2) / 3 }
            let headerLength = JSONText.object([("alg", header.alg), ("kid", header.kid), ("typ", header.typ)]).count
            let fixed = encoded(headerLength + 16) + 2 + encoded(algorithm == .rs256 ? 512 : 64)
            let room = (Self.maximumTokenSize - fixed) * 3 / 4 - payload.count
            let kept = fitting(custom, room: room, target: target)
            if !kept.isEmpty {
                payload.removeLast()
                for (name, value) in kept {
                    payload.append(UInt8(ascii: ","))
                    payload += CustomClaims.encode(.string(name))
                    payload.append(UInt8(ascii: ":"))
                    payload += CustomClaims.encode(value)
                }
                payload.append(UInt8(ascii: "}"))
            }
        }
        do {
            return try JWS.sign(payload: payload, header: header, key: key.signingKey!)
        } catch {
            throw .serverError("token signing failed")
        }
    }

    // MARK: Verification

    /// Verifies the signature of a compact JWS against this tenant's published keys and decodes
    /// its payload. Expiry is the caller's concern.
    /// - Returns: nil when malformed, signed by an unknown key, or the signature fails.
    public func verifiedPayload<Claims: Decodable>(_ token: String, as type: Claims.Type, expectedType: String?) -> Claims? {
        guard token.utf8.count <= 16384, let parsed = try? JWS.parse(token), let kid = parsed.header.kid,
            let key = keys.published[kid], parsed.verify(with: key.verifier)
        else { return nil }
        if let expectedType, parsed.header.typ?.lowercased() != expectedType { return nil }
        return try? JSONDecoder().decode(Claims.self, from: Data(parsed.payload))
    }

    /// Validates an access token presented to this tenant (RFC 9068 §4): signature by one of this
    /// tenant's keys, `typ` `at+jwt`, `iss` and `tid` of this tenant, unexpired, not revoked.
    /// - Throws: `invalid_token` for every failure (RFC 6750 §3.1).
    public func validateAccessToken(_ token: String, store: some GrantStore) async throws -> AccessTokenClaims {
        let now = clock.now.numericDate
        let claims: AccessTokenClaims
        if let cached = verifiedTokens?.claims(for: token) {
            claims = cached
        } else {
            guard let verified = verifiedPayload(token, as: AccessTokenClaims.self, expectedType: "at+jwt"),
                verified.iss == issuer, verified.tid == tenant.id.rawValue
            else {
                throw OAuthError.invalidToken("the access token is invalid")
            }
            claims = verified
            if claims.exp > now { verifiedTokens?.store(claims, for: token, now: now) }
        }
        guard claims.exp > now else { throw OAuthError.invalidToken("the access token expired") }
        if try await store.isAccessTokenRevoked(
            jti: claims.jti, grantID: claims.grantID,
            issuedAt: Date(timeIntervalSince1970: TimeInterval(claims.iat)))
        {
            throw OAuthError.invalidToken("the access token was revoked")
        }
        return claims
    }

    /// Reads an `id_token_hint` (OIDC Core §3.1.2.1; RP-Initiated Logout §2): signature by this
    /// tenant's key and this issuer; an expired token is accepted.
    public func readIDTokenHint(_ token: String) -> IDTokenClaims? {
        guard let claims = verifiedPayload(token, as: IDTokenClaims.self, expectedType: "jwt"), claims.iss == issuer else {
            return nil
        }
        return claims
    }
}
