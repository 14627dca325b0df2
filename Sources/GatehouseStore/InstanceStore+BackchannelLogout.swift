import Foundation
import GatehouseCore
import GRDB

/// The instance's index of tenants with back-channel logout clients (`logout_tenants`), so that
/// the logout worker visits only those tenants (OpenID Connect Back-Channel Logout 1.0). The admin
/// API and console mark a tenant before storing a client with a `backchannel_logout_uri`; a tenant
/// stays listed afterwards (its visit then costs one read of its outbox).
extension InstanceStore {
    public func markLogoutTenant(_ tenant: ResolvedTenant) async throws {
        let id = tenant.id.rawValue
        try await instance.write { db in
            try db.execute(
                cached: """
                    INSERT INTO logout_tenants (tenant_id, version) VALUES (?, 1)
                    ON CONFLICT(tenant_id) DO UPDATE SET version = version + 1
                    """, arguments: [id])
        }
    }

    public func logoutTenants(limit: Int) async throws -> [ResolvedTenant] {
        let ids = try await instance.read { db in
            try String.fetchAll(db, cached: "SELECT tenant_id FROM logout_tenants ORDER BY tenant_id LIMIT ?", arguments: [limit])
        }
        return ids.compactMap { TenantID(rawValue: $0).flatMap(resolve(id:)) }
    }
}
