import Foundation
import GatehouseCore
import GatehouseStore

/// A signed-in user's own organizations and, where they are an owner or admin, the organization's
/// members (docs/contract.md A8): what the account console's organization pages
/// (`AccountOrganizationsController`) and the headless routes (`HeadlessController+Organizations`)
/// share. The rules of who may change whom are `MembershipManagement`'s; the last-owner rule is
/// the store's, decided atomically with each change.
///
/// An organization the user is not a member of is `Failure.notFound`, exactly like one that does
/// not exist, so that neither surface reveals another organization's existence.
struct OrganizationSelfService {
    let database: any TenantHandle
    /// The signed-in user.
    let user: UserID
    let now: Date
    /// Records each change in the tenant's audit log with the change (`membership.updated`,
    /// `membership.deleted`), as made by the user from `ip`.
    let services: Services
    var ip: String? = nil

    func membershipEntry(_ type: String, _ membership: Membership, role: String?) -> AuditDraft {
        .membership(type, organization: membership.organizationID, user: membership.userID, role: role, actor: .user(user), ip: ip)
    }

    /// Why a self-service change or read did not happen.
    enum Failure: Error, Equatable {
        /// No such organization, the user is not a member of it, or no such member in it.
        case notFound
        /// The user's role does not allow it (`MembershipManagement.Refusal`).
        case refused(MembershipManagement.Refusal)
        /// The change would leave the organization without an owner.
        case lastOwner
        /// The role does not exist in the tenant.
        case unknownRole
    }

    /// One of the user's organizations with their membership in it.
    struct Entry {
        let organization: Organization
        let membership: Membership
        var manages: Bool { MembershipManagement.manages(membership.role) }
    }

    /// Every organization the user belongs to, ordered by organization id.
    func organizations() async throws -> [Entry] {
        var entries: [Entry] = []
        for membership in try await database.memberships(of: user) {
            guard let organization = try await database.organization(id: membership.organizationID) else { continue }
            entries.append(Entry(organization: organization, membership: membership))
        }
        return entries
    }

    /// The organization named by `key` (its id `org_…` or its slug, at most 64 bytes) with the
    /// user's membership. - Throws: `Failure.notFound` when it does not exist or the user is not a member.
    func entry(_ key: String?) async throws -> Entry {
        guard let key, !key.isEmpty, key.utf8.count <= 64, !key.utf8.contains(0) else { throw Failure.notFound }
        var found: Organization?
        if let id = OrganizationID(rawValue: key) {
            found = try await database.organization(id: id)
        } else {
            found = try await database.organization(slug: key)
        }
        guard let found, let membership = try await database.membership(organization: found.id, user: user) else {
            throw Failure.notFound
        }
        return Entry(organization: found, membership: membership)
    }

    /// As `entry`, for an owner or admin. - Throws: `Failure.notFound`, or `Failure.refused(.notManager)`.
    func managed(_ key: String?) async throws -> Entry {
        let entry = try await entry(key)
        guard entry.manages else { throw Failure.refused(.notManager) }
        return entry
    }

    /// Members of a managed organization by user id (keyset after `after`), at most `limit`, each with
    /// the user (nil when the user row is gone).
    func members(of entry: Entry, limit: Int, after: UserID?) async throws -> [(membership: Membership, user: User?)] {
        var rows: [(membership: Membership, user: User?)] = []
        for membership in try await database.members(of: entry.organization.id, limit: limit, after: after) {
            let user = try await database.user(id: membership.userID)
            rows.append((membership, user))
        }
        return rows
    }

    /// The roles the user may give in `entry`: every role of the tenant for an owner, all but
    /// `owner` for an admin, in the store's order (built-in first).
    func assignableRoles(in entry: Entry) async throws -> [String] {
        try await database.roles().map(\.name).filter {
            MembershipManagement.refusalToChangeRole(actor: entry.membership.role, from: OrganizationRole.member, to: $0) == nil
        }
    }

    /// The member `target` of a managed organization. - Throws: `Failure.notFound`.
    func member(_ target: String?, of entry: Entry) async throws -> Membership {
        guard let target, let id = UserID(rawValue: target),
            let membership = try await database.membership(organization: entry.organization.id, user: id)
        else { throw Failure.notFound }
        return membership
    }

    /// Gives `target` the role `role` in the organization named by `key`.
    /// - Returns: the membership after the change.
    /// - Throws: `Failure` (404 organization or member, refusal, unknown role, last owner).
    func changeRole(_ key: String?, member target: String?, to role: String) async throws -> Membership {
        let entry = try await managed(key)
        let membership = try await member(target, of: entry)
        guard OrganizationRole.isValidName(role) else { throw Failure.unknownRole }
        if let refusal = MembershipManagement.refusalToChangeRole(actor: entry.membership.role, from: membership.role, to: role) {
            throw Failure.refused(refusal)
        }
        return try await services.audited([membershipEntry("membership.updated", membership, role: role)], in: database) {
            try Self.outcome(try await database.changeRole(organization: entry.organization.id, user: membership.userID, to: role, at: now))
        }
    }

    /// Ends `target`'s membership in the organization named by `key`.
    /// - Throws: `Failure` (404 organization or member, refusal, last owner).
    func remove(_ key: String?, member target: String?) async throws {
        let entry = try await managed(key)
        let membership = try await member(target, of: entry)
        if let refusal = MembershipManagement.refusalToRemove(actor: entry.membership.role, target: membership.role) {
            throw Failure.refused(refusal)
        }
        _ = try await services.audited([membershipEntry("membership.deleted", membership, role: nil)], in: database) {
            try Self.outcome(try await database.removeMembership(organization: entry.organization.id, user: membership.userID, at: now))
        }
    }

    /// Ends the user's own membership in the organization named by `key`.
    /// - Returns: the organization left. - Throws: `Failure.notFound`, `Failure.lastOwner`.
    func leave(_ key: String?) async throws -> Organization {
        let entry = try await entry(key)
        _ = try await services.audited([membershipEntry("membership.deleted", entry.membership, role: nil)], in: database) {
            try Self.outcome(try await database.removeMembership(organization: entry.organization.id, user: user, at: now))
        }
        return entry.organization
    }

    static func outcome(_ change: MembershipChange) throws -> Membership {
        switch change {
        case .done(let membership): return membership
        case .notFound: throw Failure.notFound
        case .lastOwner: throw Failure.lastOwner
        case .unknownRole: throw Failure.unknownRole
        }
    }
}
