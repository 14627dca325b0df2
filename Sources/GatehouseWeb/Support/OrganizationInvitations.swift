import Foundation
import GatehouseCore
import GatehouseStore

/// The rules of organization invitations (docs/contract.md A8), shared by the admin API
/// (`AdminController+OrganizationInvitations`), the account console
/// (`AccountOrganizationsController+Invitations`) and the headless API
/// (`HeadlessController+Invitations`): each surface checks who the caller is and what its role
/// allows, then calls these, and maps `Failure` to its own error shape.
///
/// - one pending invitation per organization and address (`Failure.pendingExists`);
/// - the role must be a role of the tenant (`Failure.unknownRole`);
/// - an address that already belongs to a member of the organization is refused
///   (`Failure.alreadyMember`);
/// - a new or resent invitation gets a fresh 256-bit link token and mails it
///   (`Services.sendInvitationEmail`);
/// - the invitee accepts or declines by id only an invitation to their own verified address
///   (anyone else's is `Failure.notFound`, as an unknown one; their own that is no longer
///   pending is `Failure.notPending`).
struct OrganizationInvitations {
    let services: Services
    let database: any TenantHandle
    /// Whether the mail a create or resend sends is limited per caller address
    /// (`Services.invitationLimiter`): the console and the headless API give the client's
    /// address; the admin API (nil) is not limited.
    var limitedAddress: String?? = nil
    /// Who acts, for the audit log (`invitation.created`, `invitation.accepted`…), and from where;
    /// the admin API records its own requests (`AdminAuditRecording`).
    var actor: AuditActor = .adminToken
    var ip: String? = nil

    /// The audit entry of `type` about `invitation`.
    func entry(_ type: String, _ invitation: OrganizationInvitation, actor: AuditActor? = nil) -> AuditDraft {
        AuditDraft(
            type: type, actor: actor ?? self.actor, targetType: "invitation", targetID: invitation.id.rawValue,
            organizationID: invitation.organizationID.rawValue, ip: ip,
            data: .object([
                "id": .string(invitation.id.rawValue), "organization_id": .string(invitation.organizationID.rawValue),
                "email": .string(invitation.email), "role": .string(invitation.role),
            ]))
    }

    /// Why an invitation was not created, changed, accepted or declined.
    enum Failure: Error, Equatable {
        /// The address is not one the invitation mail can go to (the message says why).
        case invalidEmail(String)
        /// The role is not a role of the tenant.
        case unknownRole
        /// A pending invitation of the organization to this address exists (resend or revoke it).
        case pendingExists
        /// The address belongs to a member of the organization already.
        case alreadyMember
        /// The invitation cannot be revoked or resent in its status (`accepted`, `revoked`, …).
        case notPending(String)
        /// No such invitation (in this organization, or to this user's address).
        case notFound
        /// The invitation is to the user's address, which is not verified yet.
        case unverifiedAddress

        /// A sentence for the caller.
        var message: String {
            switch self {
            case .invalidEmail(let why): "The address \(why)."
            case .unknownRole: "There is no such role in this organization."
            case .pendingExists: "An invitation to this address is already pending: resend or revoke it."
            case .alreadyMember: "This address belongs to a member of the organization already."
            case .notPending(let status): "The invitation is \(status): it is no longer pending."
            case .notFound: "There is no such invitation."
            case .unverifiedAddress: "Verify your email address first, then accept the invitation."
            }
        }
    }

    var now: Date { services.clock.now }

    /// The normalized address of `raw`, or `Failure.invalidEmail`.
    static func address(_ raw: String) throws -> String {
        guard let normalized = EmailAddress.normalize(raw) else { throw Failure.invalidEmail("is not an email address") }
        guard Services.canMail(normalized) else {
            throw Failure.invalidEmail("cannot be mailed: the invitation email needs a plain ASCII local@domain address")
        }
        return normalized
    }

    /// Invites `email` (raw, normalized here) into `organization` with `role` for `lifetime`
    /// seconds, and mails the link. `invitedBy` is the inviting member (nil for the admin API).
    /// - Returns: the new invitation. - Throws: `Failure` (`invalidEmail`, `unknownRole`,
    ///   `alreadyMember`, `pendingExists`), `SignInThrottle.Refused`, storage errors.
    func create(
        in organization: Organization, email raw: String, role: String, lifetime: TimeInterval, invitedBy: UserID?
    ) async throws -> OrganizationInvitation {
        let email = try Self.address(raw)
        guard OrganizationRole.isValidName(role), try await database.role(named: role) != nil else { throw Failure.unknownRole }
        if let user = try await database.user(email: email),
            try await database.membership(organization: organization.id, user: user.id) != nil
        {
            throw Failure.alreadyMember
        }
        try takeMailToken()
        let link = Services.invitationToken()
        let invitation = OrganizationInvitation(
            id: .generate(at: now), organizationID: organization.id, email: email, role: role,
            tokenHash: link.hash, invitedBy: invitedBy, createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
        AuditRecorder.identify(target: invitation.id.rawValue)
        do {
            try await services.audited([entry("invitation.created", invitation)], in: database) {
                try await database.insertInvitation(invitation)
            }
        } catch StoreError.conflict {
            throw Failure.pendingExists
        } catch StoreError.notFound {
            throw Failure.unknownRole
        }
        try await services.sendInvitationEmail(invitation, organization: organization, token: link.token, database: database)
        return invitation
    }

    /// The invitation `raw` (an `inv_…` id) of `organization`. - Throws: `Failure.notFound`.
    func invitation(_ raw: String?, of organization: Organization) async throws -> OrganizationInvitation {
        guard let raw, let id = InvitationID(rawValue: raw), let invitation = try await database.invitation(id: id),
            invitation.organizationID == organization.id
        else { throw Failure.notFound }
        return invitation
    }

    /// The organization's pending invitations among its newest `limit` invitations, newest first.
    func pending(of organization: Organization, limit: Int = 100) async throws -> [OrganizationInvitation] {
        try await database.invitations(of: organization.id, limit: limit, before: nil).filter { $0.isPending(at: now) }
    }

    /// Revokes a pending invitation. - Returns: it after the change. - Throws: `Failure.notPending`.
    func revoke(_ invitation: OrganizationInvitation) async throws -> OrganizationInvitation {
        guard
            try await services.audited(
                [entry("invitation.revoked", invitation)], in: database, keepIf: { $0 },
                { try await database.revokeInvitation(invitation.id, at: now) })
        else {
            throw Failure.notPending(invitation.status(at: now))
        }
        return try await database.invitation(id: invitation.id) ?? invitation
    }

    /// A new link and expiry (`lifetime` seconds) for a pending or expired invitation, mailed.
    /// - Throws: `Failure.notPending` (accepted, revoked, or another is pending to the address).
    func resend(_ invitation: OrganizationInvitation, of organization: Organization, lifetime: TimeInterval) async throws
        -> OrganizationInvitation
    {
        guard invitation.acceptedAt == nil, invitation.revokedAt == nil else { throw Failure.notPending(invitation.status(at: now)) }
        try takeMailToken()
        let link = Services.invitationToken()
        guard
            let renewed = try await database.renewInvitation(
                invitation.id, tokenHash: link.hash, expiresAt: now.addingTimeInterval(lifetime), at: now)
        else { throw Failure.notPending(invitation.status(at: now)) }
        try await services.sendInvitationEmail(renewed, organization: organization, token: link.token, database: database)
        return renewed
    }

    /// Takes one invitation mail from the caller address's budget.
    /// - Throws: `SignInThrottle.Refused` (429 with `Retry-After`) when it is spent.
    func takeMailToken() throws {
        guard let address = limitedAddress else { return }
        if let wait = services.invitationLimiter.take(tenant: database.tenant.id, action: "invitation", ip: address, now: now) {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
    }

    // MARK: The invitee's side

    /// Pending invitations to `user`'s address with their organizations, oldest first; none
    /// while the address is not verified.
    func pending(for user: User) async throws -> [(invitation: OrganizationInvitation, organization: Organization)] {
        guard user.emailVerified, let email = EmailAddress.normalize(user.email) else { return [] }
        var rows: [(invitation: OrganizationInvitation, organization: Organization)] = []
        for invitation in try await database.pendingInvitations(email: email, at: now) {
            guard let organization = try await database.organization(id: invitation.organizationID) else { continue }
            rows.append((invitation, organization))
        }
        return rows
    }

    /// The pending invitation `raw` to `user`'s address.
    /// - Throws: `Failure.notFound` (unknown, or to another address), `Failure.unverifiedAddress`,
    ///   `Failure.notPending` (the user's own invitation, accepted, revoked or expired).
    func invitation(_ raw: String?, to user: User) async throws -> OrganizationInvitation {
        guard let raw, let id = InvitationID(rawValue: raw), let invitation = try await database.invitation(id: id),
            EmailAddress.normalize(user.email) == invitation.email
        else { throw Failure.notFound }
        guard invitation.isAddressed(to: user) else { throw Failure.unverifiedAddress }
        guard invitation.isPending(at: now) else { throw Failure.notPending(invitation.status(at: now)) }
        return invitation
    }

    /// Accepts the pending invitation `raw` for `user` (`OrganizationInvitationStore.acceptInvitation`:
    /// once, atomically). - Returns: the membership and its organization. - Throws: as `invitation(_:to:)`.
    func accept(_ raw: String?, by user: User) async throws -> (Membership, Organization) {
        let invitation = try await invitation(raw, to: user)
        let entries = [
            entry("invitation.accepted", invitation, actor: .user(user.id)),
            AuditDraft.membership(
                "membership.created", organization: invitation.organizationID, user: user.id, role: invitation.role, actor: .user(user.id), ip: ip),
        ]
        let acceptance = try await services.audited(entries, in: database, keepIf: { if case .accepted = $0 { true } else { false } }) {
            try await database.acceptInvitation(tokenHash: invitation.tokenHash, user: user, at: now)
        }
        switch acceptance {
        case .accepted(_, let membership):
            guard let organization = try await database.organization(id: membership.organizationID) else { throw Failure.notFound }
            return (membership, organization)
        case .unusable: throw Failure.notPending("accepted or revoked")
        case .wrongAccount: throw Failure.unverifiedAddress
        }
    }

    /// Declines the pending invitation `raw` to `user`'s address: it is revoked.
    /// - Throws: as `invitation(_:to:)`.
    func decline(_ raw: String?, by user: User) async throws {
        let invitation = try await invitation(raw, to: user)
        var declined = entry("invitation.revoked", invitation, actor: .user(user.id))
        if case .object(var members) = declined.data {
            members["reason"] = .string("declined")
            declined.data = .object(members)
        }
        guard
            try await services.audited(
                [declined], in: database, keepIf: { $0 }, { try await database.revokeInvitation(invitation.id, at: now) })
        else { throw Failure.notPending("accepted or revoked") }
    }

    /// Whether a member holding `actor` may invite with (or resend an invitation of) `role`:
    /// owners and admins, and only an owner invites an owner (`MembershipManagement`).
    static func refusal(actor: String, role: String) -> MembershipManagement.Refusal? {
        MembershipManagement.refusalToChangeRole(actor: actor, from: OrganizationRole.member, to: role)
    }
}
