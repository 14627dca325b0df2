import Foundation
import GatehouseCore
import GRDB

/// The instance's index of tenants with webhook endpoints (`webhook_tenants`), so that the webhook
/// worker visits only those tenants. The admin API marks a tenant before and after storing an
/// endpoint, and unmarks it after deleting its last one (then looks again and marks it anew if an
/// endpoint was created meanwhile).
extension InstanceStore {
    public func markWebhookTenant(_ tenant: ResolvedTenant) async throws {
        let id = tenant.id.rawValue
        try await instance.write { db in
            try db.execute(
                cached: """
                    INSERT INTO webhook_tenants (tenant_id, version) VALUES (?, 1)
                    ON CONFLICT(tenant_id) DO UPDATE SET version = version + 1
                    """, arguments: [id])
        }
    }

    public func unmarkWebhookTenant(_ tenant: ResolvedTenant) async throws {
        let id = tenant.id.rawValue
        try await instance.write { db in try db.execute(cached: "DELETE FROM webhook_tenants WHERE tenant_id = ?", arguments: [id]) }
    }

    public func webhookTenants(limit: Int) async throws -> [ResolvedTenant] {
        let ids = try await instance.read { db in
            try String.fetchAll(db, cached: "SELECT tenant_id FROM webhook_tenants ORDER BY tenant_id LIMIT ?", arguments: [limit])
        }
        return ids.compactMap { TenantID(rawValue: $0).flatMap(resolve(id:)) }
    }
}
