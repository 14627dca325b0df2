import Foundation
import GatehouseCrypto

/// Remembers the `jti` of each accepted client assertion until it expires, so that an assertion
/// is accepted once (RFC 7523 §3 item 7; OIDC Core §9: "the authorization server MUST only accept
/// a jti once"). Kept in the tenant's database, so that it holds across restarts and across the
/// nodes that share a PostgreSQL database.
public protocol ClientAssertionReplayStore: Sendable {
    /// Records that `clientID` used `jti`, if no live record of that pair exists.
    /// - Parameters:
    ///   - jti: the assertion's `jti`, at most ``ClientAssertion/maximumJTIBytes`` bytes (stored as its SHA-256).
    ///   - expiresAt: when the record may be forgotten (the assertion's `exp` plus the leeway);
    ///     housekeeping deletes it afterwards.
    /// - Returns: `true` when this is the first use, `false` for a replay. Two concurrent calls
    ///   with the same pair return `true` once.
    func recordClientAssertion(clientID: String, jti: String, expiresAt: Date) async throws -> Bool
}

/// What checking a client assertion needs beyond the request (RFC 7523 §3): the audiences it may
/// name, the keys of the client, and the replay store.
public struct ClientAssertionContext: Sendable {
    /// Values of `aud` that identify this server: the tenant's issuer, its token endpoint URL and
    /// the URL of the endpoint the request was made to (RFC 7523 §3 item 3, OIDC Core §9).
    public var audiences: Set<String>
    /// The public key that must have verified a `private_key_jwt` assertion with this header,
    /// from the client's `jwks` or `jwks_uri`.
    /// - Throws: `OAuthError` `invalid_client` when no key matches or the keys cannot be fetched.
    public var publicKey: @Sendable (Client, JWSHeader) async throws -> SignatureVerifier
    /// Opens a sealed secret key of a `client_secret_jwt` client.
    public var unseal: @Sendable ([UInt8]) throws -> [UInt8]
    public var replay: any ClientAssertionReplayStore

    public init(
        audiences: Set<String>, publicKey: @escaping @Sendable (Client, JWSHeader) async throws -> SignatureVerifier,
        unseal: @escaping @Sendable ([UInt8]) throws -> [UInt8], replay: any ClientAssertionReplayStore
    ) {
        self.audiences = audiences
        self.publicKey = publicKey
        self.unseal = unseal
        self.replay = replay
    }
}

/// JWT client authentication (RFC 7523 §2.2 and §3; OIDC Core §9 `client_secret_jwt` and
/// `private_key_jwt`). Every failure is `invalid_client`: nothing a client sends causes another error.
public enum ClientAssertion {
    /// `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
    public static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// Largest `client_assertion` accepted, in bytes (an RS256 assertion with a 4096-bit key is ~1 KiB).
    public static let maximumBytes = 8192
    /// Largest `jti` accepted, in bytes.
    public static let maximumJTIBytes = 256
    /// Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
    public static let leeway: TimeInterval = 60
    /// An assertion's `exp` may be at most this many seconds after now (plus ``leeway``), which
    /// bounds how long its `jti` is remembered. One hour: the lifetime Authlib gives its
    /// assertions by default and the longest Google accepts for its own; a replay within it is
    /// refused by the `jti` check.
    public static let maximumLifetime: TimeInterval = 3600
    /// The algorithms of `private_key_jwt` (the keys `SignatureVerifier` accepts).
    public static let publicKeyAlgorithms = JWSAlgorithm.allCases.map(\.rawValue)
    /// The algorithm of `client_secret_jwt`.
    public static let secretAlgorithm = "HS256"

    /// The claims of an assertion (RFC 7523 §3).
    public struct Claims: Sendable, Equatable {
        public var issuer: String
        public var subject: String
        public var audiences: [String]
        /// Seconds since the epoch.
        public var expiresAt: Double
        public var issuedAt: Double?
        public var notBefore: Double?
        public var jti: String
    }

    /// Splits `assertion` and reads its claims, unverified (to find the client it names).
    /// - Throws: `invalid_client` when it is larger than ``maximumBytes``, not a compact JWS, or
    ///   its payload lacks a string `iss`, `sub` or `jti`, a numeric `exp`, or an `aud`.
    public static func parse(_ assertion: String) throws(OAuthError) -> (jws: ParsedJWS, claims: Claims) {
        guard assertion.utf8.count <= maximumBytes else { throw .invalidClient("client_assertion is too large") }
        guard let jws = try? JWS.parse(assertion) else { throw .invalidClient("client_assertion is not a signed JWT") }
        guard let payload = JSONValue.parse(jws.payload) else { throw .invalidClient("client_assertion's payload is not a JSON object") }
        guard let iss = payload["iss"]?.string, let sub = payload["sub"]?.string else {
            throw .invalidClient("client_assertion lacks iss or sub")
        }
        guard let aud = payload["aud"]?.strings, !aud.isEmpty else { throw .invalidClient("client_assertion lacks aud") }
        guard let exp = payload["exp"]?.number, exp.isFinite else { throw .invalidClient("client_assertion lacks exp") }
        guard let jti = payload["jti"]?.string, !jti.isEmpty, jti.utf8.count <= maximumJTIBytes else {
            throw .invalidClient("client_assertion lacks jti, or it is longer than \(maximumJTIBytes) bytes")
        }
        func time(_ name: String) throws(OAuthError) -> Double? {
            guard let value = payload[name] else { return nil }
            guard let number = value.number, number.isFinite else { throw .invalidClient("client_assertion's \(name) is not a number") }
            return number
        }
        let claims = Claims(
            issuer: iss, subject: sub, audiences: aud, expiresAt: exp, issuedAt: try time("iat"), notBefore: try time("nbf"), jti: jti)
        return (jws, claims)
    }

    /// The claim checks of RFC 7523 §3 for the client `clientID`, in this order: `iss` and `sub`
    /// are the client_id (items 1, 2); `aud` contains one of `audiences` (item 3); `exp` has not
    /// passed (item 4) and is at most ``maximumLifetime`` ahead; `nbf` (item 5) and `iat` (item 6)
    /// are not in the future; each with ``leeway``.
    /// - Throws: `invalid_client` naming the failed check.
    public static func check(_ claims: Claims, clientID: String, audiences: Set<String>, now: Date) throws(OAuthError) {
        let now = now.timeIntervalSince1970
        guard claims.issuer == clientID, claims.subject == clientID else {
            throw .invalidClient("client_assertion's iss and sub must both be the client_id")
        }
        guard claims.audiences.contains(where: audiences.contains) else {
            throw .invalidClient("client_assertion's aud does not name this server (its issuer or the endpoint's URL)")
        }
        guard claims.expiresAt + leeway > now else { throw .invalidClient("client_assertion has expired") }
        guard claims.expiresAt <= now + maximumLifetime + leeway else {
            throw .invalidClient("client_assertion's exp is more than \(Int(maximumLifetime)) seconds ahead")
        }
        if let nbf = claims.notBefore, nbf > now + leeway { throw .invalidClient("client_assertion is not valid yet (nbf)") }
        if let iat = claims.issuedAt, iat > now + leeway { throw .invalidClient("client_assertion was issued in the future (iat)") }
    }

    /// Verifies a `client_secret_jwt` assertion: `alg` must be HS256 and the signature the
    /// HMAC-SHA-256 of the signing input keyed with one of `secrets` (compared in constant time).
    /// - Throws: `invalid_client`.
    public static func verifySecret(_ jws: ParsedJWS, secrets: [[UInt8]]) throws(OAuthError) {
        guard jws.header.alg == secretAlgorithm else {
            throw .invalidClient("a client_secret_jwt client signs its assertion with HS256, not \(printable(jws.header.alg))")
        }
        var valid = false
        for secret in secrets {
            // Every secret is tried, so the time does not tell which one matched.
            let tag = Digest.hmacSHA256(key: secret, message: jws.signingInput)
            valid = ConstantTime.equals(tag, jws.signature) || valid
        }
        guard valid else { throw .invalidClient("client_assertion's signature is invalid") }
    }

    /// Verifies a `private_key_jwt` assertion with the key `publicKey` returns for its header
    /// (`alg` must be RS256, ES256 or EdDSA and match the key; never `none` or HMAC).
    /// - Throws: `invalid_client`.
    public static func verifyPublicKey(
        _ jws: ParsedJWS, client: Client, publicKey: (Client, JWSHeader) async throws -> SignatureVerifier
    ) async throws {
        guard publicKeyAlgorithms.contains(jws.header.alg) else {
            throw OAuthError.invalidClient(
                "a private_key_jwt client signs its assertion with \(publicKeyAlgorithms.joined(separator: ", ")), not \(printable(jws.header.alg))")
        }
        let verifier = try await publicKey(client, jws.header)
        guard jws.verify(with: verifier) else { throw OAuthError.invalidClient("client_assertion's signature is invalid") }
    }

    /// Authenticates `client` with `assertion`: the signature by the client's registered method,
    /// the claims (``check(_:clientID:audiences:now:)``), then the `jti` once (RFC 7523 §3 item 7).
    /// - Throws: `invalid_client` for every failure, a replay included.
    static func authenticate(
        _ parsed: (jws: ParsedJWS, claims: Claims), client: Client, context: ClientAssertionContext, now: Date
    ) async throws {
        switch client.tokenEndpointAuthMethod {
        case .clientSecretJWT?:
            var sealed = [client.sealedSecret].compactMap { $0 }
            if let previous = client.sealedPreviousSecret, let until = client.previousSecretExpiresAt, now < until {
                sealed.append(previous)
            }
            guard !sealed.isEmpty else {
                throw OAuthError.invalidClient(
                    "client authentication failed", debug: "client_secret_jwt client without a sealed secret: rotate its secret")
            }
            try verifySecret(parsed.jws, secrets: try sealed.map(context.unseal))
        case .privateKeyJWT?:
            try await verifyPublicKey(parsed.jws, client: client, publicKey: context.publicKey)
        default:
            throw OAuthError.invalidClient("this client is not registered for JWT client authentication")
        }
        try check(parsed.claims, clientID: client.clientID, audiences: context.audiences, now: now)
        let keepUntil = Date(timeIntervalSince1970: parsed.claims.expiresAt + leeway)
        guard try await context.replay.recordClientAssertion(clientID: client.clientID, jti: parsed.claims.jti, expiresAt: keepUntil) else {
            throw OAuthError.invalidClient("client_assertion was already used (jti)")
        }
    }

    /// `value` cut to 20 printable ASCII characters, for an `error_description`.
    public static func printable(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }.prefix(20).map(Character.init))
    }
}
