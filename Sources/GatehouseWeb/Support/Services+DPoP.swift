import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    /// RFC 9449 §4.1: the proof header.
    static let dpop = Self("DPoP")!
    /// RFC 9449 §8.1: the server's nonce.
    static let dpopNonce = Self("DPoP-Nonce")!
}

extension Services {
    /// A tenant's DPoP nonces (RFC 9449 §8) under the instance's ``dpopNonceKey``.
    func dpopNonces(for tenant: ResolvedTenant) -> DPoPNonces {
        DPoPNonces(key: dpopNonceKey, tenantID: tenant.id.rawValue)
    }

    /// The DPoP side of `request` to the endpoint `path` of a tenant (RFC 9449 §4.3): its `DPoP`
    /// headers, method, and the URI `htu` must name — the tenant's issuer and the endpoint's path,
    /// the URL discovery publishes (as the audience of client assertions).
    func dpopRequest(_ request: Request, database: any TenantHandle, path: String) -> DPoPRequest {
        DPoPRequest(
            proofs: request.headers[values: .dpop], method: request.method.rawValue, uri: issuer(of: database.tenant) + path,
            nonces: dpopNonces(for: database.tenant), nonceRequired: database.tenant.tenant.settings.dpopNonceRequired, store: database)
    }
}
