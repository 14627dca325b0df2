/// Scopes that grant access to a tenant's part of the admin API (docs/contract.md A4) to a
/// confidential client of that tenant, through the client credentials grant. They are never
/// granted to end-user flows.
public enum AdminScope {
    public static let tenantRead = "tenant:read"
    public static let tenantWrite = "tenant:write"
    public static let clientsRead = "clients:read"
    public static let clientsWrite = "clients:write"
    public static let usersRead = "users:read"
    public static let usersWrite = "users:write"
    public static let sessionsRead = "sessions:read"
    public static let sessionsWrite = "sessions:write"
    public static let keysRead = "keys:read"
    public static let keysWrite = "keys:write"
    /// Organizations, their members and the tenant's organization roles (docs/contract.md A8).
    public static let orgsRead = "orgs:read"
    public static let orgsWrite = "orgs:write"
    /// The audit log (docs/contract.md A9): its entries name users (email, address, user agent),
    /// which `tenant:read` alone does not reveal.
    public static let auditRead = "audit:read"

    public static let all: ScopeSet = [
        tenantRead, tenantWrite, clientsRead, clientsWrite, usersRead, usersWrite,
        sessionsRead, sessionsWrite, keysRead, keysWrite, orgsRead, orgsWrite, auditRead,
    ]

    public static func isAdmin(_ scope: String) -> Bool { all.contains(scope) }
}
