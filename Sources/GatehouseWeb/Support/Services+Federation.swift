import Foundation
import GatehouseCore
import GatehouseFederation
import GatehouseStore
import Synchronization

/// Holds the process's one `FederationService` (its HTTP client and caches), made on first use
/// from `configuration.federation`.
final class FederationHolder: Sendable {
    let service = Mutex<FederationService?>(nil)
}

extension Services {
    /// Upstream sign-in: discovery, JWKS and token calls through GatehouseOutbound.
    var federation: FederationService {
        federationHolder.service.withLock { service in
            if let service { return service }
            let made = FederationService(settings: configuration.federation.settings, clock: clock)
            service = made
            return made
        }
    }

    /// The key of a provider's cached documents: tenant, provider and version, so that nothing is
    /// shared between tenants and an updated provider starts afresh.
    func federationCacheKey(_ provider: UpstreamProvider, tenant: ResolvedTenant) -> String {
        "\(tenant.id.rawValue)/\(provider.id.rawValue)@\(provider.updatedAt.timeIntervalSince1970)"
    }

    /// The redirect URI registered at the provider: `{issuer}/federation/{slug}/callback`.
    func federationRedirectURI(_ provider: UpstreamProvider, tenant: ResolvedTenant) -> String {
        issuer(of: tenant) + "/federation/\(provider.slug)/callback"
    }
}
