import Foundation
import GatehouseCrypto

/// JWT-Secured Authorization Requests (RFC 9101): the `request` parameter carries the
/// authorization request as a JWT signed by the client, by value (§5.1). Fetching a request object
/// by reference (`request_uri` pointing at the client, §5.2) is not offered; the only `request_uri`
/// values accepted are those of pushed authorization requests (RFC 9126).
///
/// Rules (docs/contract.md, "JWT-secured authorization requests"):
/// - The object is a compact JWS of at most ``maximumBytes`` bytes; `typ`, when present, is
///   `oauth-authz-req+jwt` (§10.8) or `JWT`. Unsigned objects (`alg: none`) are refused.
/// - It is verified with the client's registered keys: `jwks` or `jwks_uri` for EdDSA, ES256 and
///   RS256, or the sealed secret of a `client_secret_jwt` client for HS256 (OIDC Core §10.1). A
///   client with neither cannot send request objects.
/// - `aud` must name the tenant's issuer (§4; RFC 9126 §3 for pushed objects), `iss` and
///   `client_id`, when present, must be the `client_id` of the query (§5: "MUST be identical"),
///   `exp`, `nbf` and `iat`, when present, are checked with ``leeway``.
/// - Only the parameters of the object are used; the other query parameters are ignored (§6.3).
/// - Every failure is `invalid_request_object` (§7) shown on the error page, never redirected:
///   before the signature holds, no redirect URI of the request can be trusted (RFC 6749 §4.1.2.1).
public enum RequestObject {
    /// Largest `request` accepted, in bytes.
    public static let maximumBytes = 16_384
    /// Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
    public static let leeway: TimeInterval = 60
    /// RFC 9101 §10.8 / §11.5: the explicit media type of a request object.
    public static let mediaType = "oauth-authz-req+jwt"
    /// The `typ` values accepted (absent is accepted too): the RFC's, with or without the
    /// `application/` prefix (RFC 7515 §4.1.9), and the generic `JWT` many clients still send.
    static let acceptedTypes: Set<String> = [mediaType, "application/" + mediaType, "jwt", "application/jwt"]
    /// OIDC Discovery §3 `request_object_signing_alg_values_supported`: the public-key algorithms
    /// of `private_key_jwt` and HS256 for `client_secret_jwt` clients; never `none`.
    public static let algorithms = ClientAssertion.publicKeyAlgorithms + [ClientAssertion.secretAlgorithm]
    /// JWT claims that are not authorization request parameters (RFC 7519 §4.1).
    static let registeredClaims: Set<String> = ["iss", "aud", "exp", "iat", "nbf", "jti", "sub"]

    /// The parameters an authorization request stands for: those of its request object, verified,
    /// or `parameters` unchanged when there is no `request`.
    /// - Parameters:
    ///   - parameters: the authorization request (query, form, or a pushed request's body).
    ///   - issuer: the tenant's issuer identifier, the audience the object must name.
    ///   - keys: the client's keys (``ClientAssertionContext/publicKey``) and sealed-secret opener.
    ///   - findClient: looks a `client_id` up in this tenant only.
    /// - Returns: `client_id` first, then the object's members as parameters (strings as they are,
    ///   integers as decimal text, booleans as `true`/`false`, objects such as `claims` as JSON
    ///   text, arrays of strings as a repeated parameter).
    /// - Throws: ``OAuthError``, never redirectable: `invalid_request` when `client_id` is missing
    ///   or `request_uri` comes with `request`, `invalid_client` for an unknown client,
    ///   `invalid_request_object` for everything about the object.
    public static func resolve(
        _ parameters: FormParameters, issuer: String, keys: ClientAssertionContext, now: Date,
        findClient: (String) async throws -> Client?
    ) async throws -> FormParameters {
        guard let object = parameters["request"] else { return parameters }
        if parameters.duplicatedNames.contains("request") {
            throw OAuthError.invalidRequest("parameter 'request' is included more than once").notRedirectable
        }
        if parameters["request_uri"] != nil {
            throw OAuthError.invalidRequest("request and request_uri cannot be used together (RFC 9101 §5)").notRedirectable
        }
        guard let clientID = parameters["client_id"], !parameters.duplicatedNames.contains("client_id") else {
            throw OAuthError.invalidRequest("client_id is missing: it is sent beside the request object (RFC 9101 §5)").notRedirectable
        }
        guard clientID.utf8.count <= 128, let client = try await findClient(clientID) else {
            throw OAuthError.invalidClient("unknown client_id").notRedirectable
        }
        let jws = try await verified(object, client: client, keys: keys, now: now)
        guard let claims = JSONValue.parse(jws.payload), case .object(let members) = claims else {
            throw invalid("the request object's payload is not a JSON object")
        }
        try check(members, clientID: clientID, issuer: issuer, now: now)
        var pairs: [(name: String, value: String)] = [(name: "client_id", value: clientID)]
        for (name, value) in members.sorted(by: { $0.key < $1.key }) where !registeredClaims.contains(name) && name != "client_id" {
            switch value {
            case .string(let text): pairs.append((name, text))
            case .bool(let flag): pairs.append((name, flag ? "true" : "false"))
            case .number:
                guard let text = value.text else { throw invalid("the request object's \(ClientAssertion.printable(name)) is not an integer") }
                pairs.append((name, text))
            case .object: pairs.append((name, value.sortedText))
            case .array(let items):
                guard let texts = value.strings, !items.isEmpty else {
                    throw invalid("the request object's \(ClientAssertion.printable(name)) is not a list of strings")
                }
                pairs += texts.map { (name, $0) }
            case .null: continue
            }
        }
        return FormParameters(pairs: pairs)
    }

    /// The object parsed and its signature verified with `client`'s registered keys.
    /// - Throws: `invalid_request_object`.
    static func verified(_ object: String, client: Client, keys: ClientAssertionContext, now: Date) async throws -> ParsedJWS {
        guard object.utf8.count <= maximumBytes else { throw invalid("the request object is larger than \(maximumBytes) bytes") }
        guard let jws = try? JWS.parse(object) else { throw invalid("the request object is not a signed JWT (compact JWS)") }
        if let type = jws.header.typ, !acceptedTypes.contains(type.lowercased()) {
            throw invalid("the request object's typ must be \(mediaType)")
        }
        let alg = jws.header.alg
        if alg == ClientAssertion.secretAlgorithm {
            // OIDC Core §10.1: HS256 keyed with the client secret, kept sealed for client_secret_jwt clients only.
            guard client.tokenEndpointAuthMethod == .clientSecretJWT else {
                throw invalid("only client_secret_jwt clients sign request objects with HS256")
            }
            var sealed = [client.sealedSecret].compactMap { $0 }
            if let previous = client.sealedPreviousSecret, let until = client.previousSecretExpiresAt, now < until { sealed.append(previous) }
            var valid = false
            for secret in try sealed.map(keys.unseal) {
                // Every secret is tried, so the time does not tell which one matched.
                valid = ConstantTime.equals(Digest.hmacSHA256(key: secret, message: jws.signingInput), jws.signature) || valid
            }
            guard valid else { throw invalid("the request object's signature is invalid") }
            return jws
        }
        guard ClientAssertion.publicKeyAlgorithms.contains(alg) else {
            throw invalid("request objects are signed with \(algorithms.joined(separator: ", ")), not \(ClientAssertion.printable(alg))")
        }
        guard client.jwks != nil || client.jwksURI != nil else {
            throw invalid("the client has no registered keys (jwks or jwks_uri) to verify its request object with")
        }
        let verifier: SignatureVerifier
        do { verifier = try await keys.publicKey(client, jws.header) } catch let error as OAuthError {
            throw invalid("no key of the client's jwks or jwks_uri verifies the request object", debug: error.logDetail)
        }
        guard jws.verify(with: verifier) else { throw invalid("the request object's signature is invalid") }
        return jws
    }

    /// The claim checks of RFC 9101 §4–§5 and RFC 7519 §4.1 on a verified object.
    /// - Throws: `invalid_request_object` naming the failed check.
    static func check(_ members: [String: JSONValue], clientID: String, issuer: String, now: Date) throws(OAuthError) {
        for name in ["request", "request_uri"] where members[name] != nil {
            throw invalid("a request object must not contain \(name) (RFC 9101 §4)")
        }
        if let iss = members["iss"], iss.string != clientID { throw invalid("the request object's iss must be the client_id") }
        if let inner = members["client_id"], inner.string != clientID {
            throw invalid("the request object's client_id differs from the client_id parameter (RFC 9101 §5)")
        }
        guard let audiences = members["aud"]?.strings, audiences.contains(issuer) else {
            throw invalid("the request object's aud must name this issuer")
        }
        let now = now.timeIntervalSince1970
        func time(_ name: String) throws(OAuthError) -> Double? {
            guard let value = members[name] else { return nil }
            guard let seconds = value.number, seconds.isFinite else { throw invalid("the request object's \(name) is not a number") }
            return seconds
        }
        if let exp = try time("exp"), exp + leeway <= now { throw invalid("the request object has expired") }
        if let nbf = try time("nbf"), nbf > now + leeway { throw invalid("the request object is not valid yet (nbf)") }
        if let iat = try time("iat"), iat > now + leeway { throw invalid("the request object was issued in the future (iat)") }
    }

    static func invalid(_ description: String, debug: String? = nil, fileID: String = #fileID, line: Int = #line) -> OAuthError {
        OAuthError(.invalidRequestObject, description, redirectable: false, debug: debug, fileID: fileID, line: line)
    }
}
