import Foundation
import GatehouseCore

/// The instance as the web layer and the CLI use it, whatever the backend: the tenant registry,
/// the client-key index, tenant lifecycle, the idempotency store, the pending-mail index, and each
/// resolved tenant's storage (`TenantHandle`).
///
/// `InstanceStore` keeps it in a data folder (`instance.sqlite`, a SQLite file per tenant);
/// `PostgresInstanceStore` in one PostgreSQL database (a schema per tenant), which several
/// nodes may share (docs/architecture.md, Storage).
public protocol InstanceStorage: AnyObject, Sendable {
    /// Signing key rotation and JWKS caching, shared by every tenant.
    var keyPolicy: KeyPolicy { get }

    // MARK: Resolution

    /// The tenant with `slug`.
    func resolve(slug: String) -> ResolvedTenant?
    /// The tenant whose `settings.hostname` is `hostname` (lowercase, no port).
    func resolve(hostname: String) -> ResolvedTenant?
    /// The tenant with `slug` for a request: the registry, or — on PostgreSQL, when another node
    /// created it a moment ago and this node's change feed has not caught up — the database, so a
    /// tenant is usable through any node as soon as its creation was answered.
    func find(slug: String) async throws -> ResolvedTenant?
    /// `resolve(hostname:)` with the same fallback as `find(slug:)`.
    func find(hostname: String) async throws -> ResolvedTenant?
    /// The tenant that owns the publishable key `clientID`.
    func resolve(clientID: String) async throws -> ResolvedTenant?
    /// The tenant and client that own the secret key `secret` (looked up by its SHA-256).
    func resolve(secretKey secret: String) async throws -> (ResolvedTenant, clientID: String)?
    /// Every tenant, ordered by slug.
    func tenants() -> [Tenant]
    /// Whether any tenant allows `origin` (CORS preflights of the headless API).
    func isOriginAllowedByAnyTenant(_ origin: String) -> Bool
    /// The storage of a resolved tenant.
    func storage(for tenant: ResolvedTenant) async throws -> any TenantHandle
    /// Tenant storages currently held open (SQLite: open files; PostgreSQL: prepared handles).
    var openDatabaseCount: Int { get }

    // MARK: Tenant lifecycle

    /// Creates a tenant with its storage and its first signing keys. With `first`, only when the
    /// instance never had a tenant (`createFirstTenant`).
    /// - Returns: the tenant; nil only with `first`, when the instance was initialised before.
    /// - Throws: `StoreError.conflict` when the slug or the hostname is taken.
    func createTenant(slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings, first: Bool) async throws
        -> ResolvedTenant?
    /// Updates a tenant's name and settings.
    /// - Throws: `StoreError.conflict` when another tenant is served on the new hostname;
    ///   `StoreError.notFound` when the tenant was deleted meanwhile (it stays deleted).
    func updateTenant(_ tenant: ResolvedTenant, name: String, settings: TenantSettings) async throws -> ResolvedTenant
    /// Deletes a tenant and all of its data; its tokens stop verifying at once.
    func deleteTenant(_ tenant: ResolvedTenant) async throws
    /// A tenant as one archive under `passphrase` (`TenantArchive`).
    func exportTenant(_ tenant: ResolvedTenant, passphrase: String) async throws -> [UInt8]
    /// Creates a tenant from an archive made by `exportTenant`.
    func importTenant(_ archive: [UInt8], passphrase: String, slug: String?) async throws -> TenantCopyReport
    /// Copies a tenant under a new slug, optionally with its users' personal data scrubbed.
    func cloneTenant(_ source: ResolvedTenant, slug: String, scrubPII: Bool) async throws -> TenantCopyReport

    // MARK: Clients

    /// Registers a client in its tenant and the instance key index.
    /// - Throws: `StoreError.conflict` when the key exists anywhere in the instance.
    func registerClient(_ client: Client, in tenant: ResolvedTenant, builtin: String?) async throws
    /// Replaces a confidential client's secret key; the previous one stays valid `overlap` seconds.
    func rotateClientSecret(_ client: Client, newSecret: String, overlap: TimeInterval, in tenant: ResolvedTenant) async throws
        -> Client
    /// Deletes a client from its tenant and the key index, revoking its grants.
    func deleteClient(clientID: String, in tenant: ResolvedTenant) async throws

    // MARK: Idempotency (admin API)

    /// The answer stored under (`scope`, `key`) within the last 24 hours, or nil.
    func idempotentAnswer(scope: String, key: String) async throws -> IdempotentAnswer?
    /// Stores `answer` under (`scope`, `key`); `tenant` ties it to a tenant's lifetime.
    func storeIdempotentAnswer(_ answer: IdempotentAnswer, scope: String, key: String, tenant: ResolvedTenant?) async throws

    // MARK: Mail

    /// Stores `message` in the tenant's outbox and records the tenant as having pending mail.
    func enqueueMail(_ message: OutboxMessage, in handle: any TenantHandle) async throws
    /// Tenants whose pending mail is due at `now` (all when nil), earliest first.
    func tenantsWithPendingMail(dueBy now: Date?, limit: Int) async throws -> [PendingMail]
    /// The earliest due time of pending mail, or nil.
    func nextPendingMailDue() async throws -> Date?
    /// Ends a delivery pass over one tenant (`nextDue` nil: nothing left undelivered).
    func finishMailPass(_ pending: PendingMail, nextDue: Date?) async throws
    /// Postpones a tenant's pending-mail entry.
    func postponeMail(_ pending: PendingMail, until: Date) async throws
    /// Tenants with undelivered mail, for `/metrics`.
    func tenantsWithPendingMail() async throws -> Int

    // MARK: Webhooks

    /// Records that `tenant` has webhook endpoints, so that the delivery worker visits it.
    func markWebhookTenant(_ tenant: ResolvedTenant) async throws
    /// Forgets that `tenant` has webhook endpoints (after its last one was deleted).
    func unmarkWebhookTenant(_ tenant: ResolvedTenant) async throws
    /// Tenants with webhook endpoints, at most `limit`.
    func webhookTenants(limit: Int) async throws -> [ResolvedTenant]

    // MARK: Back-channel logout

    /// Records that `tenant` has a client with a `backchannel_logout_uri`, so that the logout
    /// worker visits it (OpenID Connect Back-Channel Logout 1.0; `logout_tenants`).
    func markLogoutTenant(_ tenant: ResolvedTenant) async throws
    /// Tenants with back-channel logout clients, at most `limit`.
    func logoutTenants(limit: Int) async throws -> [ResolvedTenant]

    // MARK: Operations

    /// Readiness: the reasons this instance cannot serve; empty when it can.
    func readinessProblems() async -> [String]
    /// Deletes expired rows of the tenants in use.
    func purgeExpired() async
    /// Frees memory held for open tenants that no request used since the previous call (each
    /// once, when it becomes idle); called once a minute. SQLite: such a tenant's reader
    /// connections close and its writer drops its page cache and prepared statements (about
    /// 330 KiB per tenant database otherwise); the handle stays open, and its next request reopens
    /// a reader. A PostgreSQL tenant handle holds no connection or statement cache of its own.
    /// - Returns: how many tenant handles were released.
    @discardableResult
    func releaseIdleMemory() -> Int
    /// Ends the store's background work and connections when the node stops (PostgreSQL: the
    /// change feed and the connection pool; requests still waiting for a connection fail with
    /// `StoreError.unavailable`). The store is not used afterwards.
    func close() async
}

extension InstanceStore {
    /// Nothing to end: SQLite files close with the process, and a write in flight commits or not.
    public func close() async {}

    /// The registry: in one process it is never behind.
    public func find(slug: String) async throws -> ResolvedTenant? { resolve(slug: slug) }
    public func find(hostname: String) async throws -> ResolvedTenant? { resolve(hostname: hostname) }
}

extension InstanceStorage {
    /// The storage of a resolved tenant, or nil when the tenant was deleted since it was resolved
    /// (`StoreError.tenantGone`).
    /// - Throws: as ``storage(for:)``, other than `tenantGone`.
    public func liveStorage(for tenant: ResolvedTenant) async throws -> (any TenantHandle)? {
        do {
            return try await storage(for: tenant)
        } catch let error where StoreError.isTenantGone(error) {
            return nil
        }
    }

    /// Creates a tenant with its storage and its first signing keys.
    /// - Throws: `StoreError.conflict` when the slug or the hostname is taken.
    public func createTenant(slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings) async throws
        -> ResolvedTenant
    {
        guard let tenant = try await createTenant(slug: slug, name: name, environment: environment, settings: settings, first: false) else {
            throw StoreError.unavailable("the tenant '\(slug)' was not created")
        }
        return tenant
    }

    /// Creates the tenant `slug` (default settings) when the instance never had a tenant: the first
    /// start of a new data folder or database. The instance records being initialised (in
    /// `instance_meta`) in the transaction that writes its first tenant, so once every tenant was
    /// deleted no start re-creates one, and of several nodes starting together one creates it.
    /// A registry that holds tenants, or (SQLite) a data folder made before this record existed,
    /// counts as initialised.
    /// - Returns: the tenant, or nil when the instance was initialised before.
    /// - Throws: `StoreError.conflict` when the slug is taken.
    public func createFirstTenant(slug: String, name: String, environment: TenantEnvironment) async throws -> ResolvedTenant? {
        try await createTenant(slug: slug, name: name, environment: environment, settings: TenantSettings(), first: true)
    }

    /// Registers a client that is not built-in.
    public func registerClient(_ client: Client, in tenant: ResolvedTenant) async throws {
        try await registerClient(client, in: tenant, builtin: nil)
    }

    /// Tenants whose pending mail is due at `now`, at most 1,000.
    public func tenantsWithPendingMail(dueBy now: Date?) async throws -> [PendingMail] {
        try await tenantsWithPendingMail(dueBy: now, limit: 1000)
    }
}

/// A stored answer to an admin request sent with an `Idempotency-Key`.
public struct IdempotentAnswer: Sendable {
    /// SHA-256 of the first request's body; a retry whose body differs is refused.
    public let fingerprint: [UInt8]
    public let status: Int
    public let contentType: String?
    public let location: String?
    public let body: [UInt8]

    public init(fingerprint: [UInt8], status: Int, contentType: String?, location: String?, body: [UInt8]) {
        self.fingerprint = fingerprint
        self.status = status
        self.contentType = contentType
        self.location = location
        self.body = body
    }
}

/// A tenant with pending mail, as read by the delivery worker.
public struct PendingMail: Sendable {
    public let tenant: ResolvedTenant
    public let dueAt: Date
    /// The entry's version when read: the pass's end changes the entry only if it is unchanged.
    public let version: Int
}
