import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The members form of a console organization page: add a user by email with a role, change a
/// member's role, remove a member. The store's rules hold as in the admin API: a role must exist
/// in the tenant, and the organization's last owner is neither demoted nor removed (409).
extension ConsoleController {
    func addMember(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let role = form["role"] ?? ""
        var problems: [String: Any] = [:]
        let user = email.isEmpty ? nil : try await page.database.user(email: email)
        if user == nil { problems["member_email_error"] = "is not the email of a user of this tenant" }
        if try await page.database.role(named: role) == nil { problems["member_role_error"] = "is not a role of this tenant" }
        if let user, problems.isEmpty {
            let now = services.clock.now
            let membership = Membership(organizationID: organization.id, userID: user.id, role: role, createdAt: now, updatedAt: now)
            let sent: [String: JSONValue] = ["user_id": .string(user.id.rawValue), "role": .string(role)]
            var draft = operatorDraft(
                "membership.created", page, target: ("membership", user.id.rawValue), userID: user.id.rawValue, sent: sent, request, context)
            draft.organizationID = organization.id.rawValue
            do {
                try await services.audited([draft], in: page.database) { try await page.database.insertMembership(membership) }
                return memberChanged(page, organization)
            } catch StoreError.conflict(let message) {
                problems["member_email_error"] = message
            }
        }
        problems["member_email"] = email
        problems["error"] = "No member was added: correct the fields below."
        return try await organizationPage(page, organization, extra: problems, status: .unprocessableContent)
    }

    func changeMember(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        let role = form["role"] ?? ""
        guard let userID = context.parameters.get("user").flatMap(UserID.init(rawValue:)) else { return noSuchMember(page, organization) }
        var draft = operatorDraft(
            "membership.updated", page, target: ("membership", userID.rawValue), userID: userID.rawValue, sent: ["role": .string(role)], request,
            context)
        draft.organizationID = organization.id.rawValue
        let now = services.clock.now
        let outcome = try await services.audited([draft], in: page.database, keepIf: { if case .done = $0 { true } else { false } }) {
            try await page.database.changeRole(organization: organization.id, user: userID, to: role, at: now)
        }
        return try await memberOutcome(outcome, page, organization)
    }

    func removeMember(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        guard let userID = context.parameters.get("user").flatMap(UserID.init(rawValue:)) else { return noSuchMember(page, organization) }
        var draft = operatorDraft("membership.deleted", page, target: ("membership", userID.rawValue), userID: userID.rawValue, request, context)
        draft.organizationID = organization.id.rawValue
        let now = services.clock.now
        let outcome = try await services.audited([draft], in: page.database, keepIf: { if case .done = $0 { true } else { false } }) {
            try await page.database.removeMembership(organization: organization.id, user: userID, at: now)
        }
        return try await memberOutcome(outcome, page, organization)
    }

    func memberOutcome(_ outcome: MembershipChange, _ page: TenantPage, _ organization: Organization) async throws -> Response {
        switch outcome {
        case .done: return memberChanged(page, organization)
        case .notFound: return noSuchMember(page, organization)
        case .unknownRole:
            return try await organizationPage(
                page, organization, extra: ["error": "That is not a role of this tenant."], status: .unprocessableContent)
        case .lastOwner:
            return try await organizationPage(
                page, organization, extra: ["error": "The organization's last owner stays: make another member owner first."], status: .conflict)
        }
    }

    func memberChanged(_ page: TenantPage, _ organization: Organization) -> Response {
        redirect("\(page.path)/organizations/\(organization.id.rawValue)?notice=member", signedIn: page.signedIn)
    }

    func noSuchMember(_ page: TenantPage, _ organization: Organization) -> Response {
        missing(
            page, "No such member", "This organization has no member with this user id.",
            back: ("\(page.path)/organizations/\(organization.id.rawValue)", organization.name))
    }
}

/// The invitations form of a console organization page: invite an address with a role (the
/// tenant's `email/invitation` mail with its link, as the admin API sends it) and revoke a pending
/// invitation; audited as `invitation.created|revoked` by the signed-in operator or tenant admin.
extension ConsoleController {
    func invitationService(_ page: TenantPage, _ context: AppRequestContext) -> OrganizationInvitations {
        var invitations = OrganizationInvitations(services: services, database: page.database)
        invitations.actor = page.signedIn.actor
        invitations.ip = context.remoteAddress
        return invitations
    }

    func invite(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let role = form["role"] ?? OrganizationRole.member
        if let wait = services.consoleMailLimiter.take(tenant: page.tenant.id, action: "console-mail", ip: nil, now: services.clock.now) {
            let values: [String: Any] = [
                "invite_email": email,
                "error": "No invitation was sent: at most 20 emails at once, then one every 6 seconds per tenant. Retry in \(wait) s.",
            ]
            return try await organizationPage(page, organization, extra: values, status: .tooManyRequests)
        }
        do {
            _ = try await invitationService(page, context).create(
                in: organization, email: email, role: role, lifetime: OrganizationInvitation.defaultLifetime, invitedBy: nil)
            return redirect("\(page.path)/organizations/\(organization.id.rawValue)?notice=invited", signedIn: page.signedIn)
        } catch let failure as OrganizationInvitations.Failure {
            let problem = AdminController.problem(failure)
            var values: [String: Any] = ["invite_email": email, "error": "No invitation was sent: correct the fields below."]
            for error in problem.errors ?? [] { values["invite_\(error.field)_error"] = error.message }
            return try await organizationPage(page, organization, extra: values, status: HTTPResponse.Status(code: problem.statusCode))
        }
    }

    func revokeInvitation(
        _ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard let id = context.parameters.get("invitation").flatMap(InvitationID.init(rawValue:)),
            let invitation = try await page.database.invitation(id: id), invitation.organizationID == organization.id
        else {
            return missing(
                page, "No such invitation", "This organization has no invitation with this id.",
                back: ("\(page.path)/organizations/\(organization.id.rawValue)", organization.name))
        }
        do {
            _ = try await invitationService(page, context).revoke(invitation)
        } catch is OrganizationInvitations.Failure {
            return try await organizationPage(page, organization, extra: ["error": "That invitation is no longer pending."], status: .conflict)
        }
        return redirect("\(page.path)/organizations/\(organization.id.rawValue)?notice=member", signedIn: page.signedIn)
    }
}
