import GatehouseCore

/// One tenant's storage as the web layer holds it: every per-consumer protocol of GatehouseCore
/// (`TenantStorage`), plus the proof of which tenant it belongs to. `ResolvedTenant` can only be
/// made by `InstanceStore`, so a handle cannot be built for a tenant that was not resolved
/// (docs/architecture.md, Tenancy in the types). `TenantDatabase` (SQLite) is one; a further
/// backend conforms and passes the conformance suite (docs/architecture.md, Storage).
public protocol TenantHandle: TenantStorage, TenantCounting {
    /// The tenant whose rows this handle reads and writes.
    var tenant: ResolvedTenant { get }
}
