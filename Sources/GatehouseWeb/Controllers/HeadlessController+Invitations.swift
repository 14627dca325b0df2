import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The headless invitation routes (docs/contract.md A8), with the user's access token like the
/// other `/v1/organizations…` routes; the rules are `OrganizationInvitations`'s.
///
/// An owner or admin of the organization (only an owner invites or resends with `owner`):
/// - `GET /v1/organizations/{org}/invitations?limit=&after=`: `{"invitations": [...], "next_cursor"}`,
///   newest first, every status (the admin API's invitation shape; never the link token);
/// - `POST /v1/organizations/{org}/invitations` `{"email", "role"?, "expires_in"?}`: 201, the
///   invitation (mailed with its link);
/// - `DELETE /v1/organizations/{org}/invitations/{id}`: revokes a pending one, 204;
/// - `POST /v1/organizations/{org}/invitations/{id}/resend`: a new link and expiry, mailed; the invitation.
///
/// The invitee:
/// - `GET /v1/invitations`: `{"invitations": [{id, organization_id, organization_name, role, email,
///   expires_at}]}`, the pending invitations to the user's verified address;
/// - `POST /v1/invitations/{id}/accept`: joins at once; `{"organization": {id, name, slug, role,
///   public_metadata, joined_at}}`;
/// - `POST /v1/invitations/{id}/decline`: 204 (the invitation is revoked).
///
/// Errors are RFC 6749 §5.2 JSON: 404 `not_found` (an organization the user is not a member of, an
/// invitation of another organization or to another address), 403 `access_denied` (the role does not
/// allow it; the invited address is not verified yet), 409 `conflict` (a pending invitation to the
/// address exists, the address is a member's, the invitation, also one to the user, is no longer pending), 400
/// `invalid_request` (unknown role, unmailable address, malformed body), 401 `invalid_token`, 429
/// (with `Retry-After`) beyond the per-address invitation mail limit (`Services.invitationLimiter`).
extension HeadlessController {
    func registerInvitationRoutes(_ group: RouterGroup<HeadlessRequestContext>) {
        let base = "organizations/:org/invitations"
        group.get(RouterPath(base)) { request, context in try await self.listOrganizationInvitations(request, context) }
        group.post(RouterPath(base)) { request, context in try await self.createOrganizationInvitation(request, context) }
        group.delete(RouterPath(base + "/:invitation")) { request, context in
            let (invitations, organization, _) = try await self.managedInvitations(request, context)
            try await Self.invitationRun {
                let invitation = try await invitations.invitation(context.parameters.get("invitation"), of: organization)
                _ = try await invitations.revoke(invitation)
            }
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        group.post(RouterPath(base + "/:invitation/resend")) { request, context in
            try await self.resendOrganizationInvitation(request, context)
        }
        group.get("invitations") { request, context in try await self.myInvitations(request, context) }
        group.post("invitations/:invitation/accept") { request, context in try await self.acceptMyInvitation(request, context) }
        group.post("invitations/:invitation/decline") { request, context in
            let (invitations, user) = try await self.invitee(request, context)
            try await Self.invitationRun { try await invitations.decline(context.parameters.get("invitation"), by: user) }
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        for path in [
            base, base + "/:invitation", base + "/:invitation/resend", "invitations", "invitations/:invitation/accept",
            "invitations/:invitation/decline",
        ] {
            group.on(RouterPath(stringLiteral: path), method: .options) { _, _ in Response(status: .noContent) }
        }
    }

    /// A refused invitation request in the headless error shape.
    struct InvitationRefusal: HTTPResponseError {
        let failure: OrganizationInvitations.Failure

        var status: HTTPResponse.Status {
            switch failure {
            case .invalidEmail, .unknownRole: .badRequest
            case .pendingExists, .alreadyMember, .notPending: .conflict
            case .notFound: .notFound
            case .unverifiedAddress: .forbidden
            }
        }

        func response(from request: Request, context: some RequestContext) throws -> Response {
            let code =
                switch failure {
                case .invalidEmail, .unknownRole: "invalid_request"
                case .pendingExists, .alreadyMember, .notPending: "conflict"
                case .notFound: "not_found"
                case .unverifiedAddress: "access_denied"
                }
            return Responses.json(["error": code, "error_description": failure.message], status: status, noStore: true)
        }
    }

    static func invitationRun<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let failure as OrganizationInvitations.Failure { throw InvitationRefusal(failure: failure) }
    }

    /// The invitation rules for an organization the user owns or administers, with the user's membership.
    func managedInvitations(_ request: Request, _ context: HeadlessRequestContext) async throws
        -> (OrganizationInvitations, Organization, Membership)
    {
        let entry = try await userOrganizations(request, context).managed(context.parameters.get("org"))
        let invitations = OrganizationInvitations(
            services: services, database: context.database, limitedAddress: .some(context.remoteAddress),
            actor: .user(entry.membership.userID), ip: context.remoteAddress)
        return (invitations, entry.organization, entry.membership)
    }

    /// The invitation rules and the signed-in user, for the invitee's routes.
    func invitee(_ request: Request, _ context: HeadlessRequestContext) async throws -> (OrganizationInvitations, User) {
        let claims = try await bearer(request, context)
        guard let id = UserID(rawValue: claims.sub), let user = try await context.database.user(id: id), !user.disabled else {
            throw OAuthError.invalidToken("the access token's subject is not an active user")
        }
        return (OrganizationInvitations(services: services, database: context.database, actor: .user(user.id), ip: context.remoteAddress), user)
    }

    func listOrganizationInvitations(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let (_, organization, _) = try await managedInvitations(request, context)
        let page = try AdminPageRequest(request)
        let before = try page.cursor(InvitationID.init(rawValue:))
        let now = services.clock.now
        let rows = try await context.database.invitations(of: organization.id, limit: page.limit + 1, before: before)
        let views = rows.map { AdminController.InvitationView($0, at: now) }
        return Responses.json(page.page("invitations", views, cursor: \.id), noStore: true, sorted: true)
    }

    /// The body is checked before the token, like the other headless routes with a body.
    func createOrganizationInvitation(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var input = try await body(request)
        input.rejectUnknown(["email", "role", "expires_in"])
        let email = input.string("email", required: true, maxLength: 254)
        let role = input.string("role", maxLength: 64) ?? OrganizationRole.member
        let lifetime = AdminController.invitationLifetime(&input)
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        let (invitations, organization, actor) = try await managedInvitations(request, context)
        if let refusal = OrganizationInvitations.refusal(actor: actor.role, role: role) {
            throw OrganizationRefusal(failure: .refused(refusal))
        }
        let invitation = try await Self.invitationRun {
            try await invitations.create(in: organization, email: email!, role: role, lifetime: lifetime, invitedBy: actor.userID)
        }
        var response = Responses.json(AdminController.InvitationView(invitation, at: services.clock.now), noStore: true, sorted: true)
        response.status = .created
        return response
    }

    func resendOrganizationInvitation(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var lifetime = OrganizationInvitation.defaultLifetime
        if request.headers[.contentType] != nil {
            var input = try await body(request)
            input.rejectUnknown(["expires_in"])
            lifetime = AdminController.invitationLifetime(&input)
            if !input.errors.isEmpty {
                throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; "))
            }
        }
        let (invitations, organization, actor) = try await managedInvitations(request, context)
        let renewed = try await Self.invitationRun {
            let invitation = try await invitations.invitation(context.parameters.get("invitation"), of: organization)
            if let refusal = OrganizationInvitations.refusal(actor: actor.role, role: invitation.role) {
                throw OrganizationRefusal(failure: .refused(refusal))
            }
            return try await invitations.resend(invitation, of: organization, lifetime: lifetime)
        }
        return Responses.json(AdminController.InvitationView(renewed, at: services.clock.now), noStore: true, sorted: true)
    }

    /// One pending invitation to the user.
    struct MyInvitationView: Encodable {
        let id, organizationID, organizationName, role, email: String
        let expiresAt: Date

        enum CodingKeys: String, CodingKey {
            case id, role, email
            case organizationID = "organization_id"
            case organizationName = "organization_name"
            case expiresAt = "expires_at"
        }
    }

    func myInvitations(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let (invitations, user) = try await invitee(request, context)
        let views = try await invitations.pending(for: user).map {
            MyInvitationView(
                id: $0.invitation.id.rawValue, organizationID: $0.organization.id.rawValue, organizationName: $0.organization.name,
                role: $0.invitation.role, email: $0.invitation.email, expiresAt: $0.invitation.expiresAt)
        }
        return Responses.json(["invitations": views], noStore: true, sorted: true)
    }

    func acceptMyInvitation(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let (invitations, user) = try await invitee(request, context)
        let (membership, organization) = try await Self.invitationRun {
            try await invitations.accept(context.parameters.get("invitation"), by: user)
        }
        let view = MembershipView(
            id: organization.id.rawValue, name: organization.name, slug: organization.slug, role: membership.role,
            publicMetadata: organization.publicMetadata, joinedAt: membership.createdAt)
        return Responses.json(["organization": view], noStore: true, sorted: true)
    }
}
