import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Logging
import GatehouseThreads

/// Everything the routes share, built once by `buildApplication`.
public struct Services: Sendable {
    public let configuration: GatehouseConfiguration
    public let store: any InstanceStorage
    public let pages: PageRenderer
    /// Renders the tenants' emails and queues them in their outboxes (delivered by `MailDeliveryService`).
    public let mail: EmailService
    /// Webhook dispatch and delivery (delivered by `WebhookDeliveryService`).
    public let webhooks: WebhookService
    /// Back-channel logout tokens of ended sessions (sent by `BackchannelLogoutWorker`).
    public let logouts: BackchannelLogoutService
    public let passwords: PasswordService
    public let clock: any Clock
    public let logger: Logger
    /// `{public_url}` without a trailing slash.
    public let publicURL: String
    /// Where each tenant is served (under `/t/{slug}` or on its own host), hence its issuer.
    public let addressing: TenantAddressing
    /// SHA-256 of the instance admin token (compared in constant time).
    let adminTokenHash: [UInt8]
    /// Key for HMAC-derived CSRF tokens of forms outside interactions.
    let csrfKey: [UInt8]
    /// Key of the tenants' DPoP nonces (RFC 9449 §8, ``DPoPNonces``), derived from ``csrfKey``
    /// once, so that every node of an instance agrees on them.
    let dpopNonceKey: [UInt8]
    /// Key of the passkey ceremonies' challenge MACs (``passkeyChallenge(_:purpose:binding:)``),
    /// derived from ``csrfKey`` once.
    let passkeyChallengeKey: [UInt8]
    /// Failed-password accounting (per tenant, account and IP), persisted per tenant.
    let throttle = SignInThrottle()
    /// Failed-second-factor accounting (TOTP, emailed and recovery codes; per tenant, account and
    /// IP, across challenges), persisted per tenant. A 6-digit code is far easier to guess than a
    /// password, so the account-wide budget is 20 rather than 50 (NIST SP 800-63B §5.2.2 allows at
    /// most 100); beyond it the waits double up to 15 minutes.
    let secondFactorThrottle = SignInThrottle(kind: "mfa", perIPThreshold: 10, perAccountThreshold: 20)
    /// Per-IP limits on sign-up, reset, magic-link and email-code requests.
    let actionLimiter = ActionRateLimiter()
    /// Per-IP limit on invitation mail sent from the account console and the headless API
    /// (`OrganizationInvitations`): 20 at once, then one every 6 seconds.
    let invitationLimiter = ActionRateLimiter(burst: 20, interval: 6)
    /// Mail the admin console sends on a signed-in user's command to addresses they choose
    /// (password reset links, organization invitations), per tenant: 20 at once, then one every
    /// 6 seconds. Those mails carry the tenant's own templates, so without a bound a tenant
    /// administrator could send any text to any number of addresses from the instance.
    let consoleMailLimiter = ActionRateLimiter(burst: 20, interval: 6)
    /// Wrong user codes at the device verification page (RFC 8628 §5.1), per tenant and IP:
    /// 10, then one more every 30 s.
    let deviceCodeLimiter = ActionRateLimiter(burst: 10, interval: 30)
    /// When this node last pruned each tenant's audit log (`Services.audit`).
    let auditPruning = AuditPruningSchedule()
    /// Encoded discovery and JWKS documents per tenant.
    let documents = DocumentCache()
    /// Upstream login providers, made on first use (Services+Federation.swift).
    let federationHolder = FederationHolder()

    /// Lowercased common passwords refused by the password policy.
    var commonPasswords: Set<String> { CommonPasswords.load(configuration.commonPasswordsFile) }

    /// Whether cookies get the `Secure` attribute.
    public var secureCookies: Bool { publicURL.hasPrefix("https://") }

    /// The issuer of a tenant (docs/contract.md A3; `TenantAddressing.issuer(of:)`).
    public func issuer(of tenant: ResolvedTenant) -> String { addressing.issuer(of: tenant.tenant) }

    /// The path prefix of a tenant's pages and endpoints in links and redirects: `/t/{slug}`, or
    /// empty for a tenant on its own host.
    public func basePath(of tenant: ResolvedTenant) -> String { addressing.basePath(of: tenant.tenant) }

    /// The token machinery of one tenant.
    public func tokenService(for database: any TenantHandle) async throws -> TokenService {
        var service = TokenService(
            tenant: database.tenant.tenant, issuer: issuer(of: database.tenant), keys: try await database.keyRing(at: clock.now),
            clock: clock, verifiedTokens: database.verifiedTokens)
        let (logger, slug) = (logger, database.tenant.tenant.slug)
        // The claim's name only: its value may be personal data (docs/architecture.md, no secrets in logs).
        service.onOmittedClaim = { claim, target, reason in
            let why = reason == .sizeBudget ? "it would exceed the size budget" : "its name is reserved for a registered claim"
            logger.warning(
                "custom claim omitted: \(why)",
                metadata: ["tenant": "\(slug)", "claim": "\(claim)", "in": "\(target.rawValue)", "reason": "\(reason.rawValue)"])
        }
        return service
    }

    /// Grant handlers' context for one tenant; `endpoint` (a ``ProviderMetadata/Path``) is the
    /// client-authenticating endpoint of the request, whose URL a client assertion may name as its audience.
    public func tokenContext(for database: any TenantHandle, endpoint: String = ProviderMetadata.Path.token) async throws -> TokenContext {
        TokenContext(
            tokens: try await tokenService(for: database), store: database,
            refreshReuseGrace: TimeInterval(configuration.refreshReuseGrace),
            clientAssertions: clientAssertions(for: database, endpoint: endpoint), deviceAuthorizations: database, dpopBindings: database)
    }

    /// Constant-time check of a presented admin token.
    func isAdminToken(_ presented: String) -> Bool {
        ConstantTime.equals(Digest.sha256(presented), adminTokenHash)
    }

    /// A CSRF token bound to `binding` (a browser or console cookie value) and `purpose`.
    func csrfToken(binding: String, purpose: String) -> String {
        Base64URL.encode(Digest.hmacSHA256(key: csrfKey, message: Array("\(purpose)|\(binding)".utf8)))
    }

    func checkCSRF(_ presented: String?, binding: String?, purpose: String) -> Bool {
        guard let presented, let binding else { return false }
        return ConstantTime.equals(presented, csrfToken(binding: binding, purpose: purpose))
    }
}

/// Password hashing and verification on a bounded pool (docs/architecture.md, Durability and speed).
public struct PasswordService: Sendable {
    let hasher: PasswordHasher
    let pool: ThreadPool
    /// A hash of a random password, verified against when the account does not exist so that
    /// unknown accounts cost the same time as known ones.
    let decoy: String

    init(hasher: PasswordHasher, pool: ThreadPool) throws {
        self.hasher = hasher
        self.pool = pool
        self.decoy = try hasher.hash(SecureRandom.token())
    }

    /// Argon2id hash of `password`.
    /// - Throws: `ThreadPool.Busy` when the hashing queue is full.
    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await pool.run { try hasher.hash(password) }
    }

    /// Verifies `password` against `encoded`, or against a decoy when `encoded` is nil.
    /// - Returns: whether it matched, and whether the stored hash should be upgraded.
    /// - Throws: `ThreadPool.Busy` when the hashing queue is full.
    public func verify(_ password: String, encoded: String?) async throws -> (valid: Bool, needsRehash: Bool) {
        let hasher = self.hasher
        let target = encoded ?? decoy
        let valid = try await pool.run { hasher.verify(password, encoded: target) }
        guard encoded != nil, valid else { return (false, false) }
        return (true, hasher.needsRehash(target))
    }
}
