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
    }

    /// Authenticates the client of a token-endpoint-style request.
    ///
    /// - `client_secret_basic`: RFC 6749 §2.3.1 — the client id and secret are each
    ///   `application/x-www-form-urlencoded` before being joined with `:` and Base64-encoded, so
    ///   they are form-decoded here after splitting on the first `:`.
    /// - `client_secret_post`: `client_id` and `client_secret` in the form body.
    /// - `none`: a public client sends only `client_id`.
    ///
    /// RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
    ///
    /// - Parameters:
    ///   - authorization: the `Authorization` header, if any.
    ///   - parameters: the form body.
    ///   - findClient: looks a `client_id` up in this tenant only; a key of another tenant is unknown.
    /// - Throws: `invalid_client` (401 with `WWW-Authenticate`) for unknown clients and bad
    ///   secrets; `invalid_request` for malformed or multiple credentials.
    public static func authenticate(
        authorization: String?,
        parameters: FormParameters,
        now: Date,
        findClient: (String) async throws -> Client?
    ) async throws -> AuthenticatedClient {
        let credentials = try extract(authorization: authorization, parameters: parameters)
        guard credentials.clientID.utf8.count <= 128, let client = try await findClient(credentials.clientID) else {
            throw OAuthError.invalidClient("client authentication failed")
        }
        switch client.type {
        case .public:
            guard credentials.method == .none else {
                throw OAuthError.invalidClient("public clients do not authenticate with a secret")
            }
        case .confidential:
            guard credentials.method != .none, let secret = credentials.secret, client.secretMatches(secret, at: now) else {
                throw OAuthError.invalidClient("client authentication failed")
            }
        }
        return AuthenticatedClient(client: client, method: credentials.method)
    }

    static func extract(authorization: String?, parameters: FormParameters) throws -> Credentials {
        let bodySecret = parameters["client_secret"]
        if let authorization, authorization.utf8.count > 6, authorization.prefix(6).lowercased() == "basic " {
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
