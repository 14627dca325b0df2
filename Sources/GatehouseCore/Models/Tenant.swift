import Foundation
import GatehouseCrypto

/// The deployment stage a tenant serves; part of every key it issues (`pk_<environment>_…`).
public enum TenantEnvironment: String, Codable, Sendable, CaseIterable {
    case live, test, dev
}

/// A tenant: the top-level isolation unit, a complete issuer of its own (docs/contract.md A1).
///
/// A `Tenant` value is plain data. Access to a tenant's database is only possible through a
/// handle made from a resolved tenant (see GatehouseStore's `ResolvedTenant`).
public struct Tenant: Codable, Sendable, Equatable {
    public var id: TenantID
    /// `[a-z0-9-]{2,63}`, unique in the instance; the last path segment of the issuer.
    public var slug: String
    public var name: String
    public var environment: TenantEnvironment
    public var settings: TenantSettings
    public var createdAt: Date

    public init(id: TenantID, slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings, createdAt: Date) {
        self.id = id
        self.slug = slug
        self.name = name
        self.environment = environment
        self.settings = settings
        self.createdAt = createdAt
    }

    /// The path-based issuer identifier `{publicURL}/t/{slug}` (docs/contract.md A3), used verbatim
    /// in discovery, every `iss` claim and the RFC 9207 `iss` authorization response parameter —
    /// unless the tenant is served on its own host (see the web target's `TenantAddressing`).
    public func issuer(publicURL: String) -> String { "\(publicURL)/t/\(slug)" }

    /// The slug of the operators' directory: the hidden system tenant whose users are the
    /// instance's operators (the admin console at `{public_url}/admin`, docs/contract.md A10). A
    /// valid slug, so that every storage backend keeps it like any tenant, but reserved: the
    /// admin API neither creates, lists, shows, changes nor deletes a tenant of this slug.
    public static let operatorsSlug = "gatehouse-operators"

    /// Whether `slug` is reserved for the instance (``operatorsSlug``): no tenant may take it.
    public static func isReservedSlug(_ slug: String) -> Bool { slug == operatorsSlug }

    /// Whether this tenant is the operators' directory.
    public var isOperatorsDirectory: Bool { slug == Self.operatorsSlug }

    /// Whether `slug` is a valid tenant slug: 2–63 characters of `a-z`, `0-9` and `-`,
    /// not starting or ending with `-`.
    public static func isValidSlug(_ slug: String) -> Bool {
        guard (2...63).contains(slug.count), !slug.hasPrefix("-"), !slug.hasSuffix("-") else { return false }
        return slug.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}

/// How multi-factor authentication applies to a tenant's sign-ins.
public enum MFAPolicy: String, Codable, Sendable, CaseIterable {
    case none, optional, required
}

/// Per-tenant settings; every field has a documented default and `validate()` reports every
/// problem at once (docs/architecture.md H20).
public struct TenantSettings: Codable, Sendable, Equatable {
    /// MFA policy, applied after the first factor of every sign-in (`SignInFlow`, `MFARequirement`).
    public var mfaPolicy: MFAPolicy = .none
    /// Access token lifetime in seconds. Default 900 (15 minutes).
    public var accessTokenTTL: Int = 900
    /// ID token lifetime in seconds. Default 3600.
    public var idTokenTTL: Int = 3600
    /// Refresh token lifetime in seconds (sliding: each rotation starts a new period). Default 30 days.
    public var refreshTokenTTL: Int = 30 * 86400
    /// Browser SSO session lifetime in seconds. Default 14 days.
    public var sessionTTL: Int = 14 * 86400
    /// Authorization code lifetime in seconds. Default 60.
    public var authorizationCodeTTL: Int = 60
    /// Device code lifetime in seconds (RFC 8628 §3.2 `expires_in`): 5…1800, default 600.
    public var deviceCodeTTL: Int = DeviceFlow.lifetime
    /// Days the audit log keeps an entry (docs/contract.md A9): 1…3650, default 90.
    public var auditRetentionDays: Int = 90
    /// Origins (`scheme://host[:port]`) allowed to call the tenant's CORS-enabled endpoints.
    public var allowedOrigins: [String] = []
    /// JWS algorithms the tenant keeps keys for; clients choose among them. Default `[EdDSA]`.
    public var signingAlgorithms: [JWSAlgorithm] = [.eddsa]

    /// The algorithms a client may choose for ID tokens: `signingAlgorithms` plus RS256, which
    /// OIDC Discovery 1.0 §3 and Core §15.1 require every OP to support, whatever the tenant enables.
    public var idTokenSigningAlgorithms: [JWSAlgorithm] {
        signingAlgorithms.contains(.rs256) ? signingAlgorithms : signingAlgorithms + [.rs256]
    }
    /// Whether people may create their own accounts (sign-up page and headless sign-up). Default false.
    public var selfSignup: Bool = false
    /// Whether sign-in requires a verified email address. Default false.
    public var requireVerifiedEmail: Bool = false
    /// Whether sign-in by emailed link is offered. Default false.
    public var magicLink: Bool = false
    /// Whether every authorization request must be pushed first (RFC 9126 §5,
    /// `require_pushed_authorization_requests`); discovery says so. Default false.
    public var requirePushedAuthorizationRequests: Bool = false
    /// Whether every DPoP proof (RFC 9449 §8, §9) must carry the server's current nonce: proofs
    /// without it are answered `use_dpop_nonce` with a `DPoP-Nonce` header, once. Default false:
    /// a client that follows the nonce dance pays a round trip for every token request that
    /// starts one, and the `iat` window with `jti` replay detection already bounds a proof's use.
    public var dpopNonceRequired: Bool = false
    /// Dynamic client registration (RFC 7591) at `{issuer}/register`: `off` (default: the endpoint
    /// does not exist and discovery does not name it), `token` (an initial access token, §3, made
    /// by an administrator, is required) or `open` (anyone may register, limited per address).
    public var dynamicClientRegistration: String = "off"
    /// Resource indicators (RFC 8707) clients may ask tokens for: absolute URIs without fragment
    /// (the APIs of the tenant), at most 100. An access token requested for one has it as `aud`.
    public var resources: [String] = []
    /// Second factors users may enrol: `totp`, `email`, `webauthn` (passkeys: also a way to sign in
    /// alone on the tenant's pages, when its host is a domain name). Default `totp` and `email`.
    public var mfaFactors: [String] = ["totp", "email"]
    /// The attestation a new passkey must bring (W3C WebAuthn §5.4.7, §7.1 steps 19–21): `none`
    /// (default: any authenticator; registration asks for no attestation) or `packed` (registration
    /// asks for `direct` attestation and accepts only `packed` full attestation, §8.2, whose
    /// certificate path ends at one of ``passkeyAttestationRoots`` from a model in
    /// ``passkeyAAGUIDs``). `packed` needs `webauthn` in ``mfaFactors``. Passkeys registered before
    /// stay usable.
    public var passkeyAttestation: String = "none"
    /// AAGUIDs of the authenticator models accepted under `packed` attestation, as lowercase UUIDs
    /// (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), at most 100.
    public var passkeyAAGUIDs: [String] = []
    /// Trust anchors of `packed` attestation: PEM certificates (one `CERTIFICATE` block each, the
    /// vendors' attestation roots), at most 20.
    public var passkeyAttestationRoots: [String] = []
    /// How an upstream identity may attach to an existing user with the same email:
    /// `verified_email` (only when the upstream says the email is verified) or `never`. Default `verified_email`.
    public var accountLinking: String = "verified_email"
    /// Upstream login providers, a read-only summary (the providers are managed under
    /// `/admin/v1/tenants/{slug}/providers`).
    public var oauthProviders: [UpstreamProviderReference] = []
    /// Names of the email templates the tenant overrides, a read-only summary (the overrides are
    /// managed under `/admin/v1/tenants/{slug}/templates`).
    public var emailTemplates: [String] = []
    /// Webhook endpoints: refused when non-empty until delivery works.
    public var webhooks: [TenantWebhookSetting] = []
    /// Custom claims of every token of the tenant, by claim name (docs/contract.md A9); a client's
    /// own `custom_claims` replace members of the same name.
    public var customClaims: [String: CustomClaim] = [:]
    /// The host name the tenant is served on (a custom domain, lowercase, no port), which makes its
    /// issuer `{scheme}://{hostname}[:{port}]` and its pages, cookies and links that origin's alone.
    /// Nil (default): the tenant is served under `/t/{slug}` of the public URL, or on
    /// `{slug}.{tenant_base_domain}` when the instance sets one.
    public var hostname: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case mfaPolicy = "mfa_policy"
        case accessTokenTTL = "access_token_ttl"
        case idTokenTTL = "id_token_ttl"
        case refreshTokenTTL = "refresh_token_ttl"
        case sessionTTL = "session_ttl"
        case authorizationCodeTTL = "authorization_code_ttl"
        case deviceCodeTTL = "device_code_ttl"
        case auditRetentionDays = "audit_retention_days"
        case allowedOrigins = "allowed_origins"
        case signingAlgorithms = "signing_algorithms"
        case selfSignup = "self_signup"
        case requireVerifiedEmail = "require_verified_email"
        case magicLink = "magic_link"
        case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
        case dpopNonceRequired = "dpop_nonce_required"
        case dynamicClientRegistration = "dynamic_client_registration"
        case resources
        case mfaFactors = "mfa_factors"
        case passkeyAttestation = "passkey_attestation"
        case passkeyAAGUIDs = "passkey_aaguids"
        case passkeyAttestationRoots = "passkey_attestation_roots"
        case accountLinking = "account_linking"
        case oauthProviders = "oauth_providers"
        case emailTemplates = "email_templates"
        case webhooks
        case customClaims = "custom_claims"
        case hostname
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TenantSettings()
        mfaPolicy = try c.decodeIfPresent(MFAPolicy.self, forKey: .mfaPolicy) ?? d.mfaPolicy
        accessTokenTTL = try c.decodeIfPresent(Int.self, forKey: .accessTokenTTL) ?? d.accessTokenTTL
        idTokenTTL = try c.decodeIfPresent(Int.self, forKey: .idTokenTTL) ?? d.idTokenTTL
        refreshTokenTTL = try c.decodeIfPresent(Int.self, forKey: .refreshTokenTTL) ?? d.refreshTokenTTL
        sessionTTL = try c.decodeIfPresent(Int.self, forKey: .sessionTTL) ?? d.sessionTTL
        authorizationCodeTTL = try c.decodeIfPresent(Int.self, forKey: .authorizationCodeTTL) ?? d.authorizationCodeTTL
        deviceCodeTTL = try c.decodeIfPresent(Int.self, forKey: .deviceCodeTTL) ?? d.deviceCodeTTL
        auditRetentionDays = try c.decodeIfPresent(Int.self, forKey: .auditRetentionDays) ?? d.auditRetentionDays
        allowedOrigins = try c.decodeIfPresent([String].self, forKey: .allowedOrigins) ?? d.allowedOrigins
        signingAlgorithms = try c.decodeIfPresent([JWSAlgorithm].self, forKey: .signingAlgorithms) ?? d.signingAlgorithms
        selfSignup = try c.decodeIfPresent(Bool.self, forKey: .selfSignup) ?? d.selfSignup
        requireVerifiedEmail = try c.decodeIfPresent(Bool.self, forKey: .requireVerifiedEmail) ?? d.requireVerifiedEmail
        magicLink = try c.decodeIfPresent(Bool.self, forKey: .magicLink) ?? d.magicLink
        requirePushedAuthorizationRequests =
            try c.decodeIfPresent(Bool.self, forKey: .requirePushedAuthorizationRequests) ?? d.requirePushedAuthorizationRequests
        dpopNonceRequired = try c.decodeIfPresent(Bool.self, forKey: .dpopNonceRequired) ?? d.dpopNonceRequired
        dynamicClientRegistration = try c.decodeIfPresent(String.self, forKey: .dynamicClientRegistration) ?? d.dynamicClientRegistration
        resources = try c.decodeIfPresent([String].self, forKey: .resources) ?? d.resources
        mfaFactors = try c.decodeIfPresent([String].self, forKey: .mfaFactors) ?? d.mfaFactors
        passkeyAttestation = try c.decodeIfPresent(String.self, forKey: .passkeyAttestation) ?? d.passkeyAttestation
        passkeyAAGUIDs = try c.decodeIfPresent([String].self, forKey: .passkeyAAGUIDs) ?? d.passkeyAAGUIDs
        passkeyAttestationRoots = try c.decodeIfPresent([String].self, forKey: .passkeyAttestationRoots) ?? d.passkeyAttestationRoots
        accountLinking = try c.decodeIfPresent(String.self, forKey: .accountLinking) ?? d.accountLinking
        oauthProviders = try c.decodeIfPresent([UpstreamProviderReference].self, forKey: .oauthProviders) ?? d.oauthProviders
        emailTemplates = try c.decodeIfPresent([String].self, forKey: .emailTemplates) ?? d.emailTemplates
        webhooks = try c.decodeIfPresent([TenantWebhookSetting].self, forKey: .webhooks) ?? d.webhooks
        customClaims = try c.decodeIfPresent([String: CustomClaim].self, forKey: .customClaims) ?? d.customClaims
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
    }

    /// Every problem with these settings, as `(field, message)`; empty when valid.
    public func validate() -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        func ttl(_ value: Int, _ field: String, _ range: ClosedRange<Int>) {
            if !range.contains(value) { problems.append((field, "must be between \(range.lowerBound) and \(range.upperBound) seconds")) }
        }
        ttl(accessTokenTTL, "access_token_ttl", 1...86400)
        ttl(idTokenTTL, "id_token_ttl", 1...86400)
        ttl(refreshTokenTTL, "refresh_token_ttl", 60...(365 * 86400))
        ttl(sessionTTL, "session_ttl", 60...(365 * 86400))
        ttl(authorizationCodeTTL, "authorization_code_ttl", 10...600)
        ttl(deviceCodeTTL, "device_code_ttl", 5...1800)
        if !(1...3650).contains(auditRetentionDays) { problems.append(("audit_retention_days", "must be between 1 and 3650 days")) }
        if signingAlgorithms.isEmpty { problems.append(("signing_algorithms", "must name at least one algorithm")) }
        if Set(signingAlgorithms).count != signingAlgorithms.count { problems.append(("signing_algorithms", "must not repeat an algorithm")) }
        for factor in mfaFactors where MFAFactorKind(rawValue: factor) == nil {
            problems.append(("mfa_factors", "'\(factor)' is not one of totp, email, webauthn"))
        }
        if mfaPolicy == .required, mfaFactors.isEmpty { problems.append(("mfa_factors", "must allow a factor when mfa_policy is required")) }
        problems += validatePasskeyAttestation()
        if resources.count > 100 { problems.append(("resources", "at most 100 resource indicators")) }
        if Set(resources).count != resources.count { problems.append(("resources", "must not repeat a resource indicator")) }
        for (i, resource) in resources.enumerated() where !ResourceIndicator.isValid(resource) {
            problems.append(("resources[\(i)]", "must be an absolute URI with a host and without a fragment (RFC 8707 §2), at most 2048 bytes"))
        }
        if !["off", "token", "open"].contains(dynamicClientRegistration) {
            problems.append(("dynamic_client_registration", "must be off, token or open"))
        }
        if !["verified_email", "never"].contains(accountLinking) {
            problems.append(("account_linking", "must be verified_email or never"))
        }
        for (i, hook) in webhooks.enumerated() {
            if !(hook.url.hasPrefix("https://") && !(URLComponents(string: hook.url)?.host ?? "").isEmpty) {
                problems.append(("webhooks[\(i)].url", "must be an https URL"))
            }
        }
        for problem in CustomClaims.validate(customClaims, field: "custom_claims") { problems.append((problem.field, problem.message)) }
        for (i, origin) in allowedOrigins.enumerated() where !Self.isValidOrigin(origin) {
            problems.append(("allowed_origins[\(i)]", "'\(origin)' is not an origin (scheme://host[:port], no path)"))
        }
        if let hostname, !Self.isValidHostname(hostname) {
            problems.append(
                ("hostname", "'\(hostname)' is not a lowercase DNS name of at least two labels (letters, digits, '-'; the last not a number), without port"))
        }
        return problems
    }

    /// The problems of the `passkey_*` attestation settings (see ``passkeyAttestation``).
    func validatePasskeyAttestation() -> [(String, String)] {
        var problems: [(String, String)] = []
        if !["none", "packed"].contains(passkeyAttestation) { problems.append(("passkey_attestation", "must be none or packed")) }
        if passkeyAAGUIDs.count > 100 { problems.append(("passkey_aaguids", "at most 100 AAGUIDs")) }
        for (i, aaguid) in passkeyAAGUIDs.enumerated() where AAGUID.bytes(aaguid) == nil || aaguid != aaguid.lowercased() {
            problems.append(("passkey_aaguids[\(i)]", "must be a lowercase UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"))
        }
        if Set(passkeyAAGUIDs).count != passkeyAAGUIDs.count { problems.append(("passkey_aaguids", "must not repeat an AAGUID")) }
        if passkeyAttestationRoots.count > 20 { problems.append(("passkey_attestation_roots", "at most 20 certificates")) }
        for (i, pem) in passkeyAttestationRoots.enumerated() where (try? X509Certificate(pem: pem)) == nil {
            problems.append(("passkey_attestation_roots[\(i)]", "must be one PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)"))
        }
        guard passkeyAttestation == "packed" else {
            // Lists that nothing reads would be settings that do nothing.
            if !passkeyAAGUIDs.isEmpty { problems.append(("passkey_aaguids", "is read only when passkey_attestation is packed")) }
            if !passkeyAttestationRoots.isEmpty {
                problems.append(("passkey_attestation_roots", "is read only when passkey_attestation is packed"))
            }
            return problems
        }
        if !mfaFactors.contains(MFAFactorKind.webauthn.rawValue) {
            problems.append(("passkey_attestation", "packed needs webauthn in mfa_factors (passkeys are off otherwise)"))
        }
        if passkeyAAGUIDs.isEmpty { problems.append(("passkey_aaguids", "must name at least one AAGUID when passkey_attestation is packed")) }
        if passkeyAttestationRoots.isEmpty {
            problems.append(("passkey_attestation_roots", "must hold at least one certificate when passkey_attestation is packed"))
        }
        return problems
    }

    /// A DNS host name (RFC 1123 §2.1) in lowercase: 2–127 dot-separated labels of 1–63 characters
    /// of `a-z`, `0-9` and `-`, not starting or ending with `-`, 253 characters at most, and not
    /// ending in a number (``HostName/endsInANumber(_:)``: it would be read as an IPv4 address).
    public static func isValidHostname(_ s: String) -> Bool {
        guard (3...253).contains(s.utf8.count) else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.count <= 127 else { return false }
        if HostName.endsInANumber(s) { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        }
    }

    /// The serialization of an origin (RFC 6454 §6.2): scheme and host lowercased, as browsers send
    /// them in `Origin`.
    /// Invalid input is returned unchanged, for `validate()` to report.
    public static func normalizeOrigin(_ s: String) -> String {
        guard isValidOrigin(s), let c = URLComponents(string: s), let scheme = c.scheme, let host = c.host else { return s }
        return "\(scheme.lowercased())://\(host.lowercased())" + (c.port.map { ":\($0)" } ?? "")
    }

    /// An origin per RFC 6454: `http`/`https`, a host, an optional port, nothing else.
    public static func isValidOrigin(_ s: String) -> Bool {
        guard let c = URLComponents(string: s), let scheme = c.scheme, ["http", "https"].contains(scheme),
            let host = c.host, !host.isEmpty, c.user == nil, c.password == nil,
            c.path.isEmpty, c.query == nil, c.fragment == nil
        else { return false }
        return true
    }
}

/// A reference to an upstream login provider of a tenant.
public struct UpstreamProviderReference: Codable, Sendable, Equatable {
    /// The provider's id (`idp_…`).
    public var id: String
    /// `oidc`, `oauth2`, `github`, `google`, `microsoft`.
    public var kind: String
    public var enabled: Bool
    /// The provider's name in URLs and `idp_hint` (kept in sync by the federation admin API).
    public var slug: String?
    /// The provider's display name, shown on the login page's button.
    public var name: String?

    public init(id: String, kind: String, enabled: Bool, slug: String? = nil, name: String? = nil) {
        self.id = id
        self.kind = kind
        self.enabled = enabled
        self.slug = slug
        self.name = name
    }
}

/// An entry of the legacy tenant setting `webhooks`, refused unless empty: endpoints are managed
/// under `/admin/v1/tenants/{slug}/webhooks` (`WebhookEndpoint`).
public struct TenantWebhookSetting: Codable, Sendable, Equatable {
    public var url: String
    /// Event names, e.g. `user.created`.
    public var events: [String]
    public var enabled: Bool
}
