import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// Invitations of an organization (docs/contract.md A8): `GET|POST …/organizations/{org}/invitations`,
    /// `GET …/invitations/{id}`, `POST …/invitations/{id}/revoke`, `POST …/invitations/{id}/resend`.
    /// A new or resent invitation gets a new random 256-bit link token, stored as its SHA-256 only
    /// and never answered: the invitation mail carries it. Reads need `orgs:read`, changes `orgs:write`.
    func registerInvitationRoutes(_ admin: RouterGroup<AppRequestContext>) {
        let base = "tenants/:slug/organizations/:org/invitations"
        tenantRoute(admin, .get, RouterPath(base), scope: AdminScope.orgsRead) { request, context in
            try await self.listInvitations(request, context)
        }
        tenantRoute(admin, .post, RouterPath(base), scope: AdminScope.orgsWrite) { request, context in
            try await self.createInvitation(request, context)
        }
        tenantRoute(admin, .get, RouterPath(base + "/:invitation"), scope: AdminScope.orgsRead) { _, context in
            let (_, invitation) = try await self.findInvitation(context)
            return Responses.json(InvitationView(invitation, at: self.services.clock.now), noStore: true, sorted: true)
        }
        tenantRoute(admin, .post, RouterPath(base + "/:invitation/revoke"), scope: AdminScope.orgsWrite) { _, context in
            try await self.revokeInvitation(context)
        }
        tenantRoute(admin, .post, RouterPath(base + "/:invitation/resend"), scope: AdminScope.orgsWrite) { request, context in
            try await self.resendInvitation(request, context)
        }
    }

    /// Longest invitation lifetime an admin may ask for, in seconds (30 days).
    static let maximumInvitationLifetime = 30 * 86400
    /// Shortest invitation lifetime, in seconds (one minute).
    static let minimumInvitationLifetime = 60

    /// The JSON shape of an invitation; the link token is never part of it.
    struct InvitationView: Encodable {
        let id, organizationID, email, role, status: String
        @NullWhenAbsent var invitedBy: String?
        let createdAt, expiresAt: Date
        @NullWhenAbsent var acceptedAt: Date?
        @NullWhenAbsent var acceptedBy: String?
        @NullWhenAbsent var revokedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, email, role, status
            case organizationID = "organization_id"
            case invitedBy = "invited_by"
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case acceptedAt = "accepted_at"
            case acceptedBy = "accepted_by"
            case revokedAt = "revoked_at"
        }

        init(_ i: OrganizationInvitation, at now: Date) {
            id = i.id.rawValue
            organizationID = i.organizationID.rawValue
            email = i.email
            role = i.role
            status = i.status(at: now)
            invitedBy = i.invitedBy?.rawValue
            createdAt = i.createdAt
            expiresAt = i.expiresAt
            acceptedAt = i.acceptedAt
            acceptedBy = i.acceptedBy?.rawValue
            revokedAt = i.revokedAt
        }
    }

    /// The organization and its invitation named by `{invitation}`. - Throws: 404.
    func findInvitation(_ context: TenantContext) async throws -> (Organization, OrganizationInvitation) {
        let organization = try await findOrganization(context)
        guard let raw = context.parameters.get("invitation"), let id = InvitationID(rawValue: raw),
            let invitation = try await context.database.invitation(id: id), invitation.organizationID == organization.id
        else { throw ProblemDetails.notFound("no invitation with this id in this organization") }
        return (organization, invitation)
    }

    /// Invitations newest first; `next_cursor` continues with older ones.
    func listInvitations(_ request: Request, _ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        let page = try AdminPageRequest(request)
        let before = try page.cursor(InvitationID.init(rawValue:))
        let now = services.clock.now
        let invitations = try await context.database.invitations(of: organization.id, limit: page.limit + 1, before: before)
        return Responses.json(
            page.page("invitations", invitations.map { InvitationView($0, at: now) }, cursor: \.id), noStore: true, sorted: true)
    }

    /// Reads the optional `expires_in` (seconds, 60…2592000, default 7 days) into `lifetime`.
    static func invitationLifetime(_ input: inout JSONInput) -> TimeInterval {
        guard let seconds = input.int("expires_in") else { return OrganizationInvitation.defaultLifetime }
        guard (Self.minimumInvitationLifetime...Self.maximumInvitationLifetime).contains(seconds) else {
            input.fail("expires_in", "must be from \(Self.minimumInvitationLifetime) to \(Self.maximumInvitationLifetime) seconds (30 days)")
            return OrganizationInvitation.defaultLifetime
        }
        return TimeInterval(seconds)
    }

    /// The admin API's problem for a refused invitation change.
    static func problem(_ failure: OrganizationInvitations.Failure) -> ProblemDetails {
        switch failure {
        case .invalidEmail(let why): ProblemDetails.validation([.init(field: "email", message: why)])
        case .unknownRole: ProblemDetails.validation([.init(field: "role", message: "is not a role of this tenant")])
        case .pendingExists: ProblemDetails.conflict(field: "email", "a pending invitation to this address exists; resend or revoke it")
        case .alreadyMember: ProblemDetails.conflict(field: "email", "this address belongs to a member of the organization already")
        case .notPending(let status):
            ProblemDetails.conflict(field: "status", "the invitation is \(status) (or another is pending to its address), not pending")
        case .notFound, .unverifiedAddress: ProblemDetails.notFound("no invitation with this id in this organization")
        }
    }

    /// Runs an invitation change, its refusals as problems.
    func invitationChange<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let failure as OrganizationInvitations.Failure { throw Self.problem(failure) }
    }

    func createInvitation(_ request: Request, _ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["email", "role", "expires_in"])
        let email = input.string("email", required: true, maxLength: 254).flatMap { raw -> String? in
            do { return try OrganizationInvitations.address(raw) } catch let failure as OrganizationInvitations.Failure {
                if case .invalidEmail(let why) = failure { input.fail("email", why) }
                return nil
            } catch { return nil }
        }
        let role = input.string("role", maxLength: 64) ?? OrganizationRole.member
        let lifetime = Self.invitationLifetime(&input)
        try input.check()
        let invitations = OrganizationInvitations(services: services, database: context.database)
        let invitation = try await invitationChange {
            try await invitations.create(in: organization, email: email!, role: role, lifetime: lifetime, invitedBy: nil)
        }
        return created(InvitationView(invitation, at: services.clock.now))
    }

    func revokeInvitation(_ context: TenantContext) async throws -> Response {
        let (_, invitation) = try await findInvitation(context)
        let invitations = OrganizationInvitations(services: services, database: context.database)
        let revoked = try await invitationChange { try await invitations.revoke(invitation) }
        return Responses.json(InvitationView(revoked, at: services.clock.now), noStore: true, sorted: true)
    }

    /// A new link token and expiry (`expires_in` in an optional body) for a pending or expired invitation.
    func resendInvitation(_ request: Request, _ context: TenantContext) async throws -> Response {
        let (organization, invitation) = try await findInvitation(context)
        var lifetime = OrganizationInvitation.defaultLifetime
        if request.headers[.contentType] != nil {
            var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
            input.rejectUnknown(["expires_in"])
            lifetime = Self.invitationLifetime(&input)
            try input.check()
        }
        let invitations = OrganizationInvitations(services: services, database: context.database)
        let renewed = try await invitationChange { try await invitations.resend(invitation, of: organization, lifetime: lifetime) }
        return Responses.json(InvitationView(renewed, at: services.clock.now), noStore: true, sorted: true)
    }
}
