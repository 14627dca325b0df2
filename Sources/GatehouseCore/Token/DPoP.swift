import Foundation
import GatehouseCrypto

/// What DPoP (RFC 9449) keeps in the tenant's database: the `jti` of accepted proofs until they
/// fall outside the acceptance window (§11.1), and the keys a grant is bound to (§5, §10).
public protocol DPoPStore: Sendable {
    /// Records the proof identifier `jti` (stored as its SHA-256) until `expiresAt`, if no live
    /// record of it exists (RFC 9449 §4.3 item 12, §11.1).
    /// - Returns: `true` for the first use, `false` for a replay; two concurrent calls with the
    ///   same `jti` return `true` once.
    func recordDPoPProof(jti: String, expiresAt: Date) async throws -> Bool
    /// Binds `grantID` to the JWK thumbprint `jkt`: its authorization code (`.code`, the
    /// authorization request's `dpop_jkt`, RFC 9449 §10) or its refresh tokens (`.refresh`, a
    /// public client's, §5). Replaces an earlier binding of the same kind.
    /// - Throws: `invalid_dpop_proof` when `jkt` is not a thumbprint (``DPoP/isThumbprint(_:)``).
    func bindDPoPKey(grantID: GrantID, kind: DPoPBindingKind, jkt: String, at: Date) async throws
    /// The keys `grantID` is bound to; both nil for an unbound grant.
    func dpopKeys(grantID: GrantID) async throws -> DPoPGrantKeys
}

/// What a DPoP binding of a grant applies to.
public enum DPoPBindingKind: String, Sendable {
    /// The authorization code (RFC 9449 §10 `dpop_jkt`).
    case code
    /// Every refresh token of the grant (RFC 9449 §5, public clients).
    case refresh
}

/// The JWK thumbprints a grant is bound to.
public struct DPoPGrantKeys: Sendable, Equatable {
    public var codeJKT: String?
    public var refreshJKT: String?

    public init(codeJKT: String? = nil, refreshJKT: String? = nil) {
        self.codeJKT = codeJKT
        self.refreshJKT = refreshJKT
    }
}

/// A DPoP proof that passed every check of RFC 9449 §4.3 except the `jti` replay check and the
/// nonce, which need state (``DPoPRequest/accept(now:)``).
public struct DPoPProof: Sendable, Equatable {
    /// The RFC 7638 SHA-256 thumbprint of the proof's `jwk` (base64url, 43 characters): the
    /// `cnf.jkt` of tokens bound to it (RFC 9449 §6.1).
    public var jkt: String
    public var jti: String
    /// Seconds since the epoch.
    public var issuedAt: Double
    public var nonce: String?
}

/// Server-provided DPoP nonces (RFC 9449 §8, §9): stateless, the HMAC of the tenant id and a
/// time window under a key derived from the instance master key, so every node of an instance
/// issues and accepts the same nonces and a nonce of one tenant is worthless at another.
public struct DPoPNonces: Sendable {
    /// Seconds a window lasts; a nonce is accepted in its window and the next (5 to 10 minutes).
    public static let window: Int64 = 300
    let key: [UInt8]
    let tenantID: String

    public init(key: [UInt8], tenantID: String) {
        self.key = key
        self.tenantID = tenantID
    }

    func nonce(window: Int64) -> String {
        Base64URL.encode(Digest.hmacSHA256(key: key, message: Array("dpop-nonce|\(tenantID)|\(window)".utf8)))
    }

    /// The nonce to send now in `DPoP-Nonce`.
    public func current(at now: Date) -> String { nonce(window: now.numericDate / Self.window) }

    /// Whether `presented` is this tenant's nonce of the current or the previous window
    /// (compared in constant time).
    public func isValid(_ presented: String, at now: Date) -> Bool {
        let window = now.numericDate / Self.window
        let current = ConstantTime.equals(presented, nonce(window: window))
        let previous = ConstantTime.equals(presented, nonce(window: window - 1))
        return current || previous
    }
}

/// The DPoP side of one request to the token endpoint or a protected resource (RFC 9449 §4.3).
public struct DPoPRequest: Sendable {
    /// The `DPoP` header fields of the request: none, one, or (refused) several.
    public var proofs: [String]
    /// The request's method (`htm`).
    public var method: String
    /// The URI the server is reached at for this endpoint (the tenant's issuer + the endpoint's
    /// path), which `htu` must name (§4.3 item 9).
    public var uri: String
    public var nonces: DPoPNonces
    /// The tenant setting `dpop_nonce_required` (§8).
    public var nonceRequired: Bool
    public var store: any DPoPStore

    public init(proofs: [String], method: String, uri: String, nonces: DPoPNonces, nonceRequired: Bool, store: any DPoPStore) {
        self.proofs = proofs
        self.method = method
        self.uri = uri
        self.nonces = nonces
        self.nonceRequired = nonceRequired
        self.store = store
    }

    /// Validates the request's proof (``DPoP/validate(_:method:uri:accessToken:now:)``), then the
    /// nonce (§8: `use_dpop_nonce` when nonces are required and the proof lacks the current one,
    /// or names a nonce that is not this tenant's) and records its `jti` (§11.1: a replay is
    /// `invalid_dpop_proof`). The nonce is checked first, so that a proof refused for its nonce
    /// does not use up its `jti`.
    /// - Returns: nil when the request has no `DPoP` header.
    /// - Throws: `invalid_dpop_proof`, `use_dpop_nonce`.
    public func accept(accessToken: String? = nil, now: Date) async throws -> DPoPProof? {
        guard !proofs.isEmpty else { return nil }
        guard proofs.count == 1, let compact = proofs.first else {
            throw OAuthError(.invalidDPoPProof, "send exactly one DPoP header")
        }
        let proof = try DPoP.validate(compact, method: method, uri: uri, accessToken: accessToken, now: now)
        if let nonce = proof.nonce {
            guard nonces.isValid(nonce, at: now) else { throw OAuthError(.useDPoPNonce, "the DPoP proof's nonce is not current") }
        } else if nonceRequired {
            throw OAuthError(.useDPoPNonce, "the DPoP proof must carry the server's nonce (DPoP-Nonce)")
        }
        let keepUntil = Date(timeIntervalSince1970: proof.issuedAt + 2 * DPoP.acceptanceWindow)
        guard try await store.recordDPoPProof(jti: proof.jti, expiresAt: keepUntil) else {
            throw OAuthError(.invalidDPoPProof, "the DPoP proof was already used (jti)")
        }
        return proof
    }
}

/// DPoP proof validation (RFC 9449 §4.2, §4.3).
public enum DPoP {
    /// A proof's `iat` may be at most this many seconds before or after the server's time
    /// (§4.3 item 11, §11.1): the acceptance window. Its `jti` is remembered twice as long after `iat`.
    public static let acceptanceWindow: TimeInterval = 60
    /// Largest proof accepted, in bytes (an RS256 proof with a 4096-bit key is about 2 KiB).
    public static let maximumBytes = 8192
    /// Largest `jti` accepted, in bytes.
    public static let maximumJTIBytes = 256
    /// The `typ` of a proof (§4.2).
    public static let type = "dpop+jwt"
    /// The asymmetric algorithms accepted (§4.3 item 5): those ``SignatureVerifier`` verifies;
    /// discovery's `dpop_signing_alg_values_supported` (§5.1).
    public static let algorithms = JWSAlgorithm.allCases.map(\.rawValue)
    /// JWK members of private or symmetric keys (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2):
    /// a proof's `jwk` carrying one is refused (§4.3 item 7).
    static let privateMembers: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// Whether `jkt` is a JWK SHA-256 thumbprint (RFC 7638 §3) in base64url: 43 characters
    /// decoding to 32 bytes. The only form a grant is bound to (§6.1 `cnf.jkt`, §10 `dpop_jkt`).
    public static func isThumbprint(_ jkt: String) -> Bool {
        jkt.utf8.count == 43 && Base64URL.decode(jkt)?.count == 32
    }

    /// The `ath` of an access token (§4.2): base64url of the SHA-256 of its ASCII octets.
    public static func accessTokenHash(_ token: String) -> String { Base64URL.encode(Digest.sha256(token)) }

    /// Checks one proof (§4.3 items 2–11 and `ath`):
    /// a JWT (§4.3 item 3) of at most ``maximumBytes`` with `typ: dpop+jwt` (item 4), an `alg` of
    /// ``algorithms`` — never `none` or a MAC (item 5) — a public `jwk` without private members
    /// (item 7) that verifies the signature (item 6), `htm` equal to `method` (item 8), `htu`
    /// naming `uri` once both are normalised and stripped of query and fragment (item 9,
    /// ``normalizedURI(_:)``), `iat` within ``acceptanceWindow`` of `now` (item 11), a `jti`
    /// (§4.2), and with `accessToken`, `ath` equal to its hash (item 10, §7).
    /// - Throws: `invalid_dpop_proof` naming the failed check.
    public static func validate(_ compact: String, method: String, uri: String, accessToken: String?, now: Date) throws(OAuthError) -> DPoPProof {
        func refuse(_ reason: String) -> OAuthError { OAuthError(.invalidDPoPProof, reason) }
        guard compact.utf8.count <= maximumBytes else { throw refuse("the DPoP proof is too large") }
        guard let jws = try? JWS.parse(compact) else { throw refuse("the DPoP proof is not a signed JWT") }
        guard jws.header.typ == type else { throw refuse("the DPoP proof's typ must be dpop+jwt") }
        guard algorithms.contains(jws.header.alg) else {
            throw refuse("the DPoP proof's alg must be one of \(algorithms.joined(separator: ", "))")
        }
        let headerPart = compact.prefix { $0 != "." }
        guard let headerBytes = Base64URL.decode(String(headerPart)), let header = JSONValue.parse(headerBytes),
            case .object(let jwkMembers)? = header["jwk"]
        else { throw refuse("the DPoP proof's header lacks a jwk") }
        guard privateMembers.isDisjoint(with: jwkMembers.keys) else { throw refuse("the DPoP proof's jwk contains a private key") }
        let jwk = JWK(
            kty: jwkMembers["kty"]?.string ?? "", crv: jwkMembers["crv"]?.string, x: jwkMembers["x"]?.string,
            y: jwkMembers["y"]?.string, n: jwkMembers["n"]?.string, e: jwkMembers["e"]?.string, alg: jwkMembers["alg"]?.string,
            use: jwkMembers["use"]?.string)
        guard let verifier = try? SignatureVerifier(jwk: jwk), let jkt = try? jwk.thumbprint() else {
            throw refuse("the DPoP proof's jwk is not a supported public key")
        }
        guard jws.verify(with: verifier) else { throw refuse("the DPoP proof's signature is invalid") }
        guard let claims = JSONValue.parse(jws.payload) else { throw refuse("the DPoP proof's payload is not a JSON object") }
        guard let jti = claims["jti"]?.string, !jti.isEmpty, jti.utf8.count <= maximumJTIBytes else {
            throw refuse("the DPoP proof lacks jti, or it is longer than \(maximumJTIBytes) bytes")
        }
        guard claims["htm"]?.string == method else { throw refuse("the DPoP proof's htm is not the request's method") }
        guard let htu = claims["htu"]?.string, let presented = normalizedURI(htu), presented == normalizedURI(uri) else {
            throw refuse("the DPoP proof's htu is not this endpoint's URI")
        }
        guard let iat = claims["iat"]?.number, iat.isFinite else { throw refuse("the DPoP proof lacks iat") }
        guard abs(iat - now.timeIntervalSince1970) <= acceptanceWindow else {
            throw refuse("the DPoP proof's iat is not within \(Int(acceptanceWindow)) seconds of the server's time")
        }
        var nonce: String?
        if let value = claims["nonce"] {
            guard let text = value.string else { throw refuse("the DPoP proof's nonce is not a string") }
            nonce = text
        }
        if let accessToken {
            guard let ath = claims["ath"]?.string else { throw refuse("the DPoP proof lacks ath") }
            guard ConstantTime.equals(ath, accessTokenHash(accessToken)) else {
                throw refuse("the DPoP proof's ath does not match the access token")
            }
        }
        return DPoPProof(jkt: jkt, jti: jti, issuedAt: iat, nonce: nonce)
    }

    /// `uri` without query and fragment, normalised per RFC 3986 §6.2.2 and §6.2.3 (RFC 9449
    /// §4.3 item 9): scheme and host in lower case, the default port (80 for http, 443 for https)
    /// removed, an empty path as `/`, percent-encodings in upper case and those of unreserved
    /// characters decoded, dot segments removed.
    /// - Returns: nil when `uri` is not an absolute `http` or `https` URI with a host.
    public static func normalizedURI(_ uri: String) -> String? {
        var text = Substring(uri)
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<cut] }
        guard let schemeEnd = text.range(of: "://") else { return nil }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { return nil }
        var port = ""
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            port = String(authority[authority.index(after: colon)...])
            authority = authority[..<colon]
            guard port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else { return nil }
        }
        let host = authority.lowercased()
        guard !host.isEmpty else { return nil }
        if port == "" || (scheme == "http" && port == "80") || (scheme == "https" && port == "443") { port = "" }
        guard let encoded = normalizedPercentEncoding(String(rest[authorityEnd...])) else { return nil }
        let path = removingDotSegments(encoded)
        return "\(scheme)://\(host)\(port.isEmpty ? "" : ":\(port)")\(path.isEmpty ? "/" : path)"
    }

    /// Upper-cases percent-encodings and decodes those of unreserved characters (RFC 3986 §6.2.2.1–2).
    static func normalizedPercentEncoding(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else { return nil }
            let value = high << 4 | low
            let character = Character(Unicode.Scalar(value))
            if character.isASCII, character.isLetter || character.isNumber || "-._~".contains(character) {
                output.append(value)
            } else {
                output += Array(String(format: "%%%02X", value).utf8)
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 §5.2.4 on an absolute path.
    static func removingDotSegments(_ path: String) -> String {
        guard path.contains(".") else { return path }
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (offset, segment) in segments.enumerated() {
            let last = offset == segments.count - 1
            switch segment {
            case ".": if last { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if last { output.append("") }
            default: output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }
}
