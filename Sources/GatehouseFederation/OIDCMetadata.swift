import Foundation
import GatehouseCore

/// The parts of an OpenID Provider's discovery document that sign-in needs (OIDC Discovery §3).
public struct OIDCMetadata: Decodable, Sendable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var userinfoEndpoint: String?
    public var jwksURI: String
    public var tokenEndpointAuthMethodsSupported: [String]?
    /// RFC 9207 §3: the provider sends `iss` in authorization responses.
    public var authorizationResponseIssParameterSupported: Bool?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case userinfoEndpoint = "userinfo_endpoint"
        case jwksURI = "jwks_uri"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
    }

    /// Parses and checks a discovery document fetched from `url`.
    ///
    /// OIDC Discovery §4.3: the issuer must be the URL the document was fetched from minus
    /// `/.well-known/openid-configuration`. Exceptions: an issuer template with `{tenantid}`
    /// (checked per token against `tid` instead), and Microsoft, whose directory names in URLs
    /// (`common`, domains) differ from the issuer's directory id.
    /// - Throws: ``FederationError`` `invalidResponse` for a malformed or inconsistent document.
    public static func parse(
        _ body: [UInt8], fetchedFrom url: String, kind: UpstreamProvider.Kind,
        allowHTTP: Bool
    ) throws(FederationError) -> OIDCMetadata {
        guard let metadata = try? JSONDecoder().decode(OIDCMetadata.self, from: Data(body)) else {
            throw FederationError(.invalidResponse, "the provider's discovery document lacks issuer, authorization_endpoint, token_endpoint or jwks_uri")
        }
        guard !metadata.issuer.isEmpty else { throw FederationError(.invalidResponse, "the discovery document has an empty issuer") }
        for (value, name) in [
            (metadata.authorizationEndpoint, "authorization_endpoint"), (metadata.tokenEndpoint, "token_endpoint"),
            (metadata.jwksURI, "jwks_uri"), (metadata.userinfoEndpoint ?? metadata.tokenEndpoint, "userinfo_endpoint"),
        ]
        where !UpstreamProvider.isAcceptableURL(value, allowHTTP: allowHTTP) {
            throw FederationError(.invalidResponse, "the discovery document's \(name) is not an acceptable URL")
        }
        let templated = metadata.issuer.contains(IDTokenValidation.tenantPlaceholder)
        if !templated, kind != .microsoft {
            var expected = metadata.issuer
            while expected.hasSuffix("/") { expected.removeLast() }
            guard url == expected + "/.well-known/openid-configuration" else {
                throw FederationError(.invalidResponse, "the discovery document's issuer \(metadata.issuer) does not match its URL")
            }
        }
        return metadata
    }
}
