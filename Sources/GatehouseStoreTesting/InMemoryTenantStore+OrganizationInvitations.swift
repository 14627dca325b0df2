import Foundation
import GatehouseCore
import Synchronization

/// `OrganizationInvitationStore` in memory: every check and the write it guards run under the
/// store's one lock, so a link is accepted at most once.
extension InMemoryTenantStore {
    /// Registers an upstream provider id that SSO configurations may name (the in-memory store
    /// keeps no provider settings).
    public func insertUpstreamProvider(id: String) { state.withLock { _ = $0.upstreamProviderIDs.insert(id) } }

    // MARK: Invitations

    public func insertInvitation(_ invitation: OrganizationInvitation) async throws {
        try state.withLock { s in
            guard s.organizations[invitation.organizationID] != nil else {
                throw ConstraintViolation(.notFound, "the organization does not exist")
            }
            guard s.roles[invitation.role] != nil else { throw ConstraintViolation(.notFound, "the role '\(invitation.role)' does not exist") }
            if Self.pending(s, invitation.organizationID, invitation.email, at: invitation.createdAt) != nil {
                throw ConstraintViolation(.conflict, "a pending invitation to '\(invitation.email)' exists; resend it instead")
            }
            guard s.invitations[invitation.id] == nil, !s.invitations.values.contains(where: { $0.tokenHash == invitation.tokenHash })
            else { throw ConstraintViolation(.conflict, "the invitation exists") }
            s.invitations[invitation.id] = invitation
        }
    }

    public func invitation(id: InvitationID) async throws -> OrganizationInvitation? { state.withLock { $0.invitations[id] } }

    public func invitations(of organization: OrganizationID, limit: Int, before: InvitationID?) async throws -> [OrganizationInvitation] {
        state.withLock { s in
            s.invitations.values
                .filter { invitation in invitation.organizationID == organization && (before.map { invitation.id < $0 } ?? true) }
                .sorted { $0.id > $1.id }
                .prefix(limit)
                .map { $0 }
        }
    }

    public func pendingInvitations(email: String, at now: Date) async throws -> [OrganizationInvitation] {
        state.withLock { s in s.invitations.values.filter { $0.email == email && $0.isPending(at: now) }.sorted { $0.id < $1.id } }
    }

    public func pendingInvitation(tokenHash: [UInt8], at now: Date) async throws -> OrganizationInvitation? {
        state.withLock { s in s.invitations.values.first { $0.tokenHash == tokenHash && $0.isPending(at: now) } }
    }

    public func revokeInvitation(_ id: InvitationID, at now: Date) async throws -> Bool {
        state.withLock { s in
            guard s.invitations[id]?.isPending(at: now) == true else { return false }
            s.invitations[id]?.revokedAt = now
            return true
        }
    }

    public func renewInvitation(_ id: InvitationID, tokenHash: [UInt8], expiresAt: Date, at now: Date) async throws
        -> OrganizationInvitation?
    {
        state.withLock { s in
            guard var invitation = s.invitations[id], invitation.acceptedAt == nil, invitation.revokedAt == nil else { return nil }
            let other = Self.pending(s, invitation.organizationID, invitation.email, at: now)
            guard other == nil || other == id else { return nil }
            invitation.tokenHash = tokenHash
            invitation.expiresAt = expiresAt
            s.invitations[id] = invitation
            return invitation
        }
    }

    public func acceptInvitation(tokenHash: [UInt8], user: User, at now: Date) async throws -> InvitationAcceptance {
        try state.withLock { s in
            guard var invitation = s.invitations.values.first(where: { $0.tokenHash == tokenHash }), invitation.isPending(at: now) else {
                return .unusable
            }
            guard let stored = s.users[user.id] else { throw ConstraintViolation(.notFound, "the user does not exist") }
            guard invitation.isAddressed(to: stored) else { return .wrongAccount }
            invitation.acceptedAt = now
            invitation.acceptedBy = user.id
            s.invitations[invitation.id] = invitation
            if let member = s.memberships[invitation.organizationID]?[user.id] { return .accepted(invitation, member) }
            let role = invitation.joiningRole(roleExists: s.roles[invitation.role] != nil)
            let member = Membership(organizationID: invitation.organizationID, userID: user.id, role: role, createdAt: now, updatedAt: now)
            s.memberships[invitation.organizationID, default: [:]][user.id] = member
            return .accepted(invitation, member)
        }
    }

    // MARK: Domains

    public func insertDomain(_ domain: OrganizationDomain) async throws {
        try state.withLock { s in
            guard s.organizations[domain.organizationID] != nil else { throw ConstraintViolation(.notFound, "the organization does not exist") }
            guard s.roles[domain.defaultRole] != nil else {
                throw ConstraintViolation(.notFound, "the role '\(domain.defaultRole)' does not exist")
            }
            guard s.domains[domain.domain] == nil else {
                throw ConstraintViolation(.conflict, "the domain '\(domain.domain)' is held by an organization")
            }
            s.domains[domain.domain] = domain
        }
    }

    public func domains(of organization: OrganizationID) async throws -> [OrganizationDomain] {
        state.withLock { s in s.domains.values.filter { $0.organizationID == organization }.sorted { $0.domain < $1.domain } }
    }

    public func updateDomain(_ domain: OrganizationDomain) async throws -> Bool {
        try state.withLock { s in
            guard s.roles[domain.defaultRole] != nil else {
                throw ConstraintViolation(.notFound, "the role '\(domain.defaultRole)' does not exist")
            }
            guard var stored = s.domains[domain.domain], stored.organizationID == domain.organizationID else { return false }
            stored.verifiedAt = domain.verifiedAt
            stored.autoJoin = domain.autoJoin
            stored.defaultRole = domain.defaultRole
            s.domains[domain.domain] = stored
            return true
        }
    }

    public func removeDomain(_ domain: String, of organization: OrganizationID) async throws -> Bool {
        state.withLock { s in
            guard s.domains[domain]?.organizationID == organization else { return false }
            s.domains[domain] = nil
            return true
        }
    }

    public func verifiedDomain(_ domain: String) async throws -> OrganizationDomain? {
        state.withLock { s in s.domains[domain.lowercased()].flatMap { $0.verifiedAt == nil ? nil : $0 } }
    }

    // MARK: Per-organization SSO

    public func setSSO(_ sso: OrganizationSSO) async throws {
        try state.withLock { s in
            guard s.organizations[sso.organizationID] != nil else { throw ConstraintViolation(.notFound, "the organization does not exist") }
            guard s.upstreamProviderIDs.contains(sso.providerID) else {
                throw ConstraintViolation(.notFound, "the upstream provider '\(sso.providerID)' does not exist")
            }
            guard s.roles[sso.defaultRole] != nil else { throw ConstraintViolation(.notFound, "the role '\(sso.defaultRole)' does not exist") }
            s.organizationSSO[sso.organizationID] = sso
        }
    }

    public func sso(of organization: OrganizationID) async throws -> OrganizationSSO? { state.withLock { $0.organizationSSO[organization] } }

    public func removeSSO(of organization: OrganizationID) async throws -> Bool {
        state.withLock { $0.organizationSSO.removeValue(forKey: organization) != nil }
    }

    public func ssoOrganizations(provider providerID: String) async throws -> [OrganizationSSO] {
        state.withLock { s in s.organizationSSO.values.filter { $0.providerID == providerID }.sorted { $0.organizationID < $1.organizationID } }
    }

    /// The id of the organization's pending invitation to `email` at `now`, if any.
    private static func pending(_ s: State, _ organization: OrganizationID, _ email: String, at now: Date) -> InvitationID? {
        s.invitations.values.first { $0.organizationID == organization && $0.email == email && $0.isPending(at: now) }?.id
    }
}
