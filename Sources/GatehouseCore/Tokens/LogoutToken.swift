import Foundation

/// The claims of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4): `iss`, `aud` (the
/// client_id), `iat`, `exp`, `jti`, `events` with the back-channel logout member, `sub` and `sid`.
/// It never carries `nonce` (§2.4: "A nonce Claim MUST NOT be present").
public struct LogoutTokenClaims: Codable, Sendable, Equatable {
    /// The `events` member naming a back-channel logout (§2.4).
    public static let event = "http://schemas.openid.net/event/backchannel-logout"
    /// Seconds between `iat` and `exp` (§2.4 leaves the lifetime to the OP; two minutes).
    public static let lifetime: Int64 = 120

    public var iss: String
    public var aud: String
    public var iat: Int64
    public var exp: Int64
    public var jti: String
    public var events: [String: [String: String]]
    public var sub: String
    public var sid: String?

    public init(iss: String, aud: String, iat: Int64, jti: String, sub: String, sid: String?) {
        self.iss = iss
        self.aud = aud
        self.iat = iat
        self.exp = iat + Self.lifetime
        self.jti = jti
        self.events = [Self.event: [:]]
        self.sub = sub
        self.sid = sid
    }
}

extension TokenService {
    /// Signs the logout token of `delivery` for `client` (Back-Channel Logout §2.4): header
    /// `typ: logout+jwt` (§2.4, "explicit typing"), the tenant's key of the algorithm the client's
    /// ID tokens use (§2.6: the RP validates it as an ID token), `iat` now and `exp` 120 s later,
    /// the delivery's `jti`, `sub` the user id and `sid` the session id (the `sid` of the ID tokens
    /// issued under that session, OIDC Front-Channel Logout §3), always present.
    /// - Throws: `server_error` when the tenant has no key for that algorithm.
    public func mintLogoutToken(for client: Client, delivery: LogoutDelivery) throws(OAuthError) -> String {
        let claims = LogoutTokenClaims(
            iss: issuer, aud: client.clientID, iat: clock.now.numericDate, jti: delivery.jti, sub: delivery.userID.rawValue,
            sid: delivery.sessionID.rawValue)
        return try sign(claims, type: "logout+jwt", algorithm: client.idTokenSigningAlgorithm)
    }
}
