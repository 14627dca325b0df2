import Foundation
import GatehouseCore
import GatehouseCrypto

/// What an upstream ID token must say (OIDC Core §3.1.3.7).
public struct IDTokenExpectations: Sendable {
    /// The discovered issuer. May contain `{tenantid}` (Microsoft's multi-tenant issuer), which is
    /// replaced by the token's `tid` before comparing: the template is matched, never skipped.
    public var issuer: String
    /// Our client id at the provider: must be in `aud`.
    public var clientID: String
    /// The `nonce` we sent.
    public var nonce: String
    /// Seconds since 1970 now.
    public var now: Double
    /// Allowed clock skew in seconds.
    public var leeway: Double

    public init(issuer: String, clientID: String, nonce: String, now: Double, leeway: Double) {
        self.issuer = issuer
        self.clientID = clientID
        self.nonce = nonce
        self.now = now
        self.leeway = leeway
    }
}

/// The claims of an ID token that passed every check.
public struct ValidatedIDToken: Sendable, Equatable {
    public var issuer: String
    public var subject: String
    public var email: String?
    public var emailVerified: Bool
    public var name: String?
    public var amr: [String]
    public var preferredUsername: String?
}

/// The claim rules of an upstream ID token, each its own named check (OIDC Core §3.1.3.7).
/// The signature is checked before these run (by `FederationService`, with a key from ``KeySetCache``).
public enum IDTokenValidation {
    /// The placeholder of multi-tenant issuer templates.
    public static let tenantPlaceholder = "{tenantid}"

    public struct Check: Sendable {
        public let name: String
        let run: @Sendable (JSONValue, IDTokenExpectations) throws(FederationError) -> Void
    }

    /// The rules, in order.
    public static let checks: [Check] = [
        Check(name: "iss equals the discovered issuer, {tenantid} from tid (OIDC Core §3.1.3.7 step 2)") { claims, expected throws(FederationError) in
            guard let iss = claims["iss"]?.string else { throw .invalidToken("iss is missing") }
            guard iss == (try expectedIssuer(expected.issuer, claims: claims)) else {
                throw .invalidToken("its issuer \(iss) is not \(expected.issuer)")
            }
        },
        Check(name: "aud contains our client id (step 3)") { claims, expected throws(FederationError) in
            guard let audiences = claims["aud"]?.strings, !audiences.isEmpty else { throw .invalidToken("aud is missing") }
            guard audiences.contains(expected.clientID) else { throw .invalidToken("it was issued to another client (aud)") }
        },
        Check(name: "azp, when present or with several audiences, is our client id (steps 4–5)") { claims, expected throws(FederationError) in
            let audiences = claims["aud"]?.strings ?? []
            if let azp = claims["azp"] {
                guard azp.string == expected.clientID else { throw .invalidToken("it was issued to another party (azp)") }
            } else if audiences.count > 1 {
                throw .invalidToken("it has several audiences and no azp")
            }
        },
        Check(name: "exp is in the future (step 9)") { claims, expected throws(FederationError) in
            guard let exp = claims["exp"]?.number else { throw .invalidToken("exp is missing") }
            guard expected.now < exp + expected.leeway else { throw .invalidToken("it has expired") }
        },
        Check(name: "iat is present and not in the future (step 10)") { claims, expected throws(FederationError) in
            guard let iat = claims["iat"]?.number else { throw .invalidToken("iat is missing") }
            guard iat <= expected.now + expected.leeway else { throw .invalidToken("it was issued in the future (iat)") }
        },
        Check(name: "nbf, when present, has passed (RFC 7519 §4.1.5)") { claims, expected throws(FederationError) in
            guard let nbf = claims["nbf"] else { return }
            guard let value = nbf.number, value <= expected.now + expected.leeway else { throw .invalidToken("it is not valid yet (nbf)") }
        },
        Check(name: "nonce equals the one we sent (step 11)") { claims, expected throws(FederationError) in
            guard let nonce = claims["nonce"]?.string else { throw .invalidToken("nonce is missing") }
            guard ConstantTime.equals(nonce, expected.nonce) else { throw .invalidToken("its nonce does not match this sign-in") }
        },
        Check(name: "sub is a non-empty string of at most 255 characters (OIDC Core §2)") { claims, _ throws(FederationError) in
            guard let sub = claims["sub"]?.string, !sub.isEmpty, sub.utf8.count <= 255 else { throw .invalidToken("sub is missing or invalid") }
        },
    ]

    /// The issuer a token must carry: `template`, with `{tenantid}` replaced by the token's `tid`.
    /// - Throws: when the template needs a `tid` and the token has none (or a malformed one).
    public static func expectedIssuer(_ template: String, claims: JSONValue) throws(FederationError) -> String {
        guard template.contains(tenantPlaceholder) else { return template }
        guard let tid = claims["tid"]?.string, !tid.isEmpty, tid.utf8.count <= 64,
            tid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else {
            throw .invalidToken("its issuer is a multi-tenant template and tid is missing or invalid")
        }
        return template.replacingOccurrences(of: tenantPlaceholder, with: tid)
    }

    /// Whether an RFC 9207 `iss` authorization response parameter names the provider: equal to the
    /// issuer, or, for a `{tenantid}` template, equal to it with some tenant id.
    public static func issuerMatches(_ iss: String, template: String) -> Bool {
        guard let range = template.range(of: tenantPlaceholder) else { return iss == template }
        let prefix = template[..<range.lowerBound], suffix = template[range.upperBound...]
        guard iss.hasPrefix(prefix), iss.hasSuffix(suffix), iss.count > prefix.count + suffix.count else { return false }
        let middle = iss.dropFirst(prefix.count).dropLast(suffix.count)
        return middle.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// Runs every check on verified claims.
    /// - Returns: the identity the token asserts.
    /// - Throws: the first failing check's ``FederationError`` (reason `invalidToken`).
    public static func validate(_ claims: JSONValue, _ expected: IDTokenExpectations) throws(FederationError) -> ValidatedIDToken {
        guard case .object = claims else { throw .invalidToken("its payload is not a JSON object") }
        for check in checks { try check.run(claims, expected) }
        return ValidatedIDToken(
            issuer: claims["iss"]?.string ?? "", subject: claims["sub"]?.string ?? "", email: claims["email"]?.string,
            emailVerified: claims["email_verified"]?.isTrue ?? false, name: claims["name"]?.string,
            amr: claims["amr"]?.strings ?? [], preferredUsername: claims["preferred_username"]?.string)
    }
}
