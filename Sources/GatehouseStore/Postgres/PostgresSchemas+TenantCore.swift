extension PostgresSchemas {
    /// The tables of `TenantStore` (clients, users, sessions, interactions, grants, codes, refresh
    /// and revoked access tokens) and signing keys, in `{schema}`.
    static let tenantCoreV1: [String] = []
}
