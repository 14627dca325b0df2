import Foundation
import GatehouseCore
import GRDB

/// Organizations, roles and memberships of a tenant database (`OrganizationStore`,
/// docs/contract.md A8). SQLite has one writer, so a check and the write it guards (the last
/// owner, a role in use) run in one write transaction and cannot interleave with another.
extension TenantDatabase {
    // MARK: Organizations

    public func insertOrganization(_ organization: Organization, firstMember: Membership?) async throws {
        try await pool.write { db in
            do {
                try db.execute(
                    cached: "INSERT INTO organizations (\(Organization.columns)) VALUES (?,?,?,?,?,?,?,?)",
                    arguments: organization.arguments)
            } catch let error as DatabaseError where Self.isUniqueViolation(error) {
                throw StoreError.conflict("an organization with slug '\(organization.slug)' already exists")
            }
            if let member = firstMember { try Self.insertMembership(member, db: db) }
        }
    }

    public func organization(id: OrganizationID) async throws -> Organization? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Organization.columns) FROM organizations WHERE id = ?", arguments: [id.rawValue])
                .map(Organization.init(row:))
        }
    }

    public func organization(slug: String) async throws -> Organization? {
        let found = try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Organization.columns) FROM organizations WHERE slug = ?", arguments: [slug])
                .map(Organization.init(row:))
        }
        // Exact matches only (SQLite binds text up to a NUL byte).
        return found?.slug == slug ? found : nil
    }

    public func listOrganizations(limit: Int, after: OrganizationID?, query: String?) async throws -> [Organization] {
        try await pool.read { db in
            var sql = "SELECT \(Organization.columns) FROM organizations WHERE id > ?"
            var arguments: SQLArguments = [after?.rawValue ?? ""]
            if let query {
                let pattern = Self.likePattern(query)
                sql += " AND (name LIKE ? ESCAPE '\\' OR slug LIKE ? ESCAPE '\\')"
                arguments += [pattern, pattern]
            }
            sql += " ORDER BY id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, cached: sql, arguments: arguments).map(Organization.init(row:))
        }
    }

    public func updateOrganization(_ organization: Organization) async throws {
        try await pool.write { db in
            do {
                try db.execute(
                    cached: """
                        UPDATE organizations SET name = ?, slug = ?, public_metadata = ?, private_metadata = ?, mfa_required = ?,
                        updated_at = ? WHERE id = ?
                        """,
                    arguments: [
                        organization.name, organization.slug, JSONColumn.encode(organization.publicMetadata),
                        JSONColumn.encode(organization.privateMetadata), organization.mfaRequired, organization.updatedAt,
                        organization.id.rawValue,
                    ])
            } catch let error as DatabaseError where Self.isUniqueViolation(error) {
                throw StoreError.conflict("an organization with slug '\(organization.slug)' already exists")
            }
            guard db.changesCount > 0 else { throw StoreError.notFound("the organization does not exist") }
        }
    }

    public func deleteOrganization(_ id: OrganizationID, at now: Date) async throws -> Bool {
        let revoked = try await pool.write { db -> [String]? in
            guard try Bool.fetchOne(db, cached: "SELECT 1 FROM organizations WHERE id = ?", arguments: [id.rawValue]) != nil else {
                return nil
            }
            let revoked = try Self.revokeLiveGrants(.organizationID, id.rawValue, at: now, db: db)
            // Memberships follow by ON DELETE CASCADE.
            try db.execute(cached: "DELETE FROM organizations WHERE id = ?", arguments: [id.rawValue])
            return revoked
        }
        guard let revoked else { return false }
        revocations.revokeGrants(revoked, at: now)
        return true
    }

    // MARK: Roles

    public func roles() async throws -> [OrganizationRole] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                cached: """
                    SELECT \(OrganizationRole.columns) FROM organization_roles
                    ORDER BY CASE name WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, name
                    """
            ).map(OrganizationRole.init(row:))
        }
    }

    public func role(named name: String) async throws -> OrganizationRole? {
        let found = try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(OrganizationRole.columns) FROM organization_roles WHERE name = ?", arguments: [name])
                .map(OrganizationRole.init(row:))
        }
        return found?.name == name ? found : nil
    }

    public func insertRole(_ role: OrganizationRole) async throws {
        do {
            try await pool.write { db in
                try db.execute(
                    cached: "INSERT INTO organization_roles (\(OrganizationRole.columns)) VALUES (?,?,?,?,?)", arguments: role.arguments)
            }
        } catch let error as DatabaseError where Self.isUniqueViolation(error) {
            throw StoreError.conflict("a role named '\(role.name)' already exists")
        }
    }

    public func updateRole(_ role: OrganizationRole) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE organization_roles SET permissions = ?, description = ?, updated_at = ? WHERE name = ?",
                arguments: [JSONColumn.encode(role.permissions), role.description, role.updatedAt, role.name])
            guard db.changesCount > 0 else { throw StoreError.notFound("the role does not exist") }
        }
    }

    public func deleteRole(named name: String) async throws -> RoleDeletion {
        try await pool.write { db in
            guard try Bool.fetchOne(db, cached: "SELECT 1 FROM organization_roles WHERE name = ?", arguments: [name]) != nil else {
                return .notFound
            }
            if OrganizationRole.builtIn.contains(name) { return .builtIn }
            let holders = try Int.fetchOne(db, cached: "SELECT count(*) FROM memberships WHERE role = ?", arguments: [name]) ?? 0
            if holders > 0 { return .inUse(holders) }
            try db.execute(cached: "DELETE FROM organization_roles WHERE name = ?", arguments: [name])
            return .deleted
        }
    }

    // MARK: Memberships

    public func insertMembership(_ membership: Membership) async throws {
        try await pool.write { db in
            guard try Bool.fetchOne(db, cached: "SELECT 1 FROM organizations WHERE id = ?", arguments: [membership.organizationID.rawValue]) != nil
            else { throw StoreError.notFound("the organization does not exist") }
            try Self.insertMembership(membership, db: db)
        }
    }

    /// Inserts a membership in the caller's transaction, after checking its user and role.
    static func insertMembership(_ membership: Membership, db: Database) throws {
        guard try Bool.fetchOne(db, cached: "SELECT 1 FROM users WHERE id = ?", arguments: [membership.userID.rawValue]) != nil else {
            throw StoreError.notFound("the user does not exist")
        }
        guard try roleExists(membership.role, db: db) else { throw StoreError.notFound("the role '\(membership.role)' does not exist") }
        do {
            try db.execute(cached: "INSERT INTO memberships (\(Membership.columns)) VALUES (?,?,?,?,?)", arguments: membership.arguments)
        } catch let error as DatabaseError where isUniqueViolation(error) {
            throw StoreError.conflict("the user is already a member of the organization")
        }
    }

    public func membership(organization: OrganizationID, user: UserID) async throws -> Membership? {
        try await pool.read { db in try Self.membership(organization, user, db: db) }
    }

    public func members(of organization: OrganizationID, limit: Int, after: UserID?) async throws -> [Membership] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                cached: "SELECT \(Membership.columns) FROM memberships WHERE organization_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
                arguments: [organization.rawValue, after?.rawValue ?? "", limit]
            ).map(Membership.init(row:))
        }
    }

    public func memberships(of user: UserID) async throws -> [Membership] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(Membership.columns) FROM memberships WHERE user_id = ? ORDER BY organization_id",
                arguments: [user.rawValue]
            ).map(Membership.init(row:))
        }
    }

    public func changeRole(organization: OrganizationID, user: UserID, to role: String, at now: Date) async throws -> MembershipChange {
        try await pool.write { db in
            guard var member = try Self.membership(organization, user, db: db) else { return .notFound }
            guard try Self.roleExists(role, db: db) else { return .unknownRole }
            if member.role == OrganizationRole.owner, role != OrganizationRole.owner, try Self.ownerCount(organization, db: db) <= 1 {
                return .lastOwner
            }
            try db.execute(
                cached: "UPDATE memberships SET role = ?, updated_at = ? WHERE organization_id = ? AND user_id = ?",
                arguments: [role, now, organization.rawValue, user.rawValue])
            member.role = role
            member.updatedAt = now
            return .done(member)
        }
    }

    public func removeMembership(organization: OrganizationID, user: UserID, at now: Date) async throws -> MembershipChange {
        try await pool.write { db in
            guard let member = try Self.membership(organization, user, db: db) else { return .notFound }
            if member.role == OrganizationRole.owner, try Self.ownerCount(organization, db: db) <= 1 { return .lastOwner }
            try db.execute(
                cached: "DELETE FROM memberships WHERE organization_id = ? AND user_id = ?", arguments: [organization.rawValue, user.rawValue])
            return .done(member)
        }
    }

    // MARK: Grants

    public func setOrganization(of grant: GrantID, to organization: OrganizationID?) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE grants SET organization_id = ? WHERE id = ?", arguments: [organization?.rawValue, grant.rawValue])
            guard db.changesCount > 0 else { throw StoreError.notFound("the grant does not exist") }
        }
    }

    // MARK: Helpers

    static func membership(_ organization: OrganizationID, _ user: UserID, db: Database) throws -> Membership? {
        try Row.fetchOne(
            db, cached: "SELECT \(Membership.columns) FROM memberships WHERE organization_id = ? AND user_id = ?",
            arguments: [organization.rawValue, user.rawValue]
        ).map(Membership.init(row:))
    }

    static func roleExists(_ name: String, db: Database) throws -> Bool {
        try String.fetchOne(db, cached: "SELECT name FROM organization_roles WHERE name = ?", arguments: [name]) == name
    }

    static func ownerCount(_ organization: OrganizationID, db: Database) throws -> Int {
        try Int.fetchOne(
            db, cached: "SELECT count(*) FROM memberships WHERE organization_id = ? AND role = ?",
            arguments: [organization.rawValue, OrganizationRole.owner]) ?? 0
    }

    static func isUniqueViolation(_ error: DatabaseError) -> Bool {
        error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
    }

    /// `%query%` for `LIKE … ESCAPE '\'`, with `\`, `%` and `_` taken literally.
    static func likePattern(_ query: String) -> String {
        "%"
            + query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

// MARK: Row mapping

extension Organization {
    static let columns = "id, name, slug, public_metadata, private_metadata, mfa_required, created_at, updated_at"

    init(row: Row) {
        self.init(
            id: OrganizationID(rawValue: row["id"])!, name: row["name"], slug: row["slug"],
            publicMetadata: JSONColumn.decode([String: JSONValue].self, row["public_metadata"]) ?? [:],
            privateMetadata: JSONColumn.decode([String: JSONValue].self, row["private_metadata"]) ?? [:],
            mfaRequired: row["mfa_required"], createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
    }

    var arguments: SQLArguments {
        [
            id.rawValue, name, slug, JSONColumn.encode(publicMetadata), JSONColumn.encode(privateMetadata), mfaRequired, createdAt,
            updatedAt,
        ]
    }
}

extension OrganizationRole {
    static let columns = "name, permissions, description, created_at, updated_at"

    init(row: Row) {
        self.init(
            name: row["name"], permissions: JSONColumn.decode([String].self, row["permissions"]) ?? [], description: row["description"],
            createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
    }

    var arguments: SQLArguments { [name, JSONColumn.encode(permissions), description, createdAt, updatedAt] }
}

extension Membership {
    static let columns = "organization_id, user_id, role, created_at, updated_at"

    init(row: Row) {
        self.init(
            organizationID: OrganizationID(rawValue: row["organization_id"])!, userID: UserID(rawValue: row["user_id"])!,
            role: row["role"], createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
    }

    var arguments: SQLArguments { [organizationID.rawValue, userID.rawValue, role, createdAt, updatedAt] }
}
