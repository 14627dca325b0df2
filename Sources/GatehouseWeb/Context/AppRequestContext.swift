import GatehouseCrypto
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The request context of every route. Tenant routes convert it to `TenantRequestContext`.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client address, for session records, throttles and logs: the TCP peer, or the client a
    /// trusted proxy names (`ClientAddressMiddleware`). The peer's text form is made only when
    /// asked for (most requests never need it).
    public internal(set) var remoteAddress: String? {
        get { clientAddress.text }
        set { clientAddress.forwarded = .some(newValue) }
    }
    /// The peer and what `ClientAddressMiddleware` found; tenant and headless contexts carry it on.
    private(set) var clientAddress: ClientAddress
    /// Set by `TenantResolutionMiddleware` on tenant routes.
    var resolvedTenant: (any TenantHandle)?
    /// Set by the headless API's resolution middleware.
    var headlessClient: (database: any TenantHandle, client: Client)?
    /// The issuer of the resolved tenant (tenant routes, the headless API): the realm of OAuth errors.
    var issuer: String?
    /// Set by the admin API's authentication middleware.
    var adminPrincipal: AdminController.Principal?
    /// The tenant whose own host the request came to (`TenantHostResponder`); nil on the public host.
    var hostTenant: ResolvedTenant?
    /// The connection, for refusals that must end it (an oversized or stalled request body).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        clientAddress = ClientAddress(forwarded: nil, channel: source.channel)
        resolvedTenant = nil
        headlessClient = nil
        issuer = nil
        adminPrincipal = nil
        hostTenant = nil
    }

    public var maxUploadSize: Int { 65536 }
}

/// The client address of a request: the TCP peer, or the client a trusted proxy names. Its text
/// is made only when read (most requests never need it).
struct ClientAddress: Sendable {
    /// What `ClientAddressMiddleware` found (nil: not set, the peer stands).
    var forwarded: String??
    let channel: any Channel

    var text: String? { forwarded ?? channel.remoteAddress?.ipAddress }
}

/// The context of a tenant route: a resolved tenant and its open database, never optional
/// (docs/architecture.md H2: a tenant route cannot exist without a tenant).
public struct TenantRequestContext: ChildRequestContext, OAuthIssuerContext {
    public var coreContext: CoreRequestContextStorage
    let clientAddress: ClientAddress
    /// The client address (``AppRequestContext/remoteAddress``), made when first asked for.
    public var remoteAddress: String? { clientAddress.text }
    /// The tenant's database; its `tenant` is the resolved tenant.
    public let database: any TenantHandle
    /// The tenant's issuer (`Services.issuer(of:)`).
    let oauthIssuer: String

    public init(context: AppRequestContext) throws {
        guard let database = context.resolvedTenant, let issuer = context.issuer else {
            throw UnknownTenant()
        }
        coreContext = context.coreContext
        clientAddress = context.clientAddress
        self.database = database
        oauthIssuer = issuer
    }

    public var maxUploadSize: Int { 65536 }
    public var tenant: ResolvedTenant { database.tenant }
}

/// Resolves `/t/{slug}` to a tenant and opens its database; unknown slugs answer 404, and so does
/// the slug of a tenant served on its own host when the request did not come to that host.
struct TenantResolutionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let store: any InstanceStorage
    let addressing: TenantAddressing

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let slug = context.parameters.get("slug"), let tenant = try await store.find(slug: slug),
            addressing.hostname(of: tenant.tenant) == nil ? context.hostTenant == nil : context.hostTenant?.id == tenant.id
        else {
            throw UnknownTenant()
        }
        var context = context
        do {
            context.resolvedTenant = try await store.storage(for: tenant)
        } catch  where store.resolve(slug: slug) == nil || StoreError.isTenantGone(error) {
            // The tenant was deleted after it was resolved.
            throw UnknownTenant()
        }
        context.issuer = addressing.issuer(of: tenant.tenant)
        return try await next(request, context)
    }
}
