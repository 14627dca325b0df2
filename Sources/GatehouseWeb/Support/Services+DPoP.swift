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
    /// The key of a tenant's DPoP nonces (RFC 9449 §8), derived from the instance master key (as
    /// the CSRF key is), so every node of an instance agrees on them.
    func dpopNonces(for tenant: ResolvedTenant) -> DPoPNonces {
        DPoPNonces(key: Digest.hmacSHA256(key: csrfKey, message: Array("gatehouse dpop nonce v1".utf8)), tenantID: tenant.id.rawValue)
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
