import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The machine-facing OIDC endpoints of a tenant: discovery, JWKS, token, userinfo,
/// introspection and revocation.
struct ProtocolController {
    let services: Services
    /// The headers of the discovery document and the JWKS: JSON, cacheable for less than the
    /// pre-publication window of new keys. Built once.
    let publicDocumentHeaders: HTTPFields

    init(services: Services) {
        self.services = services
        publicDocumentHeaders = [.contentType: "application/json", .cacheControl: "public, max-age=\(services.store.keyPolicy.jwksMaxAge)"]
    }

    /// Paths under the issuer that answer cross-origin requests from the tenant's allowed origins.
    static let corsPaths = [".well-known/openid-configuration", "jwks.json", "token", "userinfo", "introspect", "revoke", "par", "device_authorization"]

    func register(on group: RouterGroup<TenantRequestContext>) {
        // CORS outside, so that it decorates error responses too.
        let cors = group.group().add(middleware: TenantCORSMiddleware()).add(middleware: ErrorMiddleware(family: OAuthJSONErrors(services: services)))
        cors.get(".well-known/openid-configuration") { _, context in try await self.discovery(context) }
        cors.get("jwks.json") { _, context in try await self.jwks(context) }
        cors.post("token") { request, context in try await self.token(request, context) }
        cors.get("userinfo") { request, context in try await self.userinfo(request, context) }
        cors.post("userinfo") { request, context in try await self.userinfo(request, context) }
        cors.post("introspect") { request, context in try await self.introspect(request, context) }
        cors.post("revoke") { request, context in try await self.revoke(request, context) }
        cors.post("par") { request, context in try await self.pushAuthorization(request, context) }
        cors.post("device_authorization") { request, context in try await self.deviceAuthorization(request, context) }
        // Dynamic client registration (RFC 7591 §3) and client configuration (RFC 7592 §2).
        let registration = ClientRegistrationController(services: services)
        cors.post("register") { request, context in try await registration.register(request, context) }
        cors.get("register/:client") { request, context in try await registration.read(request, context) }
        cors.put("register/:client") { request, context in try await registration.update(request, context) }
        cors.delete("register/:client") { request, context in try await registration.delete(request, context) }
        // RFC 6749 §3.2: "The client MUST use the HTTP POST method"; other methods get 405.
        for path in ["token", "introspect", "revoke", "par", "device_authorization"] {
            cors.get(RouterPath(stringLiteral: path)) { _, context in self.methodNotAllowed(context) }
        }
        // Preflights are answered by the middleware.
        for path in Self.corsPaths {
            cors.on(RouterPath(stringLiteral: path), method: .options) { _, _ in Response(status: .noContent) }
        }
    }

    func methodNotAllowed(_ context: TenantRequestContext) -> Response {
        var response = OAuthError.invalidRequest("use POST").response(issuer: context.oauthIssuer)
        response.status = .methodNotAllowed
        response.headers[.allow] = "POST"
        return response
    }

    /// OIDC Discovery 1.0 §4 / RFC 8414 §3.
    func discovery(_ context: TenantRequestContext) async throws -> Response {
        let algorithms = context.tenant.tenant.settings.idTokenSigningAlgorithms.map(\.rawValue)
        let issuer = services.issuer(of: context.tenant)
        let requirePAR = context.tenant.tenant.settings.requirePushedAuthorizationRequests
        let registration = context.tenant.tenant.settings.dynamicClientRegistration != "off"
        let version = issuer + algorithms.joined() + (requirePAR ? " par" : "") + (registration ? " dcr" : "")
        let bytes = try services.documents.document("discovery", tenant: context.tenant.id, version: version) {
            var metadata = ProviderMetadata(issuer: issuer, signingAlgorithms: algorithms, deviceAuthorization: true)
            metadata.requirePushedAuthorizationRequests = requirePAR
            if registration { metadata.registrationEndpoint = issuer + ProviderMetadata.Path.registration }
            return try Responses.sortedEncoder.encode(metadata)
        }
        return Response(status: .ok, headers: publicDocumentHeaders, body: .init(byteBuffer: bytes))
    }

    /// The JWKS (RFC 7517 §5): every key that may verify a live token.
    func jwks(_ context: TenantRequestContext) async throws -> Response {
        let keys = try await context.database.keyRing(at: services.clock.now)
        struct JWKS: Encodable { let keys: [JWK] }
        let version = keys.jwks.map { $0.kid ?? "" }.joined(separator: ",")
        let bytes = try services.documents.document("jwks", tenant: context.tenant.id, version: version) {
            try Responses.sortedEncoder.encode(JWKS(keys: keys.jwks))
        }
        return Response(status: .ok, headers: publicDocumentHeaders, body: .init(byteBuffer: bytes))
    }

    /// A POST form body with nothing in the query string (RFC 6749 §3.2: parameters in the body).
    func postForm(_ request: Request) async throws -> FormParameters {
        if request.hasQueryParameters { throw OAuthError.invalidRequest("parameters must be sent in the request body") }
        return try await request.formParameters(limit: services.configuration.maxBodyBytes)
    }

    /// The token endpoint (RFC 6749 §3.2). Every response is `Cache-Control: no-store` (§5.1).
    /// A `DPoP` proof binds the access token (RFC 9449 §5); where the tenant requires nonces, every
    /// answer carries `DPoP-Nonce` (§8.1), the `use_dpop_nonce` error included.
    func token(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let parameters = try await postForm(request)
        var tokenContext = try await services.tokenContext(for: context.database)
        let dpop = services.dpopRequest(request, database: context.database, path: ProviderMetadata.Path.token)
        tokenContext.dpop = dpop
        let nonce: HTTPFields = dpop.nonceRequired ? [.dpopNonce: dpop.nonces.current(at: services.clock.now)] : [:]
        let response: TokenResponse
        do {
            response = try await TokenEndpoint.handle(
                parameters: parameters, authorization: request.headers[.authorization], context: tokenContext)
        } catch let error as OAuthError where dpop.nonceRequired || error.code == .useDPoPNonce {
            return dpopNonceRefusal(error, dpop, context)
        }
        GatehouseMetrics.shared.tokenIssued(grantType: parameters["grant_type"] ?? "")
        return Responses.json(body: ByteBuffer(bytes: response.jsonBody), headers: nonce, noStore: true)
    }

    /// UserInfo (OIDC Core §5.3): GET or POST with the access token in the Authorization header
    /// (RFC 6750 §2.1), or POST with it as the form-encoded body parameter `access_token` (§2.2).
    /// A token sent both ways is `invalid_request` (§2: "Clients MUST NOT use more than one method
    /// to transmit the token in each request"); the query parameter of §2.3 is not accepted.
    ///
    /// RFC 9449 §7: `Authorization: DPoP <token>` with a `DPoP` proof of the token's key (`htm`,
    /// `htu` of this endpoint, `ath` of the token); its refusals carry the `DPoP` challenge
    /// (§7.1), with `DPoP-Nonce` where the tenant requires nonces (§9).
    func userinfo(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        var token: String?
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        }
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("dpop ") {
            return try await dpopUserinfo(request, token: header.dropFirst(5).trimmingCharacters(in: .whitespaces), context)
        }
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if request.method == .post, type.hasPrefix("application/x-www-form-urlencoded") {
            let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
            if let sent = form["access_token"] {
                guard token == nil, !form.duplicatedNames.contains("access_token") else {
                    return bearerRefusal(
                        .invalidRequest("the access token must be sent once, in one way (RFC 6750 §2)"), status: .badRequest, context)
                }
                token = sent
            }
        }
        guard let token else {
            // RFC 6750 §3.1: no error code when the request carries no token.
            return bearerRefusal(nil, status: .unauthorized, context)
        }
        let response = try await UserinfoEndpoint.handle(
            accessToken: token, tokens: try await services.tokenService(for: context.database),
            store: context.database)
        return Responses.json(response, noStore: true)
    }

    /// UserInfo with `Authorization: DPoP <token>` (RFC 9449 §7.1): the proof first (its
    /// refusals are `invalid_dpop_proof` or `use_dpop_nonce`), then the token, which must be bound
    /// to the proof's key (``UserinfoEndpoint/handle(accessToken:tokens:store:dpopJKT:)``).
    func dpopUserinfo(_ request: Request, token: String, _ context: TenantRequestContext) async throws -> Response {
        let dpop = services.dpopRequest(request, database: context.database, path: ProviderMetadata.Path.userinfo)
        let nonce: HTTPFields = dpop.nonceRequired ? [.dpopNonce: dpop.nonces.current(at: services.clock.now)] : [:]
        do {
            guard !token.isEmpty else { throw OAuthError.invalidToken("the DPoP authorization carries no access token") }
            guard let proof = try await dpop.accept(accessToken: token, now: services.clock.now) else {
                throw OAuthError(.invalidDPoPProof, "a DPoP proof is required with the DPoP scheme")
            }
            let response = try await UserinfoEndpoint.handle(
                accessToken: token, tokens: try await services.tokenService(for: context.database), store: context.database,
                dpopJKT: proof.jkt)
            return Responses.json(response, headers: nonce, noStore: true)
        } catch let error as OAuthError where [.invalidToken, .invalidDPoPProof, .useDPoPNonce, .invalidRequest].contains(error.code) {
            let challenge = Self.dpopChallenge(error: error)
            let status: HTTPResponse.Status = error.code == .invalidRequest ? .badRequest : .unauthorized
            return Responses.json(
                ["error": error.code.rawValue, "error_description": error.description], status: status,
                headers: [.wwwAuthenticate: challenge] + (error.code == .useDPoPNonce ? [.dpopNonce: dpop.nonces.current(at: services.clock.now)] : nonce),
                noStore: true)
        }
    }

    /// An OAuth error answer with the tenant's current `DPoP-Nonce` (RFC 9449 §8.1: always with
    /// `use_dpop_nonce`, and with every answer where the tenant requires nonces).
    func dpopNonceRefusal(_ error: OAuthError, _ dpop: DPoPRequest, _ context: TenantRequestContext) -> Response {
        var refusal = error.response(issuer: context.oauthIssuer)
        refusal.headers.append(contentsOf: [.dpopNonce: dpop.nonces.current(at: services.clock.now)] as HTTPFields)
        return refusal
    }

    /// The DPoP challenge (RFC 9449 §7.1): `algs` lists the accepted proof algorithms.
    static func dpopChallenge(error: OAuthError?) -> String {
        var value = "DPoP algs=\"\(DPoP.algorithms.joined(separator: " "))\""
        if let error {
            value += ", error=\"\(error.code.rawValue)\", error_description=\"\(error.description.replacingOccurrences(of: "\"", with: "'"))\""
        }
        return value
    }

    /// A resource request refused with the Bearer challenge (RFC 6750 §3): `error` is nil when
    /// the request carried no token (§3.1), else its code goes into the challenge and the body.
    /// Without a token the `DPoP` challenge follows (RFC 9449 §7.1: both schemes are accepted).
    func bearerRefusal(_ error: OAuthError?, status: HTTPResponse.Status, _ context: TenantRequestContext) -> Response {
        var challenge: HTTPFields = [.wwwAuthenticate: Responses.bearerChallenge(issuer: context.oauthIssuer, error: error)]
        guard let error else {
            challenge.append(HTTPField(name: .wwwAuthenticate, value: Self.dpopChallenge(error: nil)))
            return Response(status: status, headers: challenge + [.cacheControl: "no-store"])
        }
        return Responses.json(
            ["error": error.code.rawValue, "error_description": error.description], status: status, headers: challenge, noStore: true)
    }

    /// Token introspection (RFC 7662).
    func introspect(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let parameters = try await postForm(request)
        let response = try await TokenIntrospection.introspect(
            parameters: parameters, authorization: request.headers[.authorization],
            context: try await services.tokenContext(for: context.database, endpoint: ProviderMetadata.Path.introspection))
        return Responses.json(body: ByteBuffer(bytes: response.jsonBody), noStore: true)
    }

    /// Token revocation (RFC 7009 §2.2: 200 for valid and unknown tokens alike).
    func revoke(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let parameters = try await postForm(request)
        try await TokenIntrospection.revoke(
            parameters: parameters, authorization: request.headers[.authorization],
            context: try await services.tokenContext(for: context.database, endpoint: ProviderMetadata.Path.revocation))
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }

    /// The pushed authorization request endpoint (RFC 9126 §2): 201 with `request_uri` and
    /// `expires_in` (§2.2); errors as at the token endpoint (§2.3).
    func pushAuthorization(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let parameters = try await postForm(request)
        var tokenContext = try await services.tokenContext(for: context.database, endpoint: ProviderMetadata.Path.pushedAuthorization)
        let dpop = services.dpopRequest(request, database: context.database, path: ProviderMetadata.Path.pushedAuthorization)
        tokenContext.dpop = dpop
        do {
            let response = try await PushedAuthorization.push(
                parameters: parameters, authorization: request.headers[.authorization], tenant: context.tenant.tenant,
                context: tokenContext, store: context.database)
            return Responses.json(response, status: .created, noStore: true)
        } catch let error as OAuthError where error.code == .useDPoPNonce {
            return dpopNonceRefusal(error, dpop, context)
        }
    }

    /// The device authorization endpoint (RFC 8628 §3.1): 200 with the §3.2 response, errors as at
    /// the token endpoint (§3.2: RFC 6749 §5.2).
    func deviceAuthorization(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let parameters = try await postForm(request)
        let issuer = services.issuer(of: context.tenant)
        let response = try await DeviceFlow.authorize(
            parameters: parameters, authorization: request.headers[.authorization],
            context: try await services.tokenContext(for: context.database, endpoint: ProviderMetadata.Path.deviceAuthorization),
            store: context.database, verificationURI: issuer + ProviderMetadata.Path.deviceVerification)
        return Responses.json(response, status: .ok, noStore: true)
    }
}
