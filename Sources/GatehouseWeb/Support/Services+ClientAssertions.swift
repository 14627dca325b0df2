import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseFederation
import GatehouseStore
import Logging

extension Services {
    /// What JWT client authentication (RFC 7523, OIDC Core §9) needs at the endpoint `path` of a
    /// tenant (``ProviderMetadata/Path``): the audiences (the issuer, the token endpoint's URL and
    /// this endpoint's URL), the clients' keys (inline `jwks`, or `jwks_uri` fetched through
    /// GatehouseOutbound under `[federation]`'s rules and cached per tenant and client), the master
    /// key for sealed secrets, and the tenant database as the `jti` store.
    func clientAssertions(for database: any TenantHandle, endpoint path: String) -> ClientAssertionContext {
        let issuer = issuer(of: database.tenant)
        let audiences: Set<String> = [issuer, issuer + ProviderMetadata.Path.token, issuer + path]
        let federation = federation
        let tenantID = database.tenant.id.rawValue
        let logger = logger
        return ClientAssertionContext(
            audiences: audiences,
            publicKey: { client, header in
                if let keys = client.jwks {
                    guard let key = FederationService.clientKey(for: header, in: keys) else {
                        throw OAuthError.invalidClient("no key of the client's jwks matches the assertion's alg and kid")
                    }
                    return key
                }
                guard let uri = client.jwksURI else {
                    throw OAuthError.invalidClient("client authentication failed", debug: "private_key_jwt client without jwks or jwks_uri")
                }
                do {
                    return try await federation.clientKey(for: header, jwksURI: uri, cacheKey: Self.clientKeysCacheKey(tenantID, client.clientID) + uri)
                } catch {
                    // The reason (refused destination, unreachable, no such key) is logged, not sent.
                    logger.notice(
                        "client assertion key not found", metadata: ["client_id": "\(client.clientID)", "reason": "\(error)"])
                    throw OAuthError.invalidClient("no key of the client's jwks_uri verifies the assertion", debug: "\(error)")
                }
            },
            unseal: { sealed in try database.unseal(sealed) },
            replay: database)
    }

    /// The start of the cache key of a client's `jwks_uri` document; the URI follows it.
    static func clientKeysCacheKey(_ tenantID: String, _ clientID: String) -> String { "\(tenantID)/\(clientID)@" }

    /// Drops the cached `jwks_uri` document of a client that was changed or deleted, so that its
    /// next assertion is checked against the keys its (new) `jwks_uri` publishes now.
    func forgetClientKeys(of clientID: String, in tenant: ResolvedTenant) {
        federation.forgetClientKeys(prefix: Self.clientKeysCacheKey(tenant.id.rawValue, clientID))
    }
}
