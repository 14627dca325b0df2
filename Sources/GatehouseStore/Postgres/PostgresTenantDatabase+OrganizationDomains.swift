import Foundation
import GatehouseCore
import PostgresNIO

/// Domains and per-organization SSO of a tenant schema (`OrganizationInvitationStore`,
/// docs/contract.md A8). A domain is the table's primary key, so "unique in the tenant" is the
/// database's decision; rows that name an organization, a role or a provider hold it
/// (`FOR KEY SHARE`) until they are written.
extension PostgresTenantDatabase {
    // MARK: Domains

    public func insertDomain(_ domain: OrganizationDomain) async throws {
        try await transaction { connection in
            guard try await self.holdOrganization(domain.organizationID, on: connection) else {
                throw StoreError.notFound("the organization does not exist")
            }
            guard try await self.holdRole(domain.defaultRole, on: connection) else {
                throw StoreError.notFound("the role '\(domain.defaultRole)' does not exist")
            }
            let statement = self.insert(into: "organization_domains", columns: OrganizationDomain.columns, values: domain.postgresValues)
            try await Self.mapConflict("the domain '\(domain.domain)' is held by an organization") { try await self.run(statement, on: connection) }
        }
    }

    public func domains(of organization: OrganizationID) async throws -> [OrganizationDomain] {
        try await query(
            """
            SELECT \(unescaped: OrganizationDomain.columns) FROM \(unescaped: schema).organization_domains
            WHERE organization_id = \(organization.rawValue) ORDER BY domain
            """
        ).map(OrganizationDomain.init(postgres:))
    }

    public func updateDomain(_ domain: OrganizationDomain) async throws -> Bool {
        guard !Self.hasNUL(domain.domain) else { return false }
        let verified: PostgresTimestamp? = domain.verifiedAt.map { PostgresTimestamp($0) }
        return try await transaction { connection in
            guard try await self.holdRole(domain.defaultRole, on: connection) else {
                throw StoreError.notFound("the role '\(domain.defaultRole)' does not exist")
            }
            return try await !self.run(
                """
                UPDATE \(unescaped: self.schema).organization_domains SET verified_at = \(verified),
                auto_join = \(domain.autoJoin), default_role = \(domain.defaultRole)
                WHERE domain = \(domain.domain) AND organization_id = \(domain.organizationID.rawValue) RETURNING domain
                """, on: connection
            ).isEmpty
        }
    }

    public func removeDomain(_ domain: String, of organization: OrganizationID) async throws -> Bool {
        guard !Self.hasNUL(domain) else { return false }
        return try await !query(
            """
            DELETE FROM \(unescaped: schema).organization_domains WHERE domain = \(domain) AND organization_id = \(organization.rawValue)
            RETURNING domain
            """
        ).isEmpty
    }

    public func verifiedDomain(_ domain: String) async throws -> OrganizationDomain? {
        let name = domain.lowercased()
        guard !Self.hasNUL(name) else { return nil }
        return try await query(
            """
            SELECT \(unescaped: OrganizationDomain.columns) FROM \(unescaped: schema).organization_domains
            WHERE domain = \(name) AND verified_at IS NOT NULL
            """
        ).first.map(OrganizationDomain.init(postgres:))
    }

    // MARK: Per-organization SSO

    public func setSSO(_ sso: OrganizationSSO) async throws {
        guard !Self.hasNUL(sso.providerID) else { throw StoreError.notFound("the upstream provider does not exist") }
        try await transaction { connection in
            guard try await self.holdOrganization(sso.organizationID, on: connection) else {
                throw StoreError.notFound("the organization does not exist")
            }
            let provider = try await self.run(
                "SELECT 1 FROM \(unescaped: self.schema).upstream_providers WHERE id = \(sso.providerID) FOR KEY SHARE", on: connection)
            guard !provider.isEmpty else { throw StoreError.notFound("the upstream provider '\(sso.providerID)' does not exist") }
            guard try await self.holdRole(sso.defaultRole, on: connection) else {
                throw StoreError.notFound("the role '\(sso.defaultRole)' does not exist")
            }
            try await self.run(
                """
                INSERT INTO \(unescaped: self.schema).organization_sso (organization_id, provider_id, enforced, default_role)
                VALUES (\(sso.organizationID.rawValue), \(sso.providerID), \(sso.enforced), \(sso.defaultRole))
                ON CONFLICT (organization_id) DO UPDATE SET provider_id = excluded.provider_id, enforced = excluded.enforced,
                default_role = excluded.default_role
                """, on: connection)
        }
    }

    public func sso(of organization: OrganizationID) async throws -> OrganizationSSO? {
        try await query(
            """
            SELECT \(unescaped: OrganizationSSO.columns) FROM \(unescaped: schema).organization_sso
            WHERE organization_id = \(organization.rawValue)
            """
        ).first.map(OrganizationSSO.init(postgres:))
    }

    public func removeSSO(of organization: OrganizationID) async throws -> Bool {
        try await !query(
            "DELETE FROM \(unescaped: schema).organization_sso WHERE organization_id = \(organization.rawValue) RETURNING organization_id"
        ).isEmpty
    }

    public func ssoOrganizations(provider providerID: String) async throws -> [OrganizationSSO] {
        guard !Self.hasNUL(providerID) else { return [] }
        return try await query(
            """
            SELECT \(unescaped: OrganizationSSO.columns) FROM \(unescaped: schema).organization_sso
            WHERE provider_id = \(providerID) ORDER BY organization_id
            """
        ).map(OrganizationSSO.init(postgres:))
    }

    /// Whether the organization exists; holds its row against deletion until the transaction ends.
    private func holdOrganization(_ id: OrganizationID, on connection: PostgresConnection) async throws -> Bool {
        try await !run(
            "SELECT 1 FROM \(unescaped: schema).organizations WHERE id = \(id.rawValue) FOR KEY SHARE", on: connection
        ).isEmpty
    }
}
