import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// Invitations in the account console (docs/contract.md A8); the rules are `OrganizationInvitations`'s.
///
/// On the members page of an organization the user owns or administers (a recent sign-in first,
/// like every member change):
/// - `POST …/organizations/{org}/invitations` (`email`, `role`): invites and mails the link; only
///   an owner invites an owner;
/// - `POST …/organizations/{org}/invitations/{id}/revoke` and `…/{id}/resend`.
///
/// On the organizations page, for the pending invitations to the user's verified address:
/// - `POST {issuer}/account/invitations/{id}/accept`: joins at once (the address is verified and
///   the user signed in); `…/{id}/decline`: revokes it.
///
/// Invitation mail is limited per client address (`Services.invitationLimiter`, 429 beyond it).
/// Every form carries the console's CSRF token. A refusal lands back on the page with a notice;
/// an invitation of another organization, or to another address, is a 404 page; one to the
/// user's address that is no longer pending a 409 page.
extension AccountOrganizationsController {
    func registerInvitationRoutes(on group: RouterGroup<TenantRequestContext>) {
        group.post("account/organizations/:org/invitations") { request, context in try await self.invite(request, context) }
        group.post("account/organizations/:org/invitations/:invitation/revoke") { request, context in
            try await self.changeInvitation(request, context, resend: false)
        }
        group.post("account/organizations/:org/invitations/:invitation/resend") { request, context in
            try await self.changeInvitation(request, context, resend: true)
        }
        group.post("account/invitations/:invitation/accept") { request, context in
            try await self.answerInvitation(request, context, accept: true)
        }
        group.post("account/invitations/:invitation/decline") { request, context in
            try await self.answerInvitation(request, context, accept: false)
        }
    }

    static let invitationNotices: [String: (text: String, error: Bool)] = [
        "invited": ("The invitation was sent.", false),
        "invitation-revoked": ("The invitation was revoked.", false),
        "invitation-resent": ("The invitation was sent again with a new link.", false),
        "invitation-accepted": ("You joined the organization.", false),
        "invitation-declined": ("You declined the invitation.", false),
        "invitation-email": ("That address cannot receive an invitation: enter a plain local@domain address.", true),
        "invitation-pending": (OrganizationInvitations.Failure.pendingExists.message, true),
        "invitation-member": (OrganizationInvitations.Failure.alreadyMember.message, true),
        "invitation-not-pending": ("The invitation is no longer pending.", true),
    ]

    /// The notice key of a refused invitation change (nil: answered with a page instead).
    static func noticeKey(_ failure: OrganizationInvitations.Failure) -> String? {
        switch failure {
        case .invalidEmail: "invitation-email"
        case .unknownRole: "unknown-role"
        case .pendingExists: "invitation-pending"
        case .alreadyMember: "invitation-member"
        case .notPending: "invitation-not-pending"
        case .notFound, .unverifiedAddress: nil
        }
    }

    /// The invitation rules, acting as `user` (for the audit log).
    func invitations(_ context: TenantRequestContext, by user: UserID? = nil) -> OrganizationInvitations {
        OrganizationInvitations(
            services: services, database: context.database, limitedAddress: .some(context.remoteAddress),
            actor: user.map(AuditActor.user) ?? .adminToken, ip: context.remoteAddress)
    }

    /// The pending invitations to the user's verified address (`invitations[]`: `id`,
    /// `organization_name`, `role`, `accept_action`, `decline_action`, `csrf_token`).
    func pendingInvitations(for user: User, csrf: String, _ context: TenantRequestContext) async throws -> [[String: Any]] {
        let base = "\(console.consolePath(context))/invitations"
        return try await invitations(context).pending(for: user).map { row -> [String: Any] in
            let id = row.invitation.id.rawValue
            return [
                "id": id, "organization_name": row.organization.name, "role": row.invitation.role,
                "expires_at": Services.utcMinute(row.invitation.expiresAt), "csrf_token": csrf,
                "accept_action": "\(base)/\(id)/accept", "decline_action": "\(base)/\(id)/decline",
            ]
        }
    }

    /// The members page's invitation block: the form and the pending invitations.
    func invitationValues(_ entry: OrganizationSelfService.Entry, roles: [String], csrf: String, _ context: TenantRequestContext)
        async throws -> [String: Any]
    {
        let base = "\(path(context))/\(entry.organization.id.rawValue)/invitations"
        let rows = try await invitations(context).pending(of: entry.organization).map { invitation -> [String: Any] in
            let id = invitation.id.rawValue
            return [
                "id": id, "email": invitation.email, "role": invitation.role, "expires_at": Services.utcMinute(invitation.expiresAt),
                "csrf_token": csrf, "revoke_action": "\(base)/\(id)/revoke", "resend_action": "\(base)/\(id)/resend",
            ]
        }
        return [
            "invitations": rows, "has_invitations": !rows.isEmpty, "invite_action": base, "csrf_token": csrf,
            "invite_roles": roles.map { ["name": $0, "selected": $0 == OrganizationRole.member] as [String: Any] },
        ]
    }

    func invite(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form) = try await console.authorizedFormWithFields(request, context)
        return try await manage(claims, context) { service, org in
            let entry = try await service.managed(org)
            let role = form["role"] ?? OrganizationRole.member
            if let refusal = OrganizationInvitations.refusal(actor: entry.membership.role, role: role) {
                throw OrganizationSelfService.Failure.refused(refusal)
            }
            _ = try await invitations(context, by: entry.membership.userID).create(
                in: entry.organization, email: form["email"] ?? "", role: role, lifetime: OrganizationInvitation.defaultLifetime,
                invitedBy: entry.membership.userID)
            return "invited"
        }
    }

    func changeInvitation(_ request: Request, _ context: TenantRequestContext, resend: Bool) async throws -> Response {
        let claims = try await console.authorizedForm(request, context)
        return try await manage(claims, context) { service, org in
            let entry = try await service.managed(org)
            let rules = invitations(context, by: entry.membership.userID)
            let invitation = try await rules.invitation(context.parameters.get("invitation"), of: entry.organization)
            guard resend else {
                _ = try await rules.revoke(invitation)
                return "invitation-revoked"
            }
            if let refusal = OrganizationInvitations.refusal(actor: entry.membership.role, role: invitation.role) {
                throw OrganizationSelfService.Failure.refused(refusal)
            }
            _ = try await rules.resend(invitation, of: entry.organization, lifetime: OrganizationInvitation.defaultLifetime)
            return "invitation-resent"
        }
    }

    /// Accepts or declines one of the user's pending invitations; back to the organizations page.
    func answerInvitation(_ request: Request, _ context: TenantRequestContext, accept: Bool) async throws -> Response {
        let claims = try await console.authorizedForm(request, context)
        guard let id = UserID(rawValue: claims.sub), let user = try await context.database.user(id: id), !user.disabled else {
            throw OAuthError.invalidRequest("You are no longer signed in.")
        }
        let raw = context.parameters.get("invitation")
        do {
            if accept {
                _ = try await invitations(context, by: user.id).accept(raw, by: user)
            } else {
                try await invitations(context, by: user.id).decline(raw, by: user)
            }
            return Responses.redirect(to: "\(path(context))?notice=invitation-\(accept ? "accepted" : "declined")")
        } catch let failure as OrganizationInvitations.Failure {
            return invitationRefusal(failure, context)
        }
    }

    /// A refused invitation as a page: 404 for an invitation the user cannot see, 403 for an
    /// address not verified yet, 409 otherwise.
    func invitationRefusal(_ failure: OrganizationInvitations.Failure, _ context: TenantRequestContext) -> Response {
        let status: HTTPResponse.Status =
            switch failure {
            case .notFound: .notFound
            case .unverifiedAddress: .forbidden
            case .invalidEmail, .unknownRole: .badRequest
            case .pendingExists, .alreadyMember, .notPending: .conflict
            }
        return Responses.html(
            services.pages.render(
                "message", chrome: console.chrome("Invitation", context),
                values: [
                    "heading": status == .notFound ? "Invitation not found" : "Not allowed", "message": failure.message,
                    "error": true, "link_url": path(context), "link_text": "Back to your organizations",
                ]), status: status)
    }
}
