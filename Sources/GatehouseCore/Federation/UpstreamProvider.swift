import Foundation

public enum UpstreamProviderIDKind: IdentifierKind { public static let prefix = "idp_" }
public enum UpstreamIdentityIDKind: IdentifierKind { public static let prefix = "idn_" }

/// The id of an upstream login provider of a tenant (`idp_…`).
public typealias UpstreamProviderID = Identifier<UpstreamProviderIDKind>
/// The id of an upstream identity linked to a user (`idn_…`).
public typealias UpstreamIdentityID = Identifier<UpstreamIdentityIDKind>

/// An upstream login provider of a tenant: another OpenID Connect or OAuth 2.0 server whose
/// users may sign in to the tenant.
///
/// The client secret is plain here; the store seals it with the instance master key and the
/// admin API never shows it.
public struct UpstreamProvider: Sendable, Equatable {
    /// What protocol the provider speaks and which preset applies.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// OpenID Connect from a discovery URL.
        case oidc
        /// OAuth 2.0 without OIDC: authorization, token and user-info URLs plus a claim mapping.
        case oauth2
        /// GitHub (OAuth 2.0; the verified primary email comes from `{userinfo_url}/emails`).
        case github
        /// Google (OpenID Connect).
        case google
        /// Microsoft identity platform v2.0 (OpenID Connect; multi-tenant issuer template).
        case microsoft

        /// Whether sign-in ends with an ID token (OIDC Core §3.1.3.7).
        public var isOpenIDConnect: Bool { self == .oidc || self == .google || self == .microsoft }
    }

    /// Which fields of an OAuth 2.0 user-info answer hold the identity (kind `oauth2`).
    /// Each value is a member name, or a dotted path into nested objects (`data.id`).
    public struct ClaimMapping: Codable, Sendable, Equatable {
        /// The stable user identifier. Default `sub`. Numbers are used as their decimal text.
        public var subject: String
        /// The email address. Default `email`.
        public var email: String
        /// Whether the provider verified the email (`true` or `"true"`). Default `email_verified`;
        /// an absent field means not verified.
        public var emailVerified: String
        /// The display name. Default `name`.
        public var name: String

        public init(subject: String = "sub", email: String = "email", emailVerified: String = "email_verified", name: String = "name") {
            self.subject = subject
            self.email = email
            self.emailVerified = emailVerified
            self.name = name
        }

        enum CodingKeys: String, CodingKey {
            case subject, email, name
            case emailVerified = "email_verified"
        }
    }

    public var id: UpstreamProviderID
    /// The provider's name in URLs (`/t/{tenant}/federation/{slug}/…`) and in `idp_hint`:
    /// 1–63 characters of `a-z`, `0-9` and `-`; unique in the tenant.
    public var slug: String
    public var kind: Kind
    /// Shown on the login button ("Continue with {name}").
    public var name: String
    public var enabled: Bool
    /// Our client id at the provider.
    public var clientID: String
    /// Our client secret at the provider; nil for a public client (PKCE only).
    public var clientSecret: String?
    /// OIDC discovery document URL (kind `oidc`; optional override for `google` and `microsoft`).
    public var discoveryURL: String?
    /// The upstream issuer that identities are keyed by (kinds `oauth2` and `github`); OIDC kinds
    /// use the discovered issuer.
    public var issuer: String?
    /// Endpoints of OAuth 2.0 kinds (`oauth2`; optional overrides for `github`).
    public var authorizationURL: String?
    public var tokenURL: String?
    public var userinfoURL: String?
    /// Scopes requested from the provider; empty means the kind's default.
    public var scopes: [String]
    public var claimMapping: ClaimMapping
    /// Microsoft: `common` (default), `organizations`, `consumers`, or a directory (tenant) id or domain.
    public var microsoftTenant: String?
    /// Whether an upstream `amr` that shows multi-factor authentication counts as MFA here.
    public var trustUpstreamMFA: Bool
    /// Whether a first sign-in with an unknown identity may create a user. Default true.
    public var allowSignup: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UpstreamProviderID, slug: String, kind: Kind, name: String, enabled: Bool = true, clientID: String,
        clientSecret: String? = nil, discoveryURL: String? = nil, issuer: String? = nil, authorizationURL: String? = nil,
        tokenURL: String? = nil, userinfoURL: String? = nil, scopes: [String] = [], claimMapping: ClaimMapping = ClaimMapping(),
        microsoftTenant: String? = nil, trustUpstreamMFA: Bool = false, allowSignup: Bool = true,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.slug = slug
        self.kind = kind
        self.name = name
        self.enabled = enabled
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.discoveryURL = discoveryURL
        self.issuer = issuer
        self.authorizationURL = authorizationURL
        self.tokenURL = tokenURL
        self.userinfoURL = userinfoURL
        self.scopes = scopes
        self.claimMapping = claimMapping
        self.microsoftTenant = microsoftTenant
        self.trustUpstreamMFA = trustUpstreamMFA
        self.allowSignup = allowSignup
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    // MARK: Presets

    /// GitHub's endpoints (docs.github.com "Authorizing OAuth apps").
    public enum GitHub {
        public static let authorizationURL = "https://github.com/login/oauth/authorize"
        public static let tokenURL = "https://github.com/login/oauth/access_token"
        public static let userinfoURL = "https://api.github.com/user"
        public static let issuer = "https://github.com"
    }

    /// Google's discovery document.
    public static let googleDiscoveryURL = "https://accounts.google.com/.well-known/openid-configuration"

    /// The discovery URL in effect: the configured one, or the preset's.
    public var effectiveDiscoveryURL: String? {
        if let discoveryURL, !discoveryURL.isEmpty { return discoveryURL }
        switch kind {
        case .google: return Self.googleDiscoveryURL
        case .microsoft:
            let directory = microsoftTenant.flatMap { $0.isEmpty ? nil : $0 } ?? "common"
            return "https://login.microsoftonline.com/\(directory)/v2.0/.well-known/openid-configuration"
        default: return nil
        }
    }

    /// OAuth 2.0 endpoints in effect (kinds `oauth2` and `github`).
    public var effectiveAuthorizationURL: String? { authorizationURL ?? (kind == .github ? GitHub.authorizationURL : nil) }
    public var effectiveTokenURL: String? { tokenURL ?? (kind == .github ? GitHub.tokenURL : nil) }
    public var effectiveUserinfoURL: String? { userinfoURL ?? (kind == .github ? GitHub.userinfoURL : nil) }

    /// The issuer identities of OAuth 2.0 kinds are keyed by: the configured one, GitHub's, or the
    /// origin of the authorization URL.
    public var effectiveIssuer: String? {
        if let issuer, !issuer.isEmpty { return issuer }
        if kind == .github, authorizationURL == nil { return GitHub.issuer }
        return effectiveAuthorizationURL.flatMap(Self.origin(of:))
    }

    /// The scopes in effect: the configured ones, or the kind's default.
    public var effectiveScopes: [String] {
        if !scopes.isEmpty { return scopes }
        switch kind {
        case .oidc, .google, .microsoft: return ["openid", "email", "profile"]
        case .github: return ["read:user", "user:email"]
        case .oauth2: return []
        }
    }

    /// `scheme://host[:port]` of a URL.
    public static func origin(of url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host, !host.isEmpty else { return nil }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme.lowercased())://\(hostPart.lowercased())" + (c.port.map { ":\($0)" } ?? "")
    }

    // MARK: Validation

    /// Whether `slug` can name a provider: 1–63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
    public static func isValidSlug(_ slug: String) -> Bool {
        guard (1...63).contains(slug.count), !slug.hasPrefix("-"), !slug.hasSuffix("-") else { return false }
        return slug.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// A slug made from a display name: lowercase letters and digits, other runs become `-`.
    public static func slug(fromName name: String) -> String {
        var out = ""
        for scalar in name.lowercased().unicodeScalars {
            if (scalar.value >= 0x61 && scalar.value <= 0x7A) || (scalar.value >= 0x30 && scalar.value <= 0x39) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "provider" : String(out.prefix(50))
    }

    /// Whether `url` is an absolute `https` URL (or `http` when `allowHTTP`) with a host and no fragment.
    public static func isAcceptableURL(_ url: String, allowHTTP: Bool) -> Bool {
        guard url.utf8.count <= 2048, let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(),
            scheme == "https" || (allowHTTP && scheme == "http"),
            let host = c.host, !host.isEmpty, c.fragment == nil, c.user == nil, c.password == nil
        else { return false }
        return true
    }

    /// Every problem with this configuration, as `(field, message)` with admin API field names.
    /// - Parameter allowHTTP: whether `http://` URLs are allowed (`[federation] allow_http`).
    public func validate(allowHTTP: Bool) -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        let urlRule = allowHTTP ? "must be an absolute http(s) URL" : "must be an absolute https URL"
        func checkURL(_ value: String?, _ field: String) {
            if let value, !Self.isAcceptableURL(value, allowHTTP: allowHTTP) { problems.append((field, urlRule)) }
        }
        if !Self.isValidSlug(slug) { problems.append(("slug", "must be 1–63 characters of a-z, 0-9 and '-'")) }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(("name", "must not be empty")) }
        if clientID.isEmpty { problems.append(("client_id", "must not be empty")) }
        checkURL(discoveryURL, "discovery_url")
        checkURL(authorizationURL, "authorization_url")
        checkURL(tokenURL, "token_url")
        checkURL(userinfoURL, "userinfo_url")
        if let issuer, issuer.isEmpty || issuer.utf8.count > 2048 { problems.append(("issuer", "must be 1–2048 characters")) }
        switch kind {
        case .oidc:
            if discoveryURL == nil { problems.append(("discovery_url", "is required for kind oidc")) }
        case .oauth2:
            if authorizationURL == nil { problems.append(("authorization_url", "is required for kind oauth2")) }
            if tokenURL == nil { problems.append(("token_url", "is required for kind oauth2")) }
            if userinfoURL == nil { problems.append(("userinfo_url", "is required for kind oauth2")) }
        case .github, .google, .microsoft:
            break
        }
        if kind.isOpenIDConnect {
            for (value, field) in [(authorizationURL, "authorization_url"), (tokenURL, "token_url"), (userinfoURL, "userinfo_url"), (issuer, "issuer")]
            where value != nil {
                problems.append((field, "is not used by kind \(kind.rawValue): endpoints come from discovery"))
            }
            if !effectiveScopes.contains("openid") { problems.append(("scopes", "must include openid for kind \(kind.rawValue)")) }
        } else if discoveryURL != nil {
            problems.append(("discovery_url", "is only used by OpenID Connect kinds (oidc, google, microsoft)"))
        }
        if microsoftTenant != nil, kind != .microsoft { problems.append(("microsoft_tenant", "is only used by kind microsoft")) }
        if let t = microsoftTenant, t.isEmpty || t.utf8.count > 128 || !t.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) {
            problems.append(("microsoft_tenant", "must be common, organizations, consumers, a directory id or a domain"))
        }
        for scope in scopes where scope.isEmpty || scope.contains(" ") || scope.utf8.count > 200 {
            problems.append(("scopes", "'\(scope)' is not a scope token"))
        }
        for (value, field) in [
            (claimMapping.subject, "claim_mapping.subject"), (claimMapping.email, "claim_mapping.email"),
            (claimMapping.emailVerified, "claim_mapping.email_verified"), (claimMapping.name, "claim_mapping.name"),
        ]
        where value.isEmpty || value.utf8.count > 200 {
            problems.append((field, "must be 1–200 characters"))
        }
        return problems
    }
}

/// An upstream identity linked to a user: keyed by (provider, upstream issuer, upstream subject),
/// never by email.
public struct UpstreamIdentity: Sendable, Equatable {
    public var id: UpstreamIdentityID
    public var userID: UserID
    public var providerID: UpstreamProviderID
    /// The upstream issuer (the ID token's `iss`, or the provider's configured issuer for OAuth 2.0 kinds).
    public var issuer: String
    /// The upstream subject (`sub`, or the mapped subject field).
    public var subject: String
    /// The email the provider reported at the last sign-in (for display only).
    public var email: String?
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(
        id: UpstreamIdentityID, userID: UserID, providerID: UpstreamProviderID, issuer: String, subject: String,
        email: String?, createdAt: Date, lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.providerID = providerID
        self.issuer = issuer
        self.subject = subject
        self.email = email
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// A pending upstream sign-in: what the callback needs to finish it. Stored server-side under the
/// SHA-256 of the `state` value, bound to the browser, used once, and short-lived
/// (RFC 6749 §10.12, RFC 9700 §4.7).
public struct FederationState: Sendable, Equatable {
    /// Why the browser went to the provider.
    public enum Purpose: String, Sendable {
        /// Sign in within a login interaction.
        case signIn = "sign_in"
        /// Link another provider to the signed-in user of the account console.
        case link
    }

    /// SHA-256 of the `state` value sent to the provider.
    public var stateHash: [UInt8]
    public var providerID: UpstreamProviderID
    public var purpose: Purpose
    /// The login interaction (purpose `sign_in`).
    public var interactionID: String?
    /// The user who links (purpose `link`).
    public var userID: UserID?
    /// SHA-256 of the browser-binding cookie that started the flow.
    public var browserBindingHash: [UInt8]
    /// The OIDC `nonce` sent to the provider.
    public var nonce: String
    /// The RFC 7636 `code_verifier`.
    public var codeVerifier: String
    /// The redirect URI sent to the provider (sent again at its token endpoint).
    public var redirectURI: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        stateHash: [UInt8], providerID: UpstreamProviderID, purpose: Purpose, interactionID: String?, userID: UserID?,
        browserBindingHash: [UInt8], nonce: String, codeVerifier: String, redirectURI: String, createdAt: Date, expiresAt: Date
    ) {
        self.stateHash = stateHash
        self.providerID = providerID
        self.purpose = purpose
        self.interactionID = interactionID
        self.userID = userID
        self.browserBindingHash = browserBindingHash
        self.nonce = nonce
        self.codeVerifier = codeVerifier
        self.redirectURI = redirectURI
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Pending upstream sign-ins expire after 10 minutes (the interaction's lifetime).
    public static let lifetime: TimeInterval = 600
}
