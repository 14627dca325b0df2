import Foundation
import GatehouseCrypto

/// A client that proved its identity at the token, introspection or revocation endpoint.
public struct AuthenticatedClient: Sendable {
    public let client: Client
    public let method: ClientAuthenticationMethod

    public init(client: Client, method: ClientAuthenticationMethod) {
        self.client = client
        self.method = method
    }
}

/// Client authentication (RFC 6749 §2.3).
public enum ClientAuthentication {
    /// Credentials found in a request.
    struct Credentials {
        var clientID: String
        var secret: String?
        var method: ClientAuthenticationMethod
        /// A JWT client assertion (RFC 7523 §2.2), parsed but not verified; `method` is then
        /// `private_key_jwt` until the client's registration says which JWT method it is.
        var assertion: (jws: ParsedJWS, claims: ClientAssertion.Claims)?
    }

    /// Authenticates the client of a token-endpoint-style request.
    ///
    /// - `client_secret_basic`: RFC 6749 §2.3.1 — the client id and secret are each
    ///   `application/x-www-form-urlencoded` before being joined with `:` and Base64-encoded, so
    ///   they are form-decoded here after splitting on the first `:`.
    /// - `client_secret_post`: `client_id` and `client_secret` in the form body.
    /// - `none`: a public client sends only `client_id`.
    /// - `client_secret_jwt`, `private_key_jwt`: `client_assertion_type`
    ///   `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, a JWT
    ///   whose `sub` names the client (RFC 7523 §2.2, §3; OIDC Core §9); `client_id` is optional
    ///   and must then be the `sub`. Checked by ``ClientAssertion``.
    ///
    /// RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
    /// request." A client whose `token_endpoint_auth_method` is registered authenticates with that
    /// method only (RFC 7591 §2); one registered without it as before (``Client/acceptedAuthenticationMethods``).
    ///
    /// - Parameters:
    ///   - authorization: the `Authorization` header, if any.
    ///   - parameters: the form body.
    ///   - findClient: looks a `client_id` up in this tenant only; a key of another tenant is unknown.
    ///   - assertions: what checking a JWT assertion needs; nil refuses assertions.
    /// - Throws: `invalid_client` (401 with `WWW-Authenticate`) for unknown clients, bad
    ///   secrets, a method the client is not registered for, and every assertion failure;
    ///   `invalid_request` for malformed or multiple credentials.
    public static func authenticate(
        authorization: String?,
        parameters: FormParameters,
        now: Date,
        assertions: ClientAssertionContext? = nil,
        findClient: (String) async throws -> Client?
    ) async throws -> AuthenticatedClient {
        let credentials = try extract(authorization: authorization, parameters: parameters)
        guard credentials.clientID.utf8.count <= 128, let client = try await findClient(credentials.clientID) else {
            throw OAuthError.invalidClient("client authentication failed")
        }
        if let assertion = credentials.assertion {
            guard let assertions, let method = client.tokenEndpointAuthMethod, method.isAssertion else {
                throw OAuthError.invalidClient("this client is not registered for JWT client authentication")
            }
            try await ClientAssertion.authenticate(assertion, client: client, context: assertions, now: now)
            return AuthenticatedClient(client: client, method: method)
        }
        guard client.acceptedAuthenticationMethods.contains(credentials.method) else {
            if let registered = client.tokenEndpointAuthMethod, registered != .none {
                throw OAuthError.invalidClient("this client is registered for \(registered.rawValue)")
            }
            throw OAuthError.invalidClient(
                client.type == .public ? "public clients do not authenticate with a secret" : "client authentication failed")
        }
        if client.type == .confidential {
            guard let secret = credentials.secret, client.secretMatches(secret, at: now) else {
                throw OAuthError.invalidClient("client authentication failed")
            }
        }
        return AuthenticatedClient(client: client, method: credentials.method)
    }

    static func extract(authorization: String?, parameters: FormParameters) throws -> Credentials {
        let bodySecret = parameters["client_secret"]
        let assertion = parameters["client_assertion"]
        let assertionType = parameters["client_assertion_type"]
        let isBasic = authorization.map { $0.utf8.count > 6 && $0.prefix(6).lowercased() == "basic " } ?? false
        if assertion != nil || assertionType != nil {
            if isBasic || bodySecret != nil {
                throw OAuthError.invalidRequest("more than one client authentication method")
            }
            guard assertionType == ClientAssertion.assertionType else {
                throw OAuthError.invalidClient("client_assertion_type must be \(ClientAssertion.assertionType)")
            }
            guard let assertion else { throw OAuthError.invalidClient("client_assertion is missing") }
            let parsed = try ClientAssertion.parse(assertion)
            if let bodyID = parameters["client_id"], bodyID != parsed.claims.subject {
                throw OAuthError.invalidClient("client_id does not match the client_assertion's sub")
            }
            return Credentials(clientID: parsed.claims.subject, secret: nil, method: .privateKeyJWT, assertion: parsed)
        }
        if let authorization, isBasic {
            if bodySecret != nil {
                throw OAuthError.invalidRequest("more than one client authentication method")
            }
            let encoded = String(authorization.dropFirst(6).drop(while: { $0 == " " }))
            guard let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8),
                let colon = decoded.firstIndex(of: ":"),
                let id = FormParameters.decodeComponent(decoded[..<colon]),
                let secret = FormParameters.decodeComponent(decoded[decoded.index(after: colon)...]),
                !id.isEmpty
            else {
                throw OAuthError.invalidClient("malformed HTTP Basic credentials")
            }
            if let bodyID = parameters["client_id"], bodyID != id {
                throw OAuthError.invalidRequest("client_id does not match the authenticated client")
            }
            return Credentials(clientID: id, secret: secret, method: .clientSecretBasic)
        }
        guard let id = parameters["client_id"] else {
            throw OAuthError.invalidClient("client authentication is required")
        }
        if let bodySecret { return Credentials(clientID: id, secret: bodySecret, method: .clientSecretPost) }
        return Credentials(clientID: id, secret: nil, method: .none)
    }
}
