import GatehouseCore
import Synchronization

/// The delivery attempts in flight on this node, in all and per tenant (docs/contract.md A9,
/// `[webhooks] max_concurrent_deliveries` and `max_concurrent_deliveries_per_tenant`).
///
/// The worker reserves slots before it claims a tenant's due deliveries and claims no more than
/// it got, so every claimed delivery starts at once (its lease runs from the claim) and a
/// tenant whose endpoints hang holds at most its per-tenant share while the others go on.
final class WebhookDeliverySlots: Sendable {
    /// Slots of the node, all tenants together.
    let total: Int
    /// Slots one tenant may hold.
    let perTenant: Int
    private let state = Mutex<(used: Int, byTenant: [TenantID: Int])>((0, [:]))

    init(total: Int, perTenant: Int) {
        self.total = max(1, total)
        self.perTenant = max(1, min(perTenant, self.total))
    }

    /// Reserves up to `wanted` slots for `tenant`.
    /// - Returns: how many were reserved, 0…`wanted` (0 when the node or the tenant is at its limit).
    func reserve(for tenant: TenantID, upTo wanted: Int) -> Int {
        state.withLock { state in
            let held = state.byTenant[tenant, default: 0]
            let granted = max(0, min(wanted, perTenant - held, total - state.used))
            if granted > 0 {
                state.used += granted
                state.byTenant[tenant] = held + granted
            }
            return granted
        }
    }

    /// Gives back `count` slots of `tenant`.
    func release(for tenant: TenantID, count: Int = 1) {
        guard count > 0 else { return }
        state.withLock { state in
            let held = state.byTenant[tenant, default: 0] - count
            state.byTenant[tenant] = held > 0 ? held : nil
            state.used = max(0, state.used - count)
        }
    }

    /// Slots in use: in all, and by `tenant`.
    func inUse(by tenant: TenantID? = nil) -> Int {
        state.withLock { state in tenant.map { state.byTenant[$0, default: 0] } ?? state.used }
    }
}
