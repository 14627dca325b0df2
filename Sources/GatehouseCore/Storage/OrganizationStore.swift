import Foundation

/// The outcome of changing or ending a membership, decided atomically with the "an organization
/// always keeps one owner" rule (docs/contract.md A8).
public enum MembershipChange: Sendable, Equatable {
    /// The membership after the change (for a removal: as it was).
    case done(Membership)
    case notFound
    /// Refused: the change would leave the organization without an owner.
    case lastOwner
    /// Refused: the role does not exist in the tenant.
    case unknownRole
}

/// The outcome of deleting a custom role.
public enum RoleDeletion: Sendable, Equatable {
    case deleted
    case notFound
    /// Built-in roles cannot be deleted.
    case builtIn
    /// Members still hold the role (the count): reassign them first.
    case inUse(Int)
}

/// Organizations, their roles and memberships in one tenant (docs/contract.md A8).
///
/// Like every storage protocol, an implementation exists only for one resolved tenant: no
/// requirement takes a tenant id. The built-in roles `owner`, `admin` and `member` exist in every
/// tenant from its creation (with empty permission lists).
public protocol OrganizationStore: Sendable {
    // MARK: Organizations

    /// Stores a new organization and, when given, its first member (normally its `owner`) in one
    /// transaction. - Throws: `StoreError.conflict` when the slug is taken;
    /// `StoreError.notFound` when the first member's user or role does not exist.
    func insertOrganization(_ organization: Organization, firstMember: Membership?) async throws
    func organization(id: OrganizationID) async throws -> Organization?
    func organization(slug: String) async throws -> Organization?
    /// Organizations by id (keyset pagination after `after`), at most `limit`; `query` keeps those
    /// whose name or slug contains it (case-insensitive for ASCII).
    func listOrganizations(limit: Int, after: OrganizationID?, query: String?) async throws -> [Organization]
    /// Replaces name, slug, metadata and `mfaRequired`, and sets `updatedAt`.
    /// - Throws: `StoreError.conflict` when the new slug is taken, `StoreError.notFound` when the
    ///   organization does not exist.
    func updateOrganization(_ organization: Organization) async throws
    /// Deletes an organization with its memberships, invitations, domains and SSO configuration
    /// and revokes every grant issued for it (`Grant.organizationID`), in one transaction.
    /// - Returns: false when it did not exist.
    func deleteOrganization(_ id: OrganizationID, at now: Date) async throws -> Bool

    // MARK: Roles

    /// Every role of the tenant: the built-in ones first (owner, admin, member), then custom roles
    /// by name.
    func roles() async throws -> [OrganizationRole]
    func role(named name: String) async throws -> OrganizationRole?
    /// - Throws: `StoreError.conflict` when the name is taken (built-in names included).
    func insertRole(_ role: OrganizationRole) async throws
    /// Replaces permissions and description. - Throws: `StoreError.notFound`.
    func updateRole(_ role: OrganizationRole) async throws
    func deleteRole(named name: String) async throws -> RoleDeletion

    // MARK: Memberships

    /// - Throws: `StoreError.conflict` when the user is already a member;
    ///   `StoreError.notFound` when the organization, the user or the role does not exist.
    func insertMembership(_ membership: Membership) async throws
    func membership(organization: OrganizationID, user: UserID) async throws -> Membership?
    /// Members ordered by user id (keyset pagination after `after`), at most `limit`.
    func members(of organization: OrganizationID, limit: Int, after: UserID?) async throws -> [Membership]
    /// Every membership of a user, ordered by organization id.
    func memberships(of user: UserID) async throws -> [Membership]
    /// Gives a member another role, atomically refusing to demote the last owner.
    func changeRole(organization: OrganizationID, user: UserID, to role: String, at now: Date) async throws
        -> MembershipChange
    /// Ends a membership, atomically refusing to remove the last owner. Refreshes of grants issued
    /// for the organization to this user then fail (the grant handler checks the membership).
    func removeMembership(organization: OrganizationID, user: UserID, at now: Date) async throws -> MembershipChange

    // MARK: Grants

    /// Makes a grant act within another organization (or none), for a refresh that switches
    /// organization (`grant_type=refresh_token` with `organization`); the caller has checked the
    /// membership. - Throws: `StoreError.notFound` when the grant does not exist.
    func setOrganization(of grant: GrantID, to organization: OrganizationID?) async throws
}

extension OrganizationStore {
    /// The organization a token acts within, read afresh: nil when the organization or the
    /// membership no longer exists (the grant handler then answers `invalid_grant`).
    public func organizationContext(organization id: OrganizationID, user: UserID) async throws -> OrganizationContext? {
        guard let organization = try await organization(id: id),
            let membership = try await membership(organization: id, user: user)
        else { return nil }
        let permissions = try await role(named: membership.role)?.permissions ?? []
        return OrganizationContext(organization: organization, membership: membership, permissions: permissions)
    }
}
