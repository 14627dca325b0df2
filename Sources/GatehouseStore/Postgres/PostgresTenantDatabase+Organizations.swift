import Foundation
import GatehouseCore
import PostgresNIO

/// Organizations, roles and memberships of a tenant schema (`OrganizationStore`, docs/contract.md
/// A8), as `TenantDatabase+Organizations.swift` does them on SQLite.
///
/// Transactions interleave here, so each rule is decided under row locks: a change that could
/// remove an owner first locks every owner row of the organization (`FOR UPDATE`, in user-id
/// order), so of two concurrent demotions of the only two owners the second re-reads one owner
/// and is refused; a membership that names a role holds the role row (`FOR KEY SHARE`) and a role
/// deletion locks it (`FOR UPDATE`) before counting its holders.
extension PostgresTenantDatabase {
    // MARK: Organizations

    public func insertOrganization(_ organization: Organization, firstMember: Membership?) async throws {
        try await transaction { connection in
            do {
                try await self.run(
                    self.insert(into: "organizations", columns: Organization.columns, values: organization.postgresValues), on: connection)
            } catch  where Self.isUniqueViolation(error) {
                throw StoreError.conflict("an organization with slug '\(organization.slug)' already exists")
            }
            if let member = firstMember { try await self.insertMembership(member, on: connection) }
        }
    }

    public func organization(id: OrganizationID) async throws -> Organization? {
        try await query(
            "SELECT \(unescaped: Organization.columns) FROM \(unescaped: schema).organizations WHERE id = \(id.rawValue)"
        ).first.map(Organization.init(postgres:))
    }

    public func organization(slug: String) async throws -> Organization? {
        guard !Self.hasNUL(slug) else { return nil }
        return try await query("SELECT \(unescaped: Organization.columns) FROM \(unescaped: schema).organizations WHERE slug = \(slug)")
            .first.map(Organization.init(postgres:))
    }

    /// Ids compare bytewise; `query` matches name or slug with `ILIKE` under "C" (ASCII folding
    /// only, as SQLite's `LIKE`).
    public func listOrganizations(limit: Int, after: OrganizationID?, query: String?) async throws -> [Organization] {
        guard !Self.hasNUL(query) else { return [] }
        let pattern = query.map(TenantDatabase.likePattern)
        return try await self.query(
            """
            SELECT \(unescaped: Organization.columns) FROM \(unescaped: schema).organizations
            WHERE id > \(after?.rawValue ?? "") AND (\(pattern)::text IS NULL OR name ILIKE \(pattern) ESCAPE '\\'
            OR slug ILIKE \(pattern) ESCAPE '\\') ORDER BY id LIMIT \(limit)
            """
        ).map(Organization.init(postgres:))
    }

    public func updateOrganization(_ organization: Organization) async throws {
        let updated: [PostgresRow]
        do {
            updated = try await query(
                """
                UPDATE \(unescaped: schema).organizations SET name = \(organization.name), slug = \(organization.slug),
                public_metadata = \(JSONColumn.encode(organization.publicMetadata)),
                private_metadata = \(JSONColumn.encode(organization.privateMetadata)), mfa_required = \(organization.mfaRequired),
                updated_at = \(PostgresTimestamp(organization.updatedAt)) WHERE id = \(organization.id.rawValue) RETURNING id
                """)
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("an organization with slug '\(organization.slug)' already exists")
        }
        guard !updated.isEmpty else { throw StoreError.notFound("the organization does not exist") }
    }

    public func deleteOrganization(_ id: OrganizationID, at now: Date) async throws -> Bool {
        let revoked = try await transaction { connection -> [String]? in
            let deleted = try await self.run(
                "DELETE FROM \(unescaped: self.schema).organizations WHERE id = \(id.rawValue) RETURNING id", on: connection)
            guard !deleted.isEmpty else { return nil }
            // Memberships follow by ON DELETE CASCADE.
            return try await self.revokeLiveGrants(.organizationID, id.rawValue, at: now, on: connection)
        }
        guard let revoked else { return false }
        revocations.revokeGrants(revoked, at: now)
        return true
    }

    // MARK: Roles

    public func roles() async throws -> [OrganizationRole] {
        try await query(
            """
            SELECT \(unescaped: OrganizationRole.columns) FROM \(unescaped: schema).organization_roles
            ORDER BY CASE name WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, name
            """
        ).map(OrganizationRole.init(postgres:))
    }

    public func role(named name: String) async throws -> OrganizationRole? {
        guard !Self.hasNUL(name) else { return nil }
        return try await query(
            "SELECT \(unescaped: OrganizationRole.columns) FROM \(unescaped: schema).organization_roles WHERE name = \(name)"
        ).first.map(OrganizationRole.init(postgres:))
    }

    public func insertRole(_ role: OrganizationRole) async throws {
        let statement = insert(into: "organization_roles", columns: OrganizationRole.columns, values: role.postgresValues)
        try await Self.mapConflict("a role named '\(role.name)' already exists") { try await query(statement) }
    }

    public func updateRole(_ role: OrganizationRole) async throws {
        let updated = try await query(
            """
            UPDATE \(unescaped: schema).organization_roles SET permissions = \(JSONColumn.encode(role.permissions)),
            description = \(role.description), updated_at = \(PostgresTimestamp(role.updatedAt)) WHERE name = \(role.name) RETURNING name
            """)
        guard !updated.isEmpty else { throw StoreError.notFound("the role does not exist") }
    }

    public func deleteRole(named name: String) async throws -> RoleDeletion {
        guard !Self.hasNUL(name) else { return .notFound }
        return try await transaction { connection in
            let found = try await self.run(
                "SELECT name FROM \(unescaped: self.schema).organization_roles WHERE name = \(name) FOR UPDATE", on: connection)
            guard !found.isEmpty else { return .notFound }
            if OrganizationRole.builtIn.contains(name) { return .builtIn }
            let holders =
                try await self.run(
                    "SELECT count(*) FROM \(unescaped: self.schema).memberships WHERE role = \(name)", on: connection
                ).first?.decode(Int.self) ?? 0
            if holders > 0 { return .inUse(holders) }
            try await self.run("DELETE FROM \(unescaped: self.schema).organization_roles WHERE name = \(name)", on: connection)
            return .deleted
        }
    }

    // MARK: Memberships

    public func insertMembership(_ membership: Membership) async throws {
        try await transaction { connection in
            let organization = try await self.run(
                "SELECT 1 FROM \(unescaped: self.schema).organizations WHERE id = \(membership.organizationID.rawValue) FOR KEY SHARE",
                on: connection)
            guard !organization.isEmpty else { throw StoreError.notFound("the organization does not exist") }
            try await self.insertMembership(membership, on: connection)
        }
    }

    /// Inserts a membership in the caller's transaction, after checking (and holding) its user and role.
    func insertMembership(_ membership: Membership, on connection: PostgresConnection) async throws {
        let user = try await run(
            "SELECT 1 FROM \(unescaped: schema).users WHERE id = \(membership.userID.rawValue) FOR KEY SHARE", on: connection)
        guard !user.isEmpty else { throw StoreError.notFound("the user does not exist") }
        guard try await holdRole(membership.role, on: connection) else {
            throw StoreError.notFound("the role '\(membership.role)' does not exist")
        }
        do {
            try await run(insert(into: "memberships", columns: Membership.columns, values: membership.postgresValues), on: connection)
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("the user is already a member of the organization")
        }
    }

    public func membership(organization: OrganizationID, user: UserID) async throws -> Membership? {
        try await query(
            """
            SELECT \(unescaped: Membership.columns) FROM \(unescaped: schema).memberships
            WHERE organization_id = \(organization.rawValue) AND user_id = \(user.rawValue)
            """
        ).first.map(Membership.init(postgres:))
    }

    public func members(of organization: OrganizationID, limit: Int, after: UserID?) async throws -> [Membership] {
        try await query(
            """
            SELECT \(unescaped: Membership.columns) FROM \(unescaped: schema).memberships
            WHERE organization_id = \(organization.rawValue) AND user_id > \(after?.rawValue ?? "") ORDER BY user_id LIMIT \(limit)
            """
        ).map(Membership.init(postgres:))
    }

    public func memberships(of user: UserID) async throws -> [Membership] {
        try await query(
            """
            SELECT \(unescaped: Membership.columns) FROM \(unescaped: schema).memberships
            WHERE user_id = \(user.rawValue) ORDER BY organization_id
            """
        ).map(Membership.init(postgres:))
    }

    public func changeRole(organization: OrganizationID, user: UserID, to role: String, at now: Date) async throws -> MembershipChange {
        guard !Self.hasNUL(role) else { return .unknownRole }
        return try await transaction { connection in
            let owners = try await self.lockOwners(of: organization, on: connection)
            guard var member = try await self.lockMembership(organization, user, on: connection) else { return .notFound }
            guard try await self.holdRole(role, on: connection) else { return .unknownRole }
            if member.role == OrganizationRole.owner, role != OrganizationRole.owner, owners <= 1 { return .lastOwner }
            try await self.run(
                """
                UPDATE \(unescaped: self.schema).memberships SET role = \(role), updated_at = \(PostgresTimestamp(now))
                WHERE organization_id = \(organization.rawValue) AND user_id = \(user.rawValue)
                """, on: connection)
            member.role = role
            member.updatedAt = now
            return .done(member)
        }
    }

    public func removeMembership(organization: OrganizationID, user: UserID, at now: Date) async throws -> MembershipChange {
        try await transaction { connection in
            let owners = try await self.lockOwners(of: organization, on: connection)
            guard let member = try await self.lockMembership(organization, user, on: connection) else { return .notFound }
            if member.role == OrganizationRole.owner, owners <= 1 { return .lastOwner }
            try await self.run(
                """
                DELETE FROM \(unescaped: self.schema).memberships
                WHERE organization_id = \(organization.rawValue) AND user_id = \(user.rawValue)
                """, on: connection)
            return .done(member)
        }
    }

    // MARK: Grants

    public func setOrganization(of grant: GrantID, to organization: OrganizationID?) async throws {
        let updated = try await query(
            "UPDATE \(unescaped: schema).grants SET organization_id = \(organization?.rawValue) WHERE id = \(grant.rawValue) RETURNING id")
        guard !updated.isEmpty else { throw StoreError.notFound("the grant does not exist") }
    }

    // MARK: Helpers

    /// Locks every owner row of `organization` (in user-id order, so that concurrent changes do
    /// not deadlock) and counts them as they are once the locks are held.
    private func lockOwners(of organization: OrganizationID, on connection: PostgresConnection) async throws -> Int {
        try await run(
            """
            SELECT user_id FROM \(unescaped: schema).memberships
            WHERE organization_id = \(organization.rawValue) AND role = \(OrganizationRole.owner) ORDER BY user_id FOR UPDATE
            """, on: connection
        ).count
    }

    private func lockMembership(_ organization: OrganizationID, _ user: UserID, on connection: PostgresConnection) async throws
        -> Membership?
    {
        try await run(
            """
            SELECT \(unescaped: Membership.columns) FROM \(unescaped: schema).memberships
            WHERE organization_id = \(organization.rawValue) AND user_id = \(user.rawValue) FOR UPDATE
            """, on: connection
        ).first.map(Membership.init(postgres:))
    }

    /// Whether the role exists; holds its row against deletion until the transaction ends.
    func holdRole(_ name: String, on connection: PostgresConnection) async throws -> Bool {
        guard !Self.hasNUL(name) else { return false }
        let rows = try await run(
            "SELECT 1 FROM \(unescaped: schema).organization_roles WHERE name = \(name) FOR KEY SHARE", on: connection)
        return !rows.isEmpty
    }
}

// MARK: Row mapping

extension Organization {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            id: OrganizationID(rawValue: try r("id"))!, name: try r("name"), slug: try r("slug"),
            publicMetadata: JSONColumn.decode([String: JSONValue].self, try r("public_metadata")) ?? [:],
            privateMetadata: JSONColumn.decode([String: JSONValue].self, try r("private_metadata")) ?? [:],
            mfaRequired: try r("mfa_required"), createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([
            id.rawValue, name, slug, JSONColumn.encode(publicMetadata), JSONColumn.encode(privateMetadata), mfaRequired,
            PostgresTimestamp(createdAt), PostgresTimestamp(updatedAt),
        ])
    }
}

extension OrganizationRole {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            name: try r("name"), permissions: JSONColumn.decode([String].self, try r("permissions")) ?? [],
            description: try r("description"), createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([name, JSONColumn.encode(permissions), description, PostgresTimestamp(createdAt), PostgresTimestamp(updatedAt)])
    }
}

extension Membership {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            organizationID: OrganizationID(rawValue: try r("organization_id"))!, userID: UserID(rawValue: try r("user_id"))!,
            role: try r("role"), createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([organizationID.rawValue, userID.rawValue, role, PostgresTimestamp(createdAt), PostgresTimestamp(updatedAt)])
    }
}
