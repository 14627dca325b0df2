import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseOutbound
import Synchronization

/// The parameters of an authorization response at our callback (RFC 6749 §4.1.2, RFC 9207).
public struct AuthorizationCallback: Sendable {
    public var code: String?
    public var iss: String?
    public var error: String?
    public var errorDescription: String?

    public init(code: String?, iss: String?, error: String?, errorDescription: String?) {
        self.code = code
        self.iss = iss
        self.error = error
        self.errorDescription = errorDescription
    }
}

/// Signs users in with upstream providers: builds authorization requests and turns callbacks into
/// verified ``UpstreamProfile``s. Every outbound call goes through GatehouseOutbound's
/// ``HTTPClient`` under ``FederationSettings/outboundPolicy`` (timeouts, size limit, SSRF guard).
///
/// Caches (discovery documents and key sets) are keyed by the caller's `cacheKey`, which names the
/// tenant, the provider and its version, so nothing is shared between tenants and an updated
/// provider starts afresh.
public final class FederationService: Sendable {
    public let settings: FederationSettings
    let http: HTTPClient
    let clock: any GatehouseCore.Clock
    private let metadataCache = Mutex<[String: (metadata: OIDCMetadata, fetchedAt: Double)]>([:])
    let keySets = KeySetCache()
    /// The key sets of clients' `jwks_uri` (``clientKey(for:jwksURI:cacheKey:)``).
    let clientKeySets = KeySetCache()

    public init(settings: FederationSettings, clock: any GatehouseCore.Clock) {
        self.settings = settings
        self.clock = clock
        self.http = HTTPClient(policy: settings.outboundPolicy, maxConcurrentTransfers: 8)
    }

    /// Monotonic seconds for cache ages.
    var monotonicNow: Double { ProcessInfo.processInfo.systemUptime }

    /// Drops cached documents of providers whose cache keys start with `prefix`.
    public func forget(prefix: String) {
        metadataCache.withLock { cache in cache = cache.filter { !$0.key.hasPrefix(prefix) } }
        keySets.forget(prefix: prefix)
    }

    // MARK: Authorization request

    /// The URL to send the browser to: the provider's authorization endpoint with `response_type=code`,
    /// `client_id`, `redirect_uri`, `scope`, `state`, PKCE S256 (RFC 7636), and for OpenID
    /// Connect `nonce` and `login_hint`.
    /// - Throws: ``FederationError`` when the discovery document cannot be fetched or is invalid.
    public func authorizationURL(
        for provider: UpstreamProvider, cacheKey: String, redirectURI: String, state: String,
        nonce: String, codeChallenge: String, loginHint: String?
    ) async throws(FederationError) -> String {
        var params: [(String, String)] = [
            ("response_type", "code"), ("client_id", provider.clientID), ("redirect_uri", redirectURI),
            ("scope", provider.effectiveScopes.joined(separator: " ")), ("state", state),
            ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
        ]
        let endpoint: String
        if provider.kind.isOpenIDConnect {
            endpoint = try await metadata(for: provider, cacheKey: cacheKey).authorizationEndpoint
            params.append(("nonce", nonce))
            if let loginHint, !loginHint.isEmpty { params.append(("login_hint", loginHint)) }
        } else {
            guard let url = provider.effectiveAuthorizationURL else { throw FederationError(.misconfigured, "\(provider.name) has no authorization URL") }
            endpoint = url
        }
        if params.first(where: { $0.0 == "scope" })?.1.isEmpty == true { params.removeAll { $0.0 == "scope" } }
        return endpoint + (endpoint.contains("?") ? "&" : "?") + FormEncoding.encode(params)
    }

    // MARK: Callback

    /// Finishes a sign-in: checks the authorization response, redeems the code (with the PKCE
    /// verifier) and establishes who signed in.
    ///
    /// OpenID Connect: RFC 9207 `iss` when sent (required when the provider advertises it,
    /// RFC 9700 §4.4 mix-up defence), the ID token's signature against the provider's JWKS, then
    /// its claims (``IDTokenValidation``); missing email falls back to the userinfo endpoint
    /// (whose `sub` must match). OAuth 2.0: the user-info endpoint through the claim mapping.
    /// GitHub: `/user` and the verified primary address of `/user/emails`.
    /// - Throws: ``FederationError`` for every failure.
    public func completeSignIn(
        provider: UpstreamProvider, cacheKey: String, callback: AuthorizationCallback,
        nonce: String, codeVerifier: String, redirectURI: String
    ) async throws(FederationError) -> UpstreamProfile {
        var metadata: OIDCMetadata?
        if provider.kind.isOpenIDConnect { metadata = try await self.metadata(for: provider, cacheKey: cacheKey) }
        if let iss = callback.iss {
            let expected = metadata?.issuer ?? provider.effectiveIssuer ?? ""
            guard IDTokenValidation.issuerMatches(iss, template: expected) else {
                throw FederationError(.issuerMismatch, "the authorization response came from another issuer (\(iss)), not \(provider.name)")
            }
        } else if metadata?.authorizationResponseIssParameterSupported == true {
            throw FederationError(.issuerMismatch, "\(provider.name) announces RFC 9207 iss but its authorization response has none")
        }
        if let error = callback.error {
            if error == "access_denied" {
                throw FederationError(.accessDenied, "the sign-in at \(provider.name) was cancelled or denied")
            }
            let detail = callback.errorDescription.map { ": \(String($0.prefix(200)))" } ?? ""
            throw FederationError(.upstreamError, "\(provider.name) answered \(String(error.prefix(64)))\(detail)")
        }
        guard let code = callback.code, !code.isEmpty else {
            throw FederationError(.invalidResponse, "\(provider.name)'s authorization response has no code")
        }
        if let metadata {
            return try await completeOpenIDConnect(
                provider, metadata: metadata, cacheKey: cacheKey, code: code, nonce: nonce,
                codeVerifier: codeVerifier, redirectURI: redirectURI)
        }
        return try await completeOAuth2(provider, code: code, codeVerifier: codeVerifier, redirectURI: redirectURI)
    }

    // MARK: OpenID Connect

    /// The provider's discovery document (OpenID Connect Discovery 1.0 §4), cached per `cacheKey`.
    public func metadata(for provider: UpstreamProvider, cacheKey: String) async throws(FederationError) -> OIDCMetadata {
        let now = monotonicNow
        if let cached = metadataCache.withLock({ $0[cacheKey] }), now - cached.fetchedAt < settings.metadataCacheSeconds {
            return cached.metadata
        }
        guard let url = provider.effectiveDiscoveryURL else { throw FederationError(.misconfigured, "\(provider.name) has no discovery URL") }
        let response = try await get(url, what: "the discovery document of \(provider.name)")
        let metadata = try OIDCMetadata.parse(response.body, fetchedFrom: url, kind: provider.kind, allowHTTP: settings.allowHTTP)
        metadataCache.withLock { cache in
            if cache.count > 4096 { cache.removeAll() }
            cache[cacheKey] = (metadata, now)
        }
        return metadata
    }

    func completeOpenIDConnect(
        _ provider: UpstreamProvider, metadata: OIDCMetadata, cacheKey: String, code: String, nonce: String,
        codeVerifier: String, redirectURI: String
    ) async throws(FederationError) -> UpstreamProfile {
        let basic = metadata.tokenEndpointAuthMethodsSupported.map { $0.contains("client_secret_basic") || !$0.contains("client_secret_post") } ?? true
        let tokens = try await redeem(
            provider, tokenURL: metadata.tokenEndpoint, code: code, codeVerifier: codeVerifier,
            redirectURI: redirectURI, basicAuthentication: basic)
        guard let idToken = tokens["id_token"]?.string else {
            throw FederationError(.invalidResponse, "\(provider.name)'s token response has no id_token")
        }
        let parsed: ParsedJWS
        do { parsed = try JWS.parse(idToken) } catch { throw .invalidToken("it is not a signed JWT") }
        let verifier = try await keySets.verifier(
            for: parsed.header, key: cacheKey, now: monotonicNow, maxAge: settings.metadataCacheSeconds,
            refetchInterval: settings.jwksRefetchIntervalSeconds
        ) { () async throws(FederationError) -> [UInt8] in
            try await self.get(metadata.jwksURI, what: "the JWKS of \(provider.name)").body
        }
        guard parsed.verify(with: verifier) else { throw .invalidToken("its signature is invalid") }
        guard let claims = JSONValue.parse(parsed.payload) else { throw .invalidToken("its payload is not JSON") }
        let expectations = IDTokenExpectations(
            issuer: metadata.issuer, clientID: provider.clientID, nonce: nonce,
            now: clock.now.timeIntervalSince1970, leeway: settings.clockSkewSeconds)
        let token = try IDTokenValidation.validate(claims, expectations)
        var profile = UpstreamProfile(
            issuer: token.issuer, subject: token.subject, email: token.email, emailVerified: token.emailVerified,
            name: token.name, amr: token.amr)
        if profile.email == nil, let userinfo = metadata.userinfoEndpoint, let accessToken = tokens["access_token"]?.string {
            // OIDC Core §5.3.2: the userinfo `sub` must be the ID token's.
            let info = try await getJSON(userinfo, bearer: accessToken, what: "the userinfo endpoint of \(provider.name)")
            if info["sub"]?.string == token.subject {
                profile.email = info["email"]?.string
                profile.emailVerified = info["email_verified"]?.isTrue ?? false
                if profile.name == nil { profile.name = info["name"]?.string }
            }
        }
        if profile.email == nil, provider.kind == .microsoft, let username = token.preferredUsername, username.contains("@") {
            // Microsoft often sends no `email`; its `preferred_username` is an unverified address.
            profile.email = username
            profile.emailVerified = false
        }
        return profile
    }

    // MARK: OAuth 2.0 and GitHub

    func completeOAuth2(
        _ provider: UpstreamProvider, code: String, codeVerifier: String,
        redirectURI: String
    ) async throws(FederationError) -> UpstreamProfile {
        guard let tokenURL = provider.effectiveTokenURL, let userinfoURL = provider.effectiveUserinfoURL,
            let issuer = provider.effectiveIssuer
        else {
            throw FederationError(.misconfigured, "\(provider.name) lacks a token URL, user-info URL or issuer")
        }
        let tokens = try await redeem(
            provider, tokenURL: tokenURL, code: code, codeVerifier: codeVerifier, redirectURI: redirectURI,
            basicAuthentication: provider.kind != .github)
        guard let accessToken = tokens["access_token"]?.string, !accessToken.isEmpty else {
            throw FederationError(.invalidResponse, "\(provider.name)'s token response has no access_token")
        }
        if let type = tokens["token_type"]?.string, type.lowercased() != "bearer" {
            throw FederationError(.invalidResponse, "\(provider.name) issued a \(type) token, not a bearer token")
        }
        let info = try await getJSON(userinfoURL, bearer: accessToken, what: "the user-info endpoint of \(provider.name)")
        if provider.kind == .github {
            return try await gitHubProfile(provider, info: info, userURL: userinfoURL, accessToken: accessToken, issuer: issuer)
        }
        let mapping = provider.claimMapping
        guard let subject = info.value(atPath: mapping.subject)?.text, !subject.isEmpty, subject.utf8.count <= 255 else {
            throw FederationError(.invalidResponse, "\(provider.name)'s user info has no '\(mapping.subject)' (the subject)")
        }
        return UpstreamProfile(
            issuer: issuer, subject: subject, email: info.value(atPath: mapping.email)?.string,
            emailVerified: info.value(atPath: mapping.emailVerified)?.isTrue ?? false,
            name: info.value(atPath: mapping.name)?.string)
    }

    /// GitHub: the numeric `id` is the subject; the email is the verified primary one of
    /// `GET {userinfo_url}/emails` (needs the `user:email` scope).
    func gitHubProfile(
        _ provider: UpstreamProvider, info: JSONValue, userURL: String, accessToken: String,
        issuer: String
    ) async throws(FederationError) -> UpstreamProfile {
        guard let subject = info["id"]?.text, !subject.isEmpty else {
            throw FederationError(.invalidResponse, "\(provider.name)'s /user answer has no id")
        }
        let name = info["name"]?.string ?? info["login"]?.string
        var email: String?
        var verified = false
        let emails = try await getJSON(userURL + "/emails", bearer: accessToken, what: "the emails API of \(provider.name)")
        let entries = emails.array ?? []
        if let primary = entries.first(where: { $0["primary"]?.isTrue == true }), let address = primary["email"]?.string {
            email = address
            verified = primary["verified"]?.isTrue ?? false
        }
        if email == nil { email = info["email"]?.string }
        return UpstreamProfile(issuer: issuer, subject: subject, email: email, emailVerified: verified, name: name)
    }

    // MARK: HTTP

    /// Redeems an authorization code (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636 §4.5).
    func redeem(
        _ provider: UpstreamProvider, tokenURL: String, code: String, codeVerifier: String, redirectURI: String,
        basicAuthentication: Bool
    ) async throws(FederationError) -> JSONValue {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", codeVerifier)]
        var headers: [OutboundHeader] = [("Accept", "application/json")]
        if let secret = provider.clientSecret {
            if basicAuthentication {
                // RFC 6749 §2.3.1: both parts form-encoded before base64.
                let raw = FormEncoding.component(provider.clientID) + ":" + FormEncoding.component(secret)
                headers.append(("Authorization", "Basic " + Data(raw.utf8).base64EncodedString()))
            } else {
                form += [("client_id", provider.clientID), ("client_secret", secret)]
            }
        } else {
            form.append(("client_id", provider.clientID))
        }
        let what = "the token endpoint of \(provider.name)"
        let response: OutboundResponse
        do { response = try await http.postForm(url: tokenURL, form: form, headers: headers) } catch {
            throw FederationError.transport(error, talkingTo: what)
        }
        var body = JSONValue.parse(response.body)
        if body == nil, (response.header("content-type") ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") {
            body = Self.formDocument(response.bodyText)
        }
        if let error = body?["error"]?.string {
            throw FederationError(.upstreamError, "\(what) refused the code (\(String(error.prefix(64))))")
        }
        guard response.status == 200, let body, case .object = body else {
            throw FederationError(.invalidResponse, "\(what) answered HTTP \(response.status)")
        }
        return body
    }

    /// A form-encoded body (GitHub's legacy token answer) as a JSON object of strings.
    static func formDocument(_ text: String) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            members[decode(parts[0])] = .string(parts.count > 1 ? decode(parts[1]) : "")
        }
        return .object(members)
    }

    func get(_ url: String, headers: [OutboundHeader] = [("Accept", "application/json")], what: String) async throws(FederationError) -> OutboundResponse {
        let response: OutboundResponse
        do { response = try await http.get(url: url, headers: headers) } catch {
            throw FederationError.transport(error, talkingTo: what)
        }
        guard response.status == 200 else { throw FederationError(.invalidResponse, "\(what) answered HTTP \(response.status)") }
        return response
    }

    func getJSON(_ url: String, bearer: String, what: String) async throws(FederationError) -> JSONValue {
        let response = try await get(url, headers: [("Accept", "application/json"), ("Authorization", "Bearer \(bearer)")], what: what)
        guard let body = JSONValue.parse(response.body) else { throw FederationError(.invalidResponse, "\(what) did not answer JSON") }
        return body
    }
}
