import Foundation
import GatehouseCore
import Synchronization

extension InMemoryTenantStore {
    /// A unique constraint would be violated, or a referenced row is missing (the SQLite and
    /// PostgreSQL stores throw `StoreError.conflict` / `.notFound` for the same cases).
    public struct ConstraintViolation: Error, Equatable {
        /// What `StoreError` case the SQLite and PostgreSQL stores throw for the same case.
        public enum Kind: Sendable, Equatable {
            /// `StoreError.conflict`: a unique constraint would be violated.
            case conflict
            /// `StoreError.notFound`: a referenced row is missing.
            case notFound
        }

        public var kind: Kind
        public var message: String

        public init(_ kind: Kind, _ message: String) {
            self.kind = kind
            self.message = message
        }
    }

    static func builtInRoles() -> [String: OrganizationRole] {
        let epoch = Date(timeIntervalSince1970: 0)
        var roles: [String: OrganizationRole] = [:]
        for name in OrganizationRole.builtIn {
            roles[name] = OrganizationRole(name: name, permissions: [], createdAt: epoch, updatedAt: epoch)
        }
        return roles
    }

    // MARK: Organizations

    public func insertOrganization(_ organization: Organization, firstMember: Membership?) async throws {
        try state.withLock { s in
            guard !s.organizations.values.contains(where: { $0.slug == organization.slug }),
                s.organizations[organization.id] == nil
            else { throw ConstraintViolation(.conflict, "an organization with slug '\(organization.slug)' already exists") }
            if let member = firstMember {
                guard s.users[member.userID] != nil else { throw ConstraintViolation(.notFound, "the user does not exist") }
                guard s.roles[member.role] != nil else {
                    throw ConstraintViolation(.notFound, "the role '\(member.role)' does not exist")
                }
            }
            s.organizations[organization.id] = organization
            s.memberships[organization.id] = firstMember.map { [$0.userID: $0] } ?? [:]
        }
    }

    public func organization(id: OrganizationID) async throws -> Organization? {
        state.withLock { $0.organizations[id] }
    }

    public func organization(slug: String) async throws -> Organization? {
        state.withLock { $0.organizations.values.first { $0.slug == slug } }
    }

    public func listOrganizations(limit: Int, after: OrganizationID?, query: String?) async throws -> [Organization] {
        let needle = query.map(Self.asciiLowercased)
        return state.withLock { s in
            s.organizations.values
                .filter { org in after.map { org.id > $0 } ?? true }
                .filter { org in
                    needle.map { Self.asciiLowercased(org.name).contains($0) || org.slug.contains($0) } ?? true
                }
                .sorted { $0.id < $1.id }
                .prefix(limit)
                .map { $0 }
        }
    }

    public func updateOrganization(_ organization: Organization) async throws {
        try state.withLock { s in
            guard s.organizations[organization.id] != nil else {
                throw ConstraintViolation(.notFound, "the organization does not exist")
            }
            guard !s.organizations.values.contains(where: { $0.slug == organization.slug && $0.id != organization.id })
            else { throw ConstraintViolation(.conflict, "an organization with slug '\(organization.slug)' already exists") }
            s.organizations[organization.id] = organization
        }
    }

    public func deleteOrganization(_ id: OrganizationID, at now: Date) async throws -> Bool {
        state.withLock { s in
            guard s.organizations.removeValue(forKey: id) != nil else { return false }
            s.memberships[id] = nil
            s.invitations = s.invitations.filter { $0.value.organizationID != id }
            s.domains = s.domains.filter { $0.value.organizationID != id }
            s.organizationSSO[id] = nil
            for (grantID, grant) in s.grants where grant.organizationID == id && grant.revokedAt == nil {
                s.grants[grantID]?.revokedAt = now
            }
            return true
        }
    }

    // MARK: Roles

    public func roles() async throws -> [OrganizationRole] {
        state.withLock { s in
            OrganizationRole.builtIn.compactMap { s.roles[$0] }
                + s.roles.values.filter { !$0.isBuiltIn }.sorted { $0.name < $1.name }
        }
    }

    public func role(named name: String) async throws -> OrganizationRole? { state.withLock { $0.roles[name] } }

    public func insertRole(_ role: OrganizationRole) async throws {
        try state.withLock { s in
            guard s.roles[role.name] == nil else { throw ConstraintViolation(.conflict, "a role named '\(role.name)' already exists") }
            s.roles[role.name] = role
        }
    }

    public func updateRole(_ role: OrganizationRole) async throws {
        try state.withLock { s in
            guard let existing = s.roles[role.name] else { throw ConstraintViolation(.notFound, "the role does not exist") }
            var updated = role
            updated.createdAt = existing.createdAt
            s.roles[role.name] = updated
        }
    }

    public func deleteRole(named name: String) async throws -> RoleDeletion {
        state.withLock { s in
            guard s.roles[name] != nil else { return .notFound }
            if OrganizationRole.builtIn.contains(name) { return .builtIn }
            let holders = s.memberships.values.reduce(0) { $0 + $1.values.filter { $0.role == name }.count }
            if holders > 0 { return .inUse(holders) }
            s.roles[name] = nil
            return .deleted
        }
    }

    // MARK: Memberships

    public func insertMembership(_ membership: Membership) async throws {
        try state.withLock { s in
            guard s.organizations[membership.organizationID] != nil else {
                throw ConstraintViolation(.notFound, "the organization does not exist")
            }
            guard s.users[membership.userID] != nil else { throw ConstraintViolation(.notFound, "the user does not exist") }
            guard s.roles[membership.role] != nil else {
                throw ConstraintViolation(.notFound, "the role '\(membership.role)' does not exist")
            }
            guard s.memberships[membership.organizationID]?[membership.userID] == nil else {
                throw ConstraintViolation(.conflict, "the user is already a member of the organization")
            }
            s.memberships[membership.organizationID, default: [:]][membership.userID] = membership
        }
    }

    public func membership(organization: OrganizationID, user: UserID) async throws -> Membership? {
        state.withLock { $0.memberships[organization]?[user] }
    }

    public func members(of organization: OrganizationID, limit: Int, after: UserID?) async throws -> [Membership] {
        state.withLock { s in
            (s.memberships[organization] ?? [:]).values
                .filter { member in after.map { member.userID > $0 } ?? true }
                .sorted { $0.userID < $1.userID }
                .prefix(limit)
                .map { $0 }
        }
    }

    public func memberships(of user: UserID) async throws -> [Membership] {
        state.withLock { s in
            s.memberships.values.compactMap { $0[user] }.sorted { $0.organizationID < $1.organizationID }
        }
    }

    public func changeRole(organization: OrganizationID, user: UserID, to role: String, at now: Date) async throws
        -> MembershipChange
    {
        state.withLock { s in
            guard var member = s.memberships[organization]?[user] else { return .notFound }
            guard s.roles[role] != nil else { return .unknownRole }
            if member.role == OrganizationRole.owner, role != OrganizationRole.owner,
                Self.ownerCount(s, organization) == 1
            {
                return .lastOwner
            }
            member.role = role
            member.updatedAt = now
            s.memberships[organization]?[user] = member
            return .done(member)
        }
    }

    public func removeMembership(organization: OrganizationID, user: UserID, at now: Date) async throws
        -> MembershipChange
    {
        state.withLock { s in
            guard let member = s.memberships[organization]?[user] else { return .notFound }
            if member.role == OrganizationRole.owner, Self.ownerCount(s, organization) == 1 { return .lastOwner }
            s.memberships[organization]?[user] = nil
            return .done(member)
        }
    }

    public func setOrganization(of grant: GrantID, to organization: OrganizationID?) async throws {
        try state.withLock { s in
            guard s.grants[grant] != nil else { throw ConstraintViolation(.notFound, "the grant does not exist") }
            s.grants[grant]?.organizationID = organization
        }
    }

    /// Lowercases ASCII letters only, as SQLite's `LIKE` and PostgreSQL's `ILIKE` under "C" fold.
    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    private static func ownerCount(_ s: State, _ organization: OrganizationID) -> Int {
        (s.memberships[organization] ?? [:]).values.filter { $0.role == OrganizationRole.owner }.count
    }
}
