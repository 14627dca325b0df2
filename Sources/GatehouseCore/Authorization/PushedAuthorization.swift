import Foundation
import GatehouseCrypto

/// Where pushed authorization requests (RFC 9126 §2) wait for the authorization endpoint, per tenant.
public protocol PushedAuthorizationStore: Sendable {
    /// Stores the parameters of a pushed request under the SHA-256 of its `request_uri`.
    /// - Parameters:
    ///   - requestURI: the whole `urn:ietf:params:oauth:request_uri:…` value (stored as its SHA-256).
    ///   - clientID: the client that pushed it.
    ///   - parameters: the authorization request parameters, `application/x-www-form-urlencoded`.
    ///   - expiresAt: when it stops being usable; housekeeping deletes it afterwards.
    func storePushedAuthorization(requestURI: String, clientID: String, parameters: String, expiresAt: Date) async throws
    /// Removes and returns the parameters of a live pushed request of `clientID` (RFC 9126 §4:
    /// one-time use). Returns nil when it is unknown, already used, expired at `now` or another
    /// client's (which leaves it in place). Two concurrent calls return it once.
    func takePushedAuthorization(requestURI: String, clientID: String, now: Date) async throws -> String?
}

/// Pushed Authorization Requests (RFC 9126).
public enum PushedAuthorization {
    /// RFC 9126 §2.2: the `request_uri` prefix.
    public static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
    /// RFC 9126 §2.2 `expires_in`, in seconds.
    public static let lifetime = 60
    /// Parameters of client authentication (RFC 6749 §2.3, RFC 7523 §2.2) left out of the stored request.
    static let authenticationParameters: Set<String> = ["client_secret", "client_assertion", "client_assertion_type"]

    /// The successful response (RFC 9126 §2.2), sent with status 201.
    public struct Response: Codable, Sendable, Equatable {
        public let requestURI: String
        /// Seconds.
        public let expiresIn: Int
        enum CodingKeys: String, CodingKey {
            case requestURI = "request_uri"
            case expiresIn = "expires_in"
        }
    }

    /// Handles a request at the pushed authorization request endpoint (RFC 9126 §2.1).
    ///
    /// The client authenticates as at the token endpoint (``ClientAuthentication``); the other
    /// parameters are checked by ``AuthorizationEndpoint/validate(_:tenant:findClient:)`` and
    /// stored for ``lifetime`` seconds.
    /// - Throws: `invalid_client` (401) for failed authentication; `invalid_request` for a
    ///   `request_uri` in the body (§2.1) and every refusal of the authorization endpoint's checks,
    ///   which keep their own codes (`invalid_scope`, `unauthorized_client`…), as RFC 9126 §2.3.
    public static func push(
        parameters: FormParameters, authorization: String?, tenant: Tenant, context: TokenContext,
        store: any PushedAuthorizationStore
    ) async throws -> Response {
        let now = context.now
        let client = try await ClientAuthentication.authenticate(
            authorization: authorization, parameters: parameters, now: now, assertions: context.clientAssertions,
            findClient: context.store.client(clientID:)
        ).client
        if parameters["request_uri"] != nil {
            throw OAuthError.invalidRequest("request_uri is not allowed in a pushed authorization request (RFC 9126 §2.1)")
        }
        var pairs = parameters.pairs.filter { !authenticationParameters.contains($0.name) && $0.name != "client_id" }
        pairs.insert((name: "client_id", value: client.clientID), at: 0)
        // RFC 9126 §3: a pushed request object is verified now (RFC 9101 §6.3) and its parameters stored.
        var request = FormParameters(pairs: pairs)
        if let keys = context.clientAssertions {
            do {
                request = try await RequestObject.resolve(
                    request, issuer: context.tokens.issuer, keys: keys, now: now, findClient: { id in id == client.clientID ? client : nil })
            } catch let error as OAuthError {
                throw OAuthError(error.code, error.description, debug: error.debugReason)
            }
        } else if request["request"] != nil {
            throw OAuthError(.requestNotSupported, "request objects are not supported here")
        }
        pairs = request.pairs
        // RFC 9449 §10.1: a DPoP proof sent with the pushed request binds its code to the proof's
        // key, as `dpop_jkt` does; both at once must name the same key.
        if let proof = try await context.dpop?.accept(now: now) {
            if let named = request["dpop_jkt"] {
                guard named == proof.jkt else {
                    throw OAuthError(.invalidDPoPProof, "dpop_jkt does not name the key of the DPoP proof (RFC 9449 §10.1)")
                }
            } else {
                pairs.append((name: "dpop_jkt", value: proof.jkt))
                request = FormParameters(pairs: pairs)
            }
        }
        switch try await AuthorizationEndpoint.validate(request, tenant: tenant, findClient: { id in id == client.clientID ? client : nil }) {
        case .errorPage(let error), .errorRedirect(let error, _):
            throw OAuthError(error.code, error.description)
        case .accepted:
            break
        }
        let requestURI = requestURIPrefix + RandomText.bearerSecret()
        try await store.storePushedAuthorization(
            requestURI: requestURI, clientID: client.clientID, parameters: FormParameters.encode(pairs.map { ($0.name, $0.value) }),
            expiresAt: now.addingTimeInterval(TimeInterval(lifetime)))
        return Response(requestURI: requestURI, expiresIn: lifetime)
    }

    /// The parameters an authorization request stands for (RFC 9126 §4): those of the pushed
    /// request its `request_uri` names, taken once, or the query itself without a pushed one.
    ///
    /// Only `client_id` of the query is looked at beside `request_uri`; the rest is ignored.
    /// - Parameter required: the tenant requires pushed requests (RFC 9126 §5).
    /// - Throws: ``OAuthError`` `invalid_request_uri`, not redirectable (the user sees an error
    ///   page), for an unknown, used, expired or another client's `request_uri`;
    ///   `invalid_request`, not redirectable, when `client_id` is missing or a required push is not used.
    public static func resolve(
        _ parameters: FormParameters, store: any PushedAuthorizationStore, now: Date, required: Bool = false
    ) async throws -> FormParameters {
        guard let requestURI = parameters["request_uri"], requestURI.hasPrefix(requestURIPrefix) else {
            if required {
                throw OAuthError.invalidRequest("authorization requests must be pushed to the PAR endpoint first (RFC 9126 §5)")
                    .notRedirectable
            }
            return parameters
        }
        guard let clientID = parameters["client_id"], !parameters.duplicatedNames.contains("client_id") else {
            throw OAuthError.invalidRequest("client_id is missing").notRedirectable
        }
        guard requestURI.utf8.count <= 256, clientID.utf8.count <= 128,
            let stored = try await store.takePushedAuthorization(requestURI: requestURI, clientID: clientID, now: now),
            let pushed = try? FormParameters(encoded: stored)
        else {
            throw OAuthError(.invalidRequestURI, "request_uri is unknown, used or expired", redirectable: false)
        }
        return pushed
    }
}
